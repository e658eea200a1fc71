"""Taking back a colleague's claim in the web UI: who holds it, a confirmation, the result."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from audit.models import AuditAction, AuditEvent
from testsupport.factories import submitted_item, task_for
from workflow import services as review

pytestmark = pytest.mark.postgres

QUEUE = "/app/review/"


def held(org, username, publication):
    task = task_for(org[username], publication)
    review.claim_task(user=org[username], task_id=task.pk)
    return task


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_a_colleague_of_the_section_sees_who_holds_the_task_and_takes_it_back(client, org):
    publication = submitted_item(org)
    task = held(org, "head_office", publication)
    holder = str(org["head_office"])
    client.force_login(org["head_office_2"])

    queue = page(client, QUEUE)
    assert f'data-testid="held-{task.pk}"' in queue and holder in queue
    task_page = page(client, f"/app/review/tasks/{task.pk}/")
    assert f"由 {holder} 签收于 " in task_page
    assert 'data-testid="take-back"' in task_page

    confirm = page(client, f"/app/review/tasks/{task.pk}/take-back/")
    assert holder in confirm and "确认收回" in confirm
    assert 'name="claim"' in confirm  # the step is theirs: they may claim it at once
    assert Task.objects.get(pk=task.pk).owner_id == org["head_office"].pk  # GET changes nothing

    response = client.post(f"/app/review/tasks/{task.pk}/take-back/", {"claim": "1"},
                           follow=True)
    assert response.status_code == 200
    assert "已收回签收，任务已由您签收。" in response.content.decode()
    task.refresh_from_db()
    assert task.status == STATUS.ASSIGNED and task.owner_id == org["head_office_2"].pk
    assert AuditEvent.objects.filter(subject_id=publication.pk,
                                     action=AuditAction.CLAIM_TAKEN_BACK).count() == 1


def test_a_leader_takes_back_without_claiming_and_the_task_returns_to_the_queue(client, org):
    publication = submitted_item(org)
    task = held(org, "head_office", publication)
    client.force_login(org["leader"])
    confirm = page(client, f"/app/review/tasks/{task.pk}/take-back/")
    assert 'name="claim"' not in confirm  # not their step
    response = client.post(f"/app/review/tasks/{task.pk}/take-back/", {"claim": "1"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == STATUS.NEW and task.owner_id is None


@pytest.mark.parametrize("who", ["secrecy", "leader_construction", "head_construction"])
def test_others_are_not_offered_it_and_cannot_post_it(client, org, who):
    publication = submitted_item(org)
    task = held(org, "head_office", publication)
    client.force_login(org[who])
    assert 'data-testid="take-back"' not in page(client, f"/app/review/tasks/{task.pk}/")
    assert f'data-testid="held-{task.pk}"' not in page(client, QUEUE)
    response = client.post(f"/app/review/tasks/{task.pk}/take-back/")
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).owner_id == org["head_office"].pk


def test_another_agency_gets_404(client, org, other_org):
    task = held(org, "head_office", submitted_item(org))
    client.force_login(other_org["head_office"])
    assert client.get(f"/app/review/tasks/{task.pk}/take-back/").status_code == 404
    assert client.post(f"/app/review/tasks/{task.pk}/take-back/").status_code == 404


def test_the_held_list_costs_the_same_for_few_and_many_rows(client, org):
    client.force_login(org["head_office_2"])
    held(org, "head_office", submitted_item(org))

    def queries():
        with CaptureQueriesContext(connection) as captured:
            page(client, QUEUE)
        return len(captured)

    few = queries()
    for _ in range(6):
        held(org, "head_office", submitted_item(org))
    assert page(client, QUEUE).count('<tr data-testid="held-') == 7
    assert queries() == few


def test_the_auditor_reads_who_held_the_claim_and_why_it_was_released(client, org):
    publication = submitted_item(org)
    task = held(org, "head_office", publication)
    review.take_back_claim(user=org["head_office_2"], task_id=task.pk)
    held(org, "head_office_2", publication)
    org["head_office_2"].is_active = False
    org["head_office_2"].save()

    client.force_login(org["auditor"])
    timeline = page(client, f"/app/audit/items/{publication.pk}/")
    assert "收回签收" in timeline and "签收自动释放" in timeline
    assert "原签收人" in timeline and org["head_office"].username in timeline
    assert "签收人已停用" in timeline
