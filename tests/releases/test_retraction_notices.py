"""Notices of retraction requests (撤稿申请): the covering leaders hear of a publisher's
request, on the request's page; the publisher hears of the decision, with the comment."""

import pytest
from django.core import mail

from agencies.models import Role, User
from core.errors import InvalidInput
from notifications.models import Notification
from releases.services import decide_retraction, request_retraction
from tests.releases.helpers import approved
from testsupport.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://gk.example.gov.cn"


@pytest.fixture
def item(org, django_capture_on_commit_callbacks):
    return approved(org, ["website"], django_capture_on_commit_callbacks, title="关于停水的通知")


def notices(kind):
    return {n.recipient.username: n for n in Notification.objects.filter(kind=kind)
            .select_related("recipient")}


def test_a_request_tells_the_active_leaders_covering_the_section(org, item):
    retired = make_user(org.agency, "leader_retired", [Role.LEADER], covered=[
        org.sections["office"]], is_active=False)
    assert retired.pk
    request = request_retraction(user=org["publisher"], publication_id=item.pk,
                                 reason="停水时间有误")
    told = notices("retraction_requested")
    # leader_construction covers another section; nobody else decides
    assert set(told) == {"leader"}
    notice = told["leader"]
    assert notice.path == f"/app/review/retractions/{request.pk}/"
    assert notice.message == "停水时间有误" and notice.publication == item
    assert notice.headline == "有撤稿申请待您审批"


def test_nobody_hears_of_their_own_request_or_decision(org, item):
    both = make_user(org.agency, "publishing_leader", [Role.PUBLISHER, Role.LEADER],
                     covered=[org.sections["office"]])
    request = request_retraction(user=both, publication_id=item.pk, reason="重复发布")
    assert set(notices("retraction_requested")) == {"leader"}
    decide_retraction(user=both, request_id=request.pk, approve=False, comment="不撤")
    assert not Notification.objects.filter(kind="retraction_declined").exists()


def test_approval_tells_the_publisher_on_the_items_page(
        org, item, django_capture_on_commit_callbacks):
    User.objects.filter(pk=org["publisher"].pk).update(email="publisher@example.gov.cn")
    request = request_retraction(user=org["publisher"], publication_id=item.pk, reason="有误")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decide_retraction(user=org["leader"], request_id=request.pk, approve=True,
                          comment="同意撤稿")
    [notice] = Notification.objects.filter(kind="retraction_approved")
    assert notice.recipient == org["publisher"] and notice.path == f"/app/items/{item.pk}/"
    assert notice.message == "同意撤稿" and notice.headline == "您的撤稿申请已批准，信息已撤稿"
    [message] = mail.outbox
    assert message.to == ["publisher@example.gov.cn"]
    assert "您的撤稿申请已批准" in message.subject and "审批意见：同意撤稿" in message.body
    assert not Notification.objects.filter(kind="retraction_declined").exists()


def test_a_refusal_tells_the_publisher_why(org, item):
    request = request_retraction(user=org["publisher"], publication_id=item.pk, reason="有误")
    with pytest.raises(InvalidInput):
        decide_retraction(user=org["leader"], request_id=request.pk, approve=False, comment="")
    assert not Notification.objects.filter(kind="retraction_declined").exists()
    decide_retraction(user=org["leader"], request_id=request.pk, approve=False,
                      comment="信息无误")
    [notice] = Notification.objects.filter(kind="retraction_declined")
    assert notice.recipient == org["publisher"] and notice.message == "信息无误"
    assert notice.headline == "您的撤稿申请未获批准"
    assert not Notification.objects.filter(kind="retraction_approved").exists()
