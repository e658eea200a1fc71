"""Two people acting on one task at the same moment, from two database connections."""

import threading

import pytest
from django.db import connection
from viewflow.workflow.models import Task

from audit.selectors import subject_trail
from testsupport.factories import api, make_org, submitted_item, task_for

pytestmark = [pytest.mark.usefixtures("committed_db"), pytest.mark.postgres]

REPEATS = 20


def race(*calls):
    """Run the calls at the same instant, each on its own thread and connection."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("second_action", ["approve", "reject"])
def test_two_heads_deciding_one_task_at_once_yields_one_decision_and_one_409(second_action):
    org = make_org()
    first, second = org["head_office"], org["head_office_2"]
    for _ in range(REPEATS):
        publication = submitted_item(org)
        task = task_for(first, publication)
        responses = race(
            lambda task=task: api(first).post(f"/api/v1/tasks/{task.pk}/approve/",
                                              {"comment": "同意"},
                                    format="json"),
            lambda task=task: api(second).post(f"/api/v1/tasks/{task.pk}/{second_action}/",
                                     {"comment": "不同意"}, format="json"),
        )
        codes = sorted(r.status_code for r in responses)
        assert codes == [200, 409], [r.json() for r in responses]
        loser = next(r for r in responses if r.status_code == 409)
        assert "已由他人处理" in loser.json()["detail"]
        decisions = subject_trail(subject=publication).filter(action__in=["approve", "reject"])
        assert decisions.count() == 1
        task.refresh_from_db()
        assert task.status == "DONE"
        # the round moved on exactly once: one open secrecy task, or none after a reject
        open_tasks = Task.objects.filter(process_id=task.process_id, status="NEW").count()
        assert open_tasks == (1 if decisions.get().action == "approve" else 0)


def test_two_heads_claiming_one_task_at_once_yields_one_owner():
    org = make_org()
    first, second = org["head_office"], org["head_office_2"]
    for _ in range(REPEATS):
        publication = submitted_item(org)
        task = task_for(first, publication)
        responses = race(
            lambda task=task: api(first).post(f"/api/v1/tasks/{task.pk}/claim/"),
            lambda task=task: api(second).post(f"/api/v1/tasks/{task.pk}/claim/"),
        )
        assert sorted(r.status_code for r in responses) == [200, 409]
        assert subject_trail(subject=publication).filter(action="claim").count() == 1


def test_withdraw_racing_the_last_approval_never_releases_a_withdrawn_item():
    org = make_org()
    for _ in range(5):
        publication = submitted_item(org)
        for username in ("head_office", "secrecy"):
            api(org[username]).post(
                f"/api/v1/tasks/{task_for(org[username], publication).pk}/approve/")
        task = task_for(org["leader"], publication)
        responses = race(
            lambda task=task: api(org["leader"]).post(f"/api/v1/tasks/{task.pk}/approve/"),
            lambda pid=publication.pk: api(org["drafter_office"]).post(
                f"/api/v1/publications/{pid}/withdraw/"),
        )
        assert sorted(r.status_code for r in responses) == [200, 409]
        publication.refresh_from_db()
        assert publication.status in ("approved", "withdrawn")
        assert (publication.releases.count() > 0) == (publication.status == "approved")
