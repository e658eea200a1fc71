"""Pinned SQL statement counts of the queue and of every transition.

A change here means a hot path got cheaper or dearer: update the pin only on purpose.
Inside a test transaction the services' BEGIN/COMMIT appear as SAVEPOINT/RELEASE.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from publications.services import create_publication, update_publication
from scanning.services import scan_if_missing
from testsupport.factories import api, create_item, item_data, submitted_item, task_for
from workflow import services as review

pytestmark = pytest.mark.django_db


def queue_queries(user):
    with CaptureQueriesContext(connection) as ctx:
        response = api(user).get("/api/v1/tasks/")
    assert response.status_code == 200
    return len(ctx), response.json()["count"]


def test_task_queue_query_count_is_the_same_for_5_and_500_open_tasks(org):
    for _ in range(5):
        submitted_item(org)
    small, count = queue_queries(org["head_office"])
    assert count == 5
    for _ in range(495):
        submitted_item(org)
    large, count = queue_queries(org["head_office"])
    assert count == 500
    assert small == large
    for username in ("secrecy", "leader"):
        assert queue_queries(org[username])[0] <= small


def count(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx)


def approve(user, publication):
    task = task_for(user, publication)
    review.approve_task(user=user, task_id=task.pk)
    if task.flow_task.name == "section_head_review":
        scan_if_missing(publication.pk)  # the worker's job once the approval commits


@pytest.fixture
def warm(org):
    """Run one full round first so per-process caches (content types, scanner) are filled."""
    publication = submitted_item(org)
    for username in ("head_office", "secrecy", "leader"):
        approve(org[username], publication)
    return org


# Notifications (notifications.services.notify_*) add, in the transition's transaction, one
# statement wherever someone is told: an INSERT ... SELECT that reads who may claim the new
# task (submit, head and secrecy approval) or the drafter (final approval, reject, withhold)
# and returns the new ids. (Before, a task notice cost two: the SELECT of the people, then
# the insert.)
# A task action finds its round and locks it in one statement (workflow.services
# _RoundOfTaskLock), which pays for those inserts on claim and every decision.
# The confidentiality approval reads the agency's word lists and public numbers (two
# statements) to refuse a scan made under other rules (scanning.services.approval_check).
# Submit runs the pre-scan of content not yet scanned (scanning.services.scan_if_missing, in
# its transaction, item already locked): five statements — the report of the fingerprint,
# the word lists and public numbers, the attachments' names, the new report — plus one
# INSERT of the findings when there are any; its audit event goes with the submit's.
PINNED = {
    "create": 10, "edit": 10, "submit": 23, "claim": 9, "approve_claimed_head": 12,
    "approve_secrecy": 15, "approve_leader_two_channels": 25, "reject": 14, "withhold": 13,
    "withdraw_in_review": 15,
}


def test_transition_query_counts_are_pinned(warm):
    org = warm
    drafter = org["drafter_office"]
    measured = {}
    holder = {}
    measured["create"] = count(lambda: holder.setdefault(
        "p", create_publication(user=drafter, data=item_data())))
    publication = holder["p"]
    measured["edit"] = count(lambda: update_publication(
        user=drafter, publication_id=publication.pk, data={"body": "<p>新</p>"}))
    measured["submit"] = count(lambda: review.submit_publication(
        user=drafter, publication_id=publication.pk))
    task = task_for(org["head_office"], publication)
    measured["claim"] = count(lambda: review.claim_task(user=org["head_office"],
                                                        task_id=task.pk))
    measured["approve_claimed_head"] = count(lambda: review.approve_task(
        user=org["head_office"], task_id=task.pk))
    scan_if_missing(publication.pk)
    task = task_for(org["secrecy"], publication)
    measured["approve_secrecy"] = count(lambda: review.approve_task(user=org["secrecy"],
                                                                    task_id=task.pk))
    task = task_for(org["leader"], publication)
    measured["approve_leader_two_channels"] = count(lambda: review.approve_task(
        user=org["leader"], task_id=task.pk))

    rejected = submitted_item(org)
    task = task_for(org["head_office"], rejected)
    measured["reject"] = count(lambda: review.reject_task(user=org["head_office"],
                                                          task_id=task.pk, comment="改"))
    withheld = submitted_item(org)
    approve(org["head_office"], withheld)
    task = task_for(org["secrecy"], withheld)
    measured["withhold"] = count(lambda: review.withhold_task(
        user=org["secrecy"], task_id=task.pk, basis="state_secret", comment="涉密"))
    withdrawn = submitted_item(org)
    measured["withdraw_in_review"] = count(lambda: review.withdraw_publication(
        user=drafter, publication_id=withdrawn.pk))
    assert measured == PINNED


def test_a_fully_approved_item_costs_at_most_86_statements(warm):
    org = warm
    publication_holder = {}
    total = count(lambda: publication_holder.setdefault("p", create_item(org)))
    publication = publication_holder["p"]
    total += count(lambda: review.submit_publication(user=org["drafter_office"],
                                                     publication_id=publication.pk))
    for username in ("head_office", "secrecy", "leader"):
        task = task_for(org[username], publication)
        total += count(lambda u=username, t=task: review.approve_task(user=org[u], task_id=t.pk))
        if username == "head_office":
            scan_if_missing(publication.pk)  # a background job, not part of the review actions
    # the review 75, notifications 4 (one insert per action that tells), the rules the
    # confidentiality approval checks its scan against 2, the pre-scan at submit 5
    assert total <= 86
