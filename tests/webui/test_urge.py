"""催办: a section head or covering leader urges the holder of a review task, on the task's
page; the holder hears at once, the trail keeps it, the page lists it."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from core.errors import Conflict, InvalidInput, NotPermitted
from notifications.models import Notification
from testsupport.factories import submitted_item, task_for
from workflow import services as review

pytestmark = pytest.mark.postgres


def held(org, username, publication):
    task = task_for(org[username], publication)
    review.claim_task(user=org[username], task_id=task.pk)
    return task


def url(task, action=""):
    return f"/app/review/tasks/{task.pk}/{action}"


def urged_notices(**filters):
    return sorted(n.recipient.username for n in Notification.objects.filter(
        kind="task_urged", **filters).select_related("recipient"))


def test_a_section_head_urges_the_holder_who_is_told_at_once(
        client, org, django_capture_on_commit_callbacks):
    org["head_office"].email = "head@example.com"
    org["head_office"].save(update_fields=["email"])
    publication = submitted_item(org)
    task = held(org, "head_office", publication)
    client.force_login(org["head_office_2"])
    page = client.get(url(task)).content.decode()
    assert 'data-testid="urge-form"' in page and "将立即通知签收人" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(task, "urge/"), {"message": "请今天内审完，期限将至。"},
                               follow=True)
    assert response.status_code == 200
    shown = response.content.decode()
    assert "已催办，对方已收到通知。" in shown
    assert 'data-testid="urge-list"' in shown and "请今天内审完，期限将至。" in shown
    assert f"{org['head_office_2']} 于 " in shown

    notice = Notification.objects.get(kind="task_urged")
    assert notice.recipient == org["head_office"] and notice.task_id == task.pk
    assert notice.message == f"{org['head_office_2']}：请今天内审完，期限将至。"
    assert notice.path == url(task)
    assert [m.to for m in mail.outbox] == [["head@example.com"]]
    assert "催办" in mail.outbox[0].subject
    event = AuditEvent.objects.get(action=AuditAction.URGE)
    assert (event.actor, event.subject_id, event.tier) == (
        org["head_office_2"], publication.pk, "section_head_review")
    assert event.comment == "请今天内审完，期限将至。"
    assert event.data == {"task": task.pk, "holder": org["head_office"].username,
                          "holder_id": org["head_office"].pk}


def test_the_holder_sees_the_urge_on_the_task_page(client, org):
    publication = submitted_item(org)
    task = held(org, "head_office", publication)
    review.urge_task(user=org["leader"], task_id=task.pk, message="请抓紧")
    client.force_login(org["head_office"])
    page = client.get(url(task)).content.decode()
    assert "请抓紧" in page and f"{org['leader']} 于 " in page
    assert 'data-testid="urge-form"' not in page  # not their own task


def test_an_unclaimed_task_is_urged_to_everyone_who_may_take_it(org):
    publication = submitted_item(org)
    task = task_for(org["head_office"], publication)
    review.urge_task(user=org["leader"], task_id=task.pk, message="请尽快签收")
    assert urged_notices() == ["drafting_head", "head_office", "head_office_2"]
    assert AuditEvent.objects.get(action=AuditAction.URGE).data["holder"] == ""


@pytest.mark.parametrize("who", ["secrecy", "head_construction", "leader_construction",
                                 "drafter_office"])
def test_others_are_not_offered_it_and_get_403(client, org, who):
    publication = submitted_item(org)
    task = held(org, "head_office", publication)
    client.force_login(org[who])
    response = client.get(url(task))
    if response.status_code == 200:  # a drafter has no reviewers' pages at all
        assert 'data-testid="urge-form"' not in response.content.decode()
    response = client.post(url(task, "urge/"), {"message": "快点"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.URGE).exists()
    assert urged_notices() == []


def test_the_holder_cannot_urge_themselves(org):
    task = held(org, "head_office", submitted_item(org))
    with pytest.raises(NotPermitted):
        review.urge_task(user=org["head_office"], task_id=task.pk, message="催自己")


def test_another_agency_gets_404(client, org, other_org):
    task = held(org, "head_office", submitted_item(org))
    client.force_login(other_org["head_office"])
    assert client.post(url(task, "urge/"), {"message": "快点"}).status_code == 404


def test_get_is_not_allowed(client, org):
    task = held(org, "head_office", submitted_item(org))
    client.force_login(org["leader"])
    assert client.get(url(task, "urge/")).status_code == 405


@pytest.mark.parametrize("message", ["", "   ", "长" * 501])
def test_an_empty_or_too_long_message_is_422_with_the_reason(client, org, message):
    task = held(org, "head_office", submitted_item(org))
    client.force_login(org["leader"])
    response = client.post(url(task, "urge/"), {"message": message})
    assert response.status_code == 422
    page = response.content.decode()
    assert "请填写催办内容。" in page or "500" in page
    assert not AuditEvent.objects.filter(action=AuditAction.URGE).exists()
    with pytest.raises(InvalidInput):
        review.urge_task(user=org["leader"], task_id=task.pk, message=message)


def test_one_urge_per_task_and_person_an_hour(client, org):
    task = held(org, "head_office", submitted_item(org))
    client.force_login(org["leader"])
    assert client.post(url(task, "urge/"), {"message": "第一次"}).status_code == 302
    again = client.post(url(task, "urge/"), {"message": "第二次"})
    assert again.status_code == 422
    page = again.content.decode()
    assert "一小时内已催办过" in page and "第二次" in page  # the message as typed
    # a colleague may still urge, and the leader again an hour later
    review.urge_task(user=org["head_office_2"], task_id=task.pk, message="科室也催")
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=61)):
        review.urge_task(user=org["leader"], task_id=task.pk, message="一小时后")
    assert AuditEvent.objects.filter(action=AuditAction.URGE).count() == 3
    assert urged_notices() == ["head_office"] * 3


def test_a_decided_task_cannot_be_urged(org):
    publication = submitted_item(org)
    task = held(org, "head_office", publication)
    review.approve_task(user=org["head_office"], task_id=task.pk)
    with pytest.raises(Conflict):
        review.urge_task(user=org["leader"], task_id=task.pk, message="快点")


def test_the_item_page_links_to_the_task_for_those_who_may_urge(client, org):
    publication = submitted_item(org)
    task = held(org, "head_office", publication)
    client.force_login(org["leader"])
    page = client.get(f"/app/items/{publication.pk}/").content.decode()
    assert f'href="{url(task)}#urge" data-testid="urge-link"' in page
    client.force_login(org["head_office"])
    assert 'data-testid="urge-link"' not in client.get(
        f"/app/items/{publication.pk}/").content.decode()


def test_the_task_page_costs_the_same_for_one_and_many_urges(client, org):
    task = held(org, "head_office", submitted_item(org))
    review.urge_task(user=org["leader"], task_id=task.pk, message="一")
    client.force_login(org["head_office_2"])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(task)).status_code == 200
        return len(captured)

    few = queries()
    for minutes in range(1, 6):
        with time_machine.travel(timezone.now() + dt.timedelta(hours=minutes)):
            review.urge_task(user=org["leader"], task_id=task.pk, message=f"第{minutes}次")
    assert client.get(url(task)).content.decode().count("于 ") >= 6
    assert queries() == few


def test_the_auditor_reads_the_urge_in_the_items_trail(client, org):
    publication = submitted_item(org)
    task = held(org, "head_office", publication)
    review.urge_task(user=org["leader"], task_id=task.pk, message="请按期办结")
    client.force_login(org["auditor"])
    response = client.get(f"/app/audit/items/{publication.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "催办" in page and "请按期办结" in page
