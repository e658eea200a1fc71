"""The letters: every kind and every outcome renders a .docx Word opens, naming the
applicant, the tracking code, the legal wording and the date; an agency's own wording
replaces the platform's for that agency only; a template that would not render is refused
with what to fix; agency admins edit, preview and are audited in the admin."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from docx import Document

from applications.fees import compute_fee
from applications.letters import (
    TEMPLATE_VARIABLES,
    LetterContext,
    LetterKind,
    LetterTemplate,
    render_letter,
    sample_context,
    validate_template,
    wording_for,
)
from applications.outcomes import OUTCOME_GROUP, Outcome, OutcomeGroup, default_basis
from audit.config_changes import PLATFORM_CODE
from audit.models import AuditEvent
from testsupport.factories import make_user

ISSUED = dt.date(2026, 12, 2)
RECEIVED = dt.date(2026, 11, 9)


def context(**overrides) -> LetterContext:
    values = {
        "agency_name": "温县住房和城乡建设局", "section_name": "办公室",
        "tracking_code": "YSQ-2026-7K3QXD", "applicant_name": "李四",
        "received_on": RECEIVED, "submitted_on": RECEIVED,
        "content": "2025年老旧小区改造项目清单", "issued_on": ISSUED,
    }
    values.update(overrides)
    return LetterContext(**values)


def docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    return "\n".join(p.text for p in document.paragraphs)


def paragraphs(data: bytes) -> list:
    return Document(io.BytesIO(data)).paragraphs


def assert_letter_basics(text: str):
    assert "李四" in text
    assert "YSQ-2026-7K3QXD" in text
    assert "2026年12月2日" in text
    assert "温县住房和城乡建设局" in text


# ------------------------------------------------------------------ the kinds

@pytest.mark.django_db
@pytest.mark.parametrize("outcome", Outcome.values)
def test_every_outcome_gives_a_reply_with_its_legal_wording_and_basis(outcome):
    ctx = context(outcome=outcome, reply_text="答复正文在此。", reply_on=ISSUED)
    text = docx_text(render_letter(kind=LetterKind.REPLY, context=ctx))
    assert_letter_basics(text)
    wording = wording_for(outcome)
    assert wording.finding in text and wording.decision in text
    assert default_basis(outcome) in text
    assert "答复正文在此。" in text
    assert "2026年11月9日" in text  # the date received
    assert "六十日内" in text and "行政诉讼" in text  # the applicant's remedies


@pytest.mark.django_db
@pytest.mark.parametrize("group", OutcomeGroup.values)
def test_each_reply_group_has_its_own_title(group):
    outcome = next(code for code, g in OUTCOME_GROUP.items() if g == group)
    document = Document(io.BytesIO(render_letter(
        kind=LetterKind.REPLY, context=context(outcome=outcome), outcome_group=group)))
    heading, title, number = (p.text for p in document.paragraphs[:3])
    assert heading == "温县住房和城乡建设局"
    assert title.startswith("政府信息") and title.endswith(("答复书", "告知书"))
    assert number == "申请编号：YSQ-2026-7K3QXD"


def test_a_reply_group_that_contradicts_the_outcome_is_a_programming_error():
    with pytest.raises(ValueError):
        render_letter(kind=LetterKind.REPLY, context=context(outcome="disclosed"),
                      outcome_group=OutcomeGroup.WITHHELD)
    with pytest.raises(ValueError):
        render_letter(kind=LetterKind.REPLY, context=context())
    with pytest.raises(ValueError):
        context(outcome="lost")


@pytest.mark.django_db
def test_information_of_another_agency_names_the_competent_agency():
    ctx = context(outcome=Outcome.UNABLE_NOT_HELD, competent_agency="温县自然资源局",
                  competent_agency_contact="0391-6100000")
    text = docx_text(render_letter(kind=LetterKind.REPLY, context=ctx))
    assert "不属于本机关负责公开" in text
    assert "负责公开该政府信息的行政机关为温县自然资源局" in text
    assert "0391-6100000" in text
    assert "第三十六条第（五）项" in text and "第三十六条第（四）项" not in text
    # without one, the information does not exist (36(四))
    text = docx_text(render_letter(kind=LetterKind.REPLY,
                                   context=context(outcome=Outcome.UNABLE_NOT_HELD)))
    assert "该政府信息不存在" in text and "第三十六条第（四）项" in text


@pytest.mark.django_db
def test_the_handlers_basis_replaces_the_default():
    ctx = context(outcome=Outcome.WITHHELD_STATE_SECRET,
                  basis="《中华人民共和国保守国家秘密法》第二条")
    text = docx_text(render_letter(kind=LetterKind.REPLY, context=ctx))
    assert "根据《中华人民共和国保守国家秘密法》第二条的规定" in text


@pytest.mark.django_db
def test_correction_notice_lists_the_items_and_the_deadline_for_correcting():
    ctx = context(correction_items="请写明项目名称\n请写明所需年份",
                  correction_due_on=dt.date(2026, 12, 23))
    text = docx_text(render_letter(kind=LetterKind.CORRECTION, context=ctx))
    assert_letter_basics(text)
    assert "第三十条" in text
    assert "1. 请写明项目名称\n2. 请写明所需年份" in text
    assert "2026年12月23日前" in text and "视为放弃申请" in text


@pytest.mark.django_db
def test_extension_notice_gives_the_reason_and_the_new_deadline():
    ctx = context(extension_reason="所申请信息数量较多，需要调取档案",
                  deadline=dt.date(2026, 12, 7), new_deadline=dt.date(2027, 1, 5))
    text = docx_text(render_letter(kind=LetterKind.EXTENSION, context=ctx))
    assert_letter_basics(text)
    assert "第三十三条第二款" in text
    assert "因所申请信息数量较多，需要调取档案" in text
    assert "2027年1月5日前作出答复" in text


@pytest.mark.django_db
def test_consultation_letter_asks_the_third_party_within_15_working_days():
    ctx = context(third_party_name="温县某建筑有限公司",
                  consultation_due_on=dt.date(2026, 12, 23))
    document = Document(io.BytesIO(render_letter(kind=LetterKind.CONSULTATION, context=ctx)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert_letter_basics(text)
    assert "温县某建筑有限公司：" in text  # addressed to the third party
    assert "第三十二条" in text and "十五个工作日内" in text and "2026年12月23日前" in text


@pytest.mark.django_db
def test_fee_notice_shows_the_computation_and_the_pay_by_date():
    ctx = context(fee=compute_fee("per_page", 250), fee_pay_by=dt.date(2027, 1, 4))
    with translation.override("en"):  # a letter is Chinese whoever prints it
        text = docx_text(render_letter(kind=LetterKind.FEE, context=ctx))
    assert_letter_basics(text)
    assert "按量计收" in text
    assert "第 201–250 页：40 元/页 × 50 页 = 2,000 元" in text
    assert "合计：4,700 元" in text and "人民币4,700元" in text
    assert "2027年1月4日前" in text
    assert "第四十二条" in text and "国办函〔2020〕109号" in text


@pytest.mark.django_db
def test_receipt_says_what_happens_next_and_how_to_check_the_status():
    ctx = context(received_on=None, status_url="https://gk.example.gov.cn/gk/wx/apply/status/")
    text = docx_text(render_letter(kind=LetterKind.RECEIPT, context=ctx))
    assert_letter_basics(text)
    assert "2026年11月9日提交成功" in text
    assert "第三十一条" in text and "二十个工作日内答复" in text
    assert "https://gk.example.gov.cn/gk/wx/apply/status/" in text and "后四位" in text


@pytest.mark.django_db
def test_the_letter_is_laid_out_as_an_official_document():
    document = Document(io.BytesIO(render_letter(
        kind=LetterKind.CORRECTION, context=context(correction_items=("写明年份",)))))
    heading, title = document.paragraphs[0], document.paragraphs[1]
    assert heading.alignment == title.alignment == 1  # centred
    date, signature = document.paragraphs[-1], document.paragraphs[-2]
    assert date.text == "2026年12月2日" and signature.text == "温县住房和城乡建设局"
    assert date.alignment == signature.alignment == 2  # right
    east_asia = document.styles["Normal"].element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
    assert east_asia == "仿宋"


@pytest.mark.django_db
def test_the_same_letter_gives_the_same_bytes():
    ctx = context(outcome="disclosed")
    assert render_letter(kind="reply", context=ctx) == render_letter(kind="reply", context=ctx)


@pytest.mark.django_db
def test_control_characters_an_applicant_typed_do_not_break_the_document():
    ctx = context(applicant_name="李\x00四\x07", content="清单\x1b\ufffe（2025）\r\n第二行")
    text = docx_text(render_letter(kind=LetterKind.CORRECTION, context=ctx))
    assert "李四" in text and "清单（2025）" in text


def test_the_documented_variables_are_the_variables_a_letter_has():
    assert set(TEMPLATE_VARIABLES) == set(context(outcome="disclosed").variables())


# ------------------------------------------------------------------ agency templates

@pytest.mark.django_db
def test_an_agency_template_replaces_the_default_for_that_agency_only(org, other_org):
    LetterTemplate.objects.create(
        agency=org.agency, kind=LetterKind.CORRECTION, title="补正通知（本局格式）",
        body="{{ applicant_name }}：\n\n请补正申请 {{ tracking_code }}，本局专用措辞。")
    ours = docx_text(render_letter(kind="correction", context=context(), agency=org.agency))
    assert "本局专用措辞" in ours and "补正通知（本局格式）" in ours
    theirs = docx_text(render_letter(kind="correction", context=context(),
                                     agency=other_org.agency))
    assert "本局专用措辞" not in theirs and "政府信息公开申请补正告知书" in theirs
    # and only for that kind
    reply = docx_text(render_letter(kind="reply", context=context(outcome="disclosed"),
                                    agency=org.agency.pk))
    assert "本局专用措辞" not in reply


@pytest.mark.django_db
def test_a_platform_template_applies_where_an_agency_has_none(org, other_org):
    body = "{{ applicant_name }}：\n\n{{ outcome_finding }}。%s措辞。"
    LetterTemplate.objects.create(kind=LetterKind.REPLY, outcome_group=OutcomeGroup.WITHHELD,
                                  title="不予公开告知书（平台）", body=body % "平台")
    LetterTemplate.objects.create(agency=org.agency, kind=LetterKind.REPLY,
                                  outcome_group=OutcomeGroup.WITHHELD,
                                  title="不予公开告知书（本局）", body=body % "本局")
    ctx = context(outcome=Outcome.WITHHELD_PROCESS_INFO)
    assert "本局措辞" in docx_text(render_letter(kind="reply", context=ctx, agency=org.agency))
    assert "平台措辞" in docx_text(render_letter(kind="reply", context=ctx,
                                             agency=other_org.agency))
    assert "平台措辞" in docx_text(render_letter(kind="reply", context=ctx))
    # another group still has the default
    text = docx_text(render_letter(kind="reply", context=context(outcome="disclosed"),
                                   agency=org.agency))
    assert "政府信息公开申请答复书" in text


# ------------------------------------------------------------------ refusing broken templates

def refusal(body: str) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_template(body)
    return " ".join(caught.value.messages)


def test_a_template_with_a_syntax_error_is_refused_with_its_line():
    message = refusal("{{ applicant_name }}：\n\n{% if fee %}收费")
    assert "第 3 行有语法错误" in message and "endif" in message


def test_a_misspelt_variable_is_refused_with_the_likely_name():
    message = refusal("{{ applicant_name }}：\n\n您的申请 {{ traking_code }} 已收到。")
    assert "第 3 行的变量 “traking_code” 不存在" in message and "“tracking_code”" in message
    assert "“fee.total”" in refusal("{{ fee.total }}")
    assert "forloop.countr" in refusal(
        "{% for item in correction_items %}{{ forloop.countr }}{% endfor %}")
    assert "“item”" in refusal("{% for item in correction_items %}{% endfor %}{{ item }}")


def test_a_variable_in_a_condition_or_filter_is_checked_too():
    assert "“competent”" in refusal("{% if competent and basis %}x{% endif %}")
    assert "“basiss”" in refusal("{{ reply_text|default:basiss }}")


def test_tags_that_reach_outside_the_letter_are_refused():
    assert "{% include %}" in refusal("{% include 'admin/base.html' %}")
    assert "{% now %}" in refusal("{% now 'Y' %}")
    assert "语法错误" in refusal("{% load static %}")


def test_a_correct_template_passes():
    validate_template("{{ applicant_name }}：\n\n{% for line in fee_lines %}{{ forloop.counter }}"
                      "{{ line }}{% empty %}无{% endfor %}{% with n=fee_amount %}{{ n }}"
                      "{% endwith %}{% if not fee %}免费{% endif %}{# 注释 #}")


@pytest.mark.django_db
def test_a_stored_template_is_validated_and_a_reply_needs_its_group(org):
    template = LetterTemplate(agency=org.agency, kind=LetterKind.REPLY, title="答复",
                              body="{{ applicant_nam }}")
    with pytest.raises(ValidationError) as caught:
        template.full_clean()
    assert set(caught.value.message_dict) == {"outcome_group", "body"}
    template = LetterTemplate(agency=org.agency, kind=LetterKind.FEE, title="收费",
                              outcome_group=OutcomeGroup.OTHER, body="{{ fee_amount }}")
    with pytest.raises(ValidationError) as caught:
        template.full_clean()
    assert set(caught.value.message_dict) == {"outcome_group"}


# ------------------------------------------------------------------ the admin

@pytest.fixture
def agency_admin(org):
    admin = org["admin"]
    admin.is_staff = True
    admin.save()
    return admin


ADD = "/admin/applications/lettertemplate/add/"


def form(**overrides):
    data = {"kind": "correction", "outcome_group": "", "title": "补正告知书",
            "body": "{{ applicant_name }}：\n\n请补正 {{ tracking_code }}。"}
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_the_add_form_starts_from_the_wording_in_force(client, agency_admin):
    client.force_login(agency_admin)
    page = client.get(ADD + "?kind=fee").content.decode()
    assert "政府信息公开信息处理费收费通知书" in page and "fee_lines" in page
    page = client.get(ADD + "?kind=reply&outcome_group=unable")
    assert "competent_agency_contact" in page.content.decode()
    assert 'id="letter-defaults"' in page.content.decode()


@pytest.mark.django_db
def test_an_agency_admin_saves_a_template_for_their_agency_and_it_is_audited(
        client, org, other_org, agency_admin):
    client.force_login(agency_admin)
    # whatever agency the form claims, the template is the admin's agency's
    response = client.post(ADD, form(agency=other_org.agency.pk))
    assert response.status_code == 302
    template = LetterTemplate.objects.get()
    assert template.agency == org.agency
    [event] = AuditEvent.objects.filter(agency=org.agency, action="config_changed")
    assert event.data["model"] == "applications.lettertemplate"
    assert event.data["operation"] == "add"
    # a second one of the same kind is refused with a message, not a crash
    response = client.post(ADD, form())
    assert response.status_code == 200
    assert "该机关已有这一文书的模板" in response.content.decode()
    assert LetterTemplate.objects.count() == 1


@pytest.mark.django_db
def test_the_operator_words_the_platforms_letters_in_the_platforms_chain(client):
    client.force_login(make_user(None, "operator", [], is_staff=True, is_superuser=True))
    response = client.post(ADD, form(agency=""))
    assert response.status_code == 302
    assert LetterTemplate.objects.get().agency is None
    [event] = AuditEvent.objects.filter(action="config_changed")
    assert event.agency.code == PLATFORM_CODE


@pytest.mark.django_db
def test_the_admin_refuses_a_broken_template_saying_what_to_fix(client, agency_admin):
    client.force_login(agency_admin)
    response = client.post(ADD, form(body="{{ applicant_name }}：\n\n{{ recieved_on }}"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "第 3 行的变量 “recieved_on” 不存在" in page and "“received_on”" in page
    assert not LetterTemplate.objects.exists()


@pytest.mark.django_db
def test_preview_downloads_the_letter_with_sample_data_without_saving(client, org, agency_admin):
    client.force_login(agency_admin)
    response = client.post(ADD, {**form(), "_preview": "1"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    text = docx_text(response.content)
    assert "请补正 YSQ-2026-7K3QXD。" in text and org.agency.name in text
    assert not LetterTemplate.objects.exists()
    # a broken one shows the form's errors instead
    response = client.post(ADD, {**form(body="{% if %}"), "_preview": "1"})
    assert response.status_code == 200 and "语法错误" in response.content.decode()


@pytest.mark.django_db
def test_an_agency_admin_sees_and_reaches_only_their_agencys_templates(
        client, org, other_org, agency_admin):
    theirs = LetterTemplate.objects.create(agency=other_org.agency, kind="fee", title="他局收费",
                                           body="{{ fee_amount }}")
    client.force_login(agency_admin)
    listing = client.get("/admin/applications/lettertemplate/").content.decode()
    assert "他局收费" not in listing
    assert client.get(f"/admin/applications/lettertemplate/{theirs.pk}/change/").status_code == 404


@pytest.mark.django_db
def test_every_sample_letter_renders(org):
    for kind in LetterKind.values:
        for group in (OutcomeGroup.values if kind == "reply" else [""]):
            ctx = sample_context(kind=kind, outcome_group=group, agency_name=org.agency.name)
            assert ctx.tracking_code in docx_text(render_letter(kind=kind, context=ctx))
