"""Group robots (notifications.messengers): 企业微信 and 钉钉 bodies, 钉钉's signature,
retries, and which robot hears of what — against a loopback robot."""

import datetime as dt
import json

import pytest
import time_machine
from celery.exceptions import Retry

from audit.models import AuditEvent
from config.celery import app
from notifications import messengers
from notifications.models import MessengerHook
from testsupport.factories import submitted_item
from testsupport.messenger_receiver import Robot

pytestmark = pytest.mark.django_db

DINGTALK_SECRET = "SEC0123456789abcdef-test-signing-secret"
BEIJING = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def robot():
    with Robot() as r:
        yield r


@pytest.fixture
def dingtalk_robot():
    with Robot(dingtalk_secret=DINGTALK_SECRET) as r:
        yield r


def hook(org, robot_url, kind="wecom", section=None, **extra):
    return MessengerHook.objects.create(agency=org.agency, section=section, name=f"{kind} 群",
                                        kind=kind, url_with_token=robot_url, **extra)


def test_wecom_gets_a_text_message_at_its_address(org, robot):
    messengers.send(hook(org, robot.url()), "待您科室审核：《通知》")
    [request] = robot.received
    assert request["body"] == {"msgtype": "text", "text": {"content": "待您科室审核：《通知》"}}
    assert request["query"] == {"key": ["test-robot-key"]}


def test_dingtalk_signs_with_hmac_sha256_of_the_timestamp_and_secret(org, dingtalk_robot):
    messengers.send(hook(org, dingtalk_robot.url("access_token=abc"), kind="dingtalk",
                         secret=DINGTALK_SECRET), "信息发布失败")
    [request] = dingtalk_robot.received
    assert request["signed"] is True
    assert request["query"]["access_token"] == ["abc"]
    assert request["body"] == {"msgtype": "text", "text": {"content": "信息发布失败"}}


def test_a_wrong_dingtalk_secret_is_a_refusal_not_retried(org, dingtalk_robot):
    wrong = hook(org, dingtalk_robot.url("access_token=abc"), kind="dingtalk",
                 secret="SECwrong")
    with pytest.raises(messengers.MessengerRefused):
        messengers.send(wrong, "x")
    assert messengers.send_to_messenger(wrong.pk, "x") is False
    assert len(dingtalk_robot.received) == 2


def test_a_5xx_is_retried_with_backoff_until_the_robot_answers(org, robot):
    target = hook(org, robot.url())
    robot.script = [503]
    app.conf.task_always_eager = False  # as on a worker
    try:
        with pytest.raises(Retry):
            messengers.send_to_messenger(target.pk, "待您科室审核")
    finally:
        app.conf.task_always_eager = True
    assert messengers.send_to_messenger(target.pk, "待您科室审核") is True
    assert [r["status"] for r in robot.received] == [503, 200]
    assert robot.texts() == ["待您科室审核"]


def test_an_unreachable_robot_is_unavailable(org):
    with pytest.raises(messengers.MessengerUnavailable):
        messengers.send(hook(org, "http://127.0.0.1:9/send?key=x"), "x")


def test_the_section_robot_hears_of_its_items_instead_of_the_agency_robot(
        org, django_capture_on_commit_callbacks):
    with Robot() as office_robot, Robot() as agency_robot:
        hook(org, office_robot.url(), section=org.sections["office"])
        hook(org, agency_robot.url())
        with django_capture_on_commit_callbacks(execute=True):
            office_item = submitted_item(org, title="办公室的信息")
        # three heads told of one task: one group message, with the task's link
        [text] = office_robot.texts()
        assert "《办公室的信息》" in text and "科室审核" in text and "/app/review/tasks/" in text
        assert agency_robot.received == []
        with django_capture_on_commit_callbacks(execute=True):
            submitted_item(org, "drafter_construction", title="建筑业的信息")
        assert ["建筑业的信息" in t for t in agency_robot.texts()] == [True]
        assert len(office_robot.received) == 1
        assert office_item.pk


def test_only_the_kinds_a_robot_forwards_and_nothing_in_quiet_hours_unless_urgent(
        org, robot, settings, django_capture_on_commit_callbacks):
    hook(org, robot.url(), kinds=["release_failed"])
    with django_capture_on_commit_callbacks(execute=True):
        submitted_item(org)
    assert robot.received == []
    MessengerHook.objects.update(kinds=["task_queued"])
    settings.NOTIFICATION_QUIET_HOURS = True
    with time_machine.travel(dt.datetime(2024, 10, 23, 22, tzinfo=BEIJING), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            submitted_item(org, formed_on=dt.date(2024, 10, 21))
    assert robot.received == []
    with time_machine.travel(dt.datetime(2024, 10, 23, 10, tzinfo=BEIJING), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            submitted_item(org, formed_on=dt.date(2024, 10, 21))
    assert len(robot.texts()) == 1


def test_the_agency_admin_adds_a_robot_and_its_key_and_secret_stay_out_of_the_trail(
        client, org):
    admin = org["admin"]
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    url = "https://oapi.dingtalk.com/robot/send?access_token=tok-very-secret-123"
    response = client.post("/admin/notifications/messengerhook/add/", {
        "agency": org.agency.pk, "section": org.sections["office"].pk, "name": "办公室钉钉群",
        "kind": "dingtalk", "url_with_token": url, "secret": DINGTALK_SECRET,
        "kinds": json.dumps(["task_queued"]), "is_active": "on"})
    assert response.status_code == 302
    saved = MessengerHook.objects.get()
    assert saved.agency == org.agency and saved.secret == DINGTALK_SECRET
    [event] = AuditEvent.objects.filter(agency=org.agency, action="config_changed")
    changes = event.data["changes"]
    assert changes["url_with_token"] == {"changed": True}
    assert changes["secret"] == {"changed": True}
    trail = json.dumps(list(AuditEvent.objects.values_list("data", flat=True)))
    assert "tok-very-secret-123" not in trail and DINGTALK_SECRET not in trail


def test_another_agencys_robots_are_not_shown(client, org, other_org):
    hook(other_org, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=other")
    admin = org["admin"]
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    page = client.get("/admin/notifications/messengerhook/")
    assert page.status_code == 200 and "wecom 群" not in page.content.decode()
