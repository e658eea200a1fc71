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


def test_an_empty_queue_is_one_query_and_not_counted_again(org):
    """An empty first page has a total of 0: no COUNT(*) after it. With tasks, the page
    (and its total) and then its rows."""
    empty, count = queue_queries(org["head_office"])
    assert count == 0
    submitted_item(org)
    one, count = queue_queries(org["head_office"])
    assert count == 1
    assert empty == one - 1
    response = api(org["head_office"]).get("/api/v1/tasks/?page=2")
    assert response.status_code == 404


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


# Every statement these pins count is listed, with what it is for, in docs/statements.md;
# tests/workflow/test_statements_doc.py checks that list against a capture. They are
# PostgreSQL's counts: on SQLite (the embedded mode) core.sql sends the parts of each
# combined write one by one.
PINNED = {
    "create": 8, "edit": 9, "submit": 11, "claim": 7, "approve_claimed_head": 9,
    "approve_secrecy": 11, "approve_leader_two_channels": 11, "reject": 10, "withhold": 10,
    "withdraw_in_review": 13,
}


@pytest.mark.postgres
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


# create 8 + submit 11 (the pre-scan included) + head 9 + secrecy 11 + leader 11
PIPELINE = 50


@pytest.mark.postgres
def test_a_fully_approved_item_costs_at_most_50_statements(warm):
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
    assert total <= PIPELINE, total


def token_client(user):
    from rest_framework.test import APIClient

    from accounts.services import issue_token

    key, _token = issue_token(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# Through the REST API with token authentication (DEBUG off, as in production): the
# drafter creates and submits; each reviewer lists their queue, then approves. Pinned as
# measured; the target is 90. Each queue read is 4: the token, whether the reviewer stands
# in for someone today (`selectors.stands_in_today`: without substitutions the queue leaves
# those clauses out), the page of ids with its total, the rows.
API_PIPELINE = 75


@pytest.mark.postgres
def test_a_fully_approved_item_through_the_api_costs_at_most_90_statements(warm, settings):
    settings.DEBUG = False
    org = warm
    clients = {name: token_client(org[name])
               for name in ("drafter_office", "head_office", "secrecy", "leader")}
    measured = {}

    def call(name, fn):
        with CaptureQueriesContext(connection) as ctx:
            response = fn()
        assert response.status_code in (200, 201), response.content
        measured[name] = len(ctx)
        return response.json()

    data = {**item_data(), "formed_on": "2024-03-01"}
    item = call("create", lambda: clients["drafter_office"].post(
        "/api/v1/publications/", data, format="json"))
    call("submit", lambda: clients["drafter_office"].post(
        f"/api/v1/publications/{item['id']}/submit/"))
    for name in ("head_office", "secrecy", "leader"):
        queue = call(f"queue {name}", lambda n=name: clients[n].get("/api/v1/tasks/"))
        [task] = [t for t in queue["results"] if t["publication"] == item["id"]]
        call(f"approve {name}", lambda n=name, t=task: clients[n].post(
            f"/api/v1/tasks/{t['id']}/approve/", {"comment": "同意"}, format="json"))
        if name == "head_office":
            scan_if_missing(item["id"])  # the worker's job once the approval commits
    assert sum(measured.values()) == API_PIPELINE <= 90, measured
