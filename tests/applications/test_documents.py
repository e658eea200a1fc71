"""Each letter of an application, generated from its data, opens with python-docx and says
who applied, the tracking code, the outcome's legal wording and the date."""

import io

import docx
import pytest

from applications import services
from applications.documents import letter_for
from applications.letters import chinese_date
from applications.outcomes import OUTCOME_WORDING
from applications.selectors import application_for
from audit.models import AuditEvent
from core.errors import Conflict

from .conftest import D, on, register

pytestmark = pytest.mark.django_db


def text_of(content: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)


def letter(org, application, kind, day):
    with on(day):
        loaded = application_for(org["handler_office"], application.pk)
        return letter_for(user=org["handler_office"], application=loaded, kind=kind)


def test_every_letter_of_a_case_that_went_through_every_step(handlers):
    org, h = handlers, handlers["handler_office"]
    a = register(org, received_on=D(2024, 3, 4))
    with on(D(2024, 3, 5)):
        services.request_correction(user=h, application_id=a.pk, notice_on=D(2024, 3, 5),
                                    items="请写明所需信息的年份\n请提供身份证明")
        services.record_correction(user=h, application_id=a.pk, received_on=D(2024, 3, 5))
    with on(D(2024, 3, 6)):
        services.consult_third_party(user=h, application_id=a.pk, sent_on=D(2024, 3, 6),
                                     third_party="温县某置业有限公司")
        services.record_third_party_reply(user=h, application_id=a.pk, replied_on=D(2024, 3, 6))
        services.send_fee_notice(user=h, application_id=a.pk, notice_on=D(2024, 3, 6),
                                 method="per_page", quantity=120)
        services.record_fee_paid(user=h, application_id=a.pk, paid_on=D(2024, 3, 6))
    with on(D(2024, 3, 7)):
        services.extend(user=org["leader"], application_id=a.pk, reason="档案需调取",
                        notice_on=D(2024, 3, 7))
        services.draft_reply(user=h, application_id=a.pk, outcome="withheld_state_secret",
                             basis="《中华人民共和国政府信息公开条例》第十四条",
                             text="经审查，您申请的信息属于国家秘密。")
    with on(D(2024, 3, 8)):
        services.approve_reply(user=org["leader"], application_id=a.pk)
    expected_dates = {"correction": D(2024, 3, 5), "consultation": D(2024, 3, 6),
                      "fee": D(2024, 3, 6), "extension": D(2024, 3, 7), "reply": D(2024, 3, 8)}
    for kind, issued in expected_dates.items():
        name, content = letter(org, a, kind, D(2024, 3, 9))
        text = text_of(content)
        assert a.tracking_code in text and "张三" in text, kind
        assert chinese_date(issued) in text, kind
    reply_text = text_of(letter(org, a, "reply", D(2024, 3, 9))[1])
    assert OUTCOME_WORDING["withheld_state_secret"].decision in reply_text
    assert "请提供身份证明" in text_of(letter(org, a, "correction", D(2024, 3, 9))[1])
    assert "120" in text_of(letter(org, a, "fee", D(2024, 3, 9))[1])
    assert AuditEvent.objects.filter(action="letter_generated", subject_id=a.pk).count() == 8


def test_a_letter_for_a_step_not_taken_is_refused(handlers):
    a = register(handlers, received_on=D(2024, 3, 4))
    with pytest.raises(Conflict, match="补正"):
        letter(handlers, a, "correction", D(2024, 3, 5))
    with pytest.raises(Conflict, match="答复"):
        letter(handlers, a, "reply", D(2024, 3, 5))
    name, content = letter(handlers, a, "receipt", D(2024, 3, 5))
    assert a.tracking_code in text_of(content)
