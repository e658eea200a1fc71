"""Real answers of a whole review, release and retraction, each held to the served schema.

The generated requests of test_schema_conformance.py mostly name objects that do not exist;
here every answer is a success or a refusal on a real object, including those the schema
once described wrongly (issue #10, defect 9): task actions, a retraction request not yet
decided (`decided_by: null`), the findings of an item never scanned (an empty report),
blank document and decision types.
"""

import pytest

from accounts.services import issue_token
from publications.models import Publication
from testsupport.factories import make_org, submitted_item, task_for

from .schema import CHECKS, schema

pytestmark = pytest.mark.django_db


class Api:
    """Calls through schemathesis, each answer validated against its operation's schema."""

    def __init__(self, org):
        self.tokens = {}
        self.org = org

    def __call__(self, who, method, route, *, status=None, path=None, **case):
        if who not in self.tokens:
            self.tokens[who] = issue_token(user=self.org[who])[0]
        if "body" in case:
            case["media_type"] = "application/json"
        made = schema[route][method].Case(path_parameters=path or {}, **case)
        response = made.call_and_validate(
            headers={"Authorization": f"Token {self.tokens[who]}"}, checks=CHECKS)
        if status is not None:
            assert response.status_code == status, response.text
        return response


@pytest.fixture
def api(in_test_transaction):
    return Api(make_org())


def test_a_review_release_and_retraction_answer_as_the_schema_says(api):
    org = api.org
    created = api("drafter_office", "POST", "/api/v1/publications/", status=201, body={
        "title": "关于开展建筑施工安全大检查的通知", "body": "<p>现将有关事项通知如下。</p>",
        "section": "office", "category": "work_updates", "article20_item": 12,
        "channels": ["website", "jiaozuo_daily"], "formed_on": "2024-03-01"}).json()
    assert created["document_type"] == "" and created["decision_type"] == ""
    pid = {"id": created["id"]}
    api("drafter_office", "GET", "/api/v1/publications/{id}/findings/", path=pid, status=200)
    api("drafter_office", "POST", "/api/v1/publications/{id}/submit/", path=pid, status=200)
    publication = Publication.objects.get(pk=created["id"])
    for reviewer in ("head_office", "secrecy", "leader"):
        task = {"id": task_for(org[reviewer], publication).pk}
        api(reviewer, "GET", "/api/v1/tasks/", status=200)
        api(reviewer, "POST", "/api/v1/tasks/{id}/claim/", path=task, status=200)
        api(reviewer, "POST", "/api/v1/tasks/{id}/unclaim/", path=task, status=200)
        api("drafter_office", "POST", "/api/v1/tasks/{id}/approve/", path=task, status=403,
            body={"comment": ""})
        api(reviewer, "POST", "/api/v1/tasks/{id}/approve/", path=task, status=200,
            body={"comment": "同意。"})
        api(reviewer, "POST", "/api/v1/tasks/{id}/approve/", path=task, status=409,
            body={"comment": "同意。"})
    releases = api("publisher", "GET", "/api/v1/releases/", status=200).json()["results"]
    paper = next(r for r in releases if r["channel"] == "jiaozuo_daily")
    api("publisher", "GET", "/api/v1/releases/{id}/", path={"id": paper["id"]}, status=200)
    request = api("publisher", "POST", "/api/v1/publications/{id}/retraction-requests/",
                  path=pid, status=201, body={"reason": "数据有误"}).json()
    assert request["decided_by"] is None
    api("leader", "GET", "/api/v1/retraction-requests/", status=200)
    api("leader", "POST", "/api/v1/retraction-requests/{id}/approve/",
        path={"id": request["id"]}, status=200, body={"comment": "同意撤稿"})
    api("auditor", "GET", "/api/v1/publications/{id}/trail/", path=pid, status=200)
    api("leader", "GET", "/api/v1/statistics/", status=200,
        query={"agency": org.agency.code, "year": Publication.objects.get(
            pk=created["id"]).created_at.year})


def test_a_rejection_and_a_withholding_answer_as_the_schema_says(api):
    org = api.org
    first, second = submitted_item(org), submitted_item(org)
    task = {"id": task_for(org["head_office"], first).pk}
    api("head_office", "POST", "/api/v1/tasks/{id}/reject/", path=task, status=400,
        body={"comment": ""})
    api("head_office", "POST", "/api/v1/tasks/{id}/reject/", path=task, status=200,
        body={"comment": "请补充依据。"})
    api("head_office", "POST", "/api/v1/tasks/{id}/approve/",
        path={"id": task_for(org["head_office"], second).pk}, status=200, body={"comment": ""})
    secrecy = {"id": task_for(org["secrecy"], second).pk}
    api("secrecy", "POST", "/api/v1/tasks/{id}/withhold/", path=secrecy, status=400,
        body={"basis": "nonsense", "comment": "x"})
    api("secrecy", "POST", "/api/v1/tasks/{id}/withhold/", path=secrecy, status=200,
        body={"basis": "state_secret", "comment": "涉及国家秘密"})
