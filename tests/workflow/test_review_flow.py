"""Whole review rounds through the REST API, as integrators drive them."""

import pytest

from publications.models import Publication
from releases.models import Release
from testsupport.factories import api, item_data, task_for

pytestmark = pytest.mark.django_db

STEPS = [("head_office", "section_head_review"), ("secrecy", "secrecy_review"),
         ("leader", "leadership_review")]


def create_and_submit(org, **overrides):
    response = api(org["drafter_office"]).post(
        "/api/v1/publications/", item_data(**overrides), format="json")
    assert response.status_code == 201, response.json()
    pid = response.json()["id"]
    assert api(org["drafter_office"]).post(f"/api/v1/publications/{pid}/submit/").status_code == 200
    return pid


def my_task(user, pid):
    results = api(user).get("/api/v1/tasks/").json()["results"]
    return next(t for t in results if t["publication"] == pid)


def test_create_returns_draft_round_one_with_fingerprint(org):
    response = api(org["drafter_office"]).post("/api/v1/publications/", item_data(), format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert body["round"] == 1
    assert len(body["fingerprint"]) == 64
    assert body["section"] == "office" and body["category"] == "work_updates"
    assert body["channels"] == ["website", "wechat"]
    assert body["formed_on"] == "2024-03-01"


def test_item_approved_by_all_tiers_creates_one_pending_release_per_channel(org):
    pid = create_and_submit(org, channels=["website", "wechat", "jiaozuo_daily"])
    for username, step in STEPS:
        assert api(org["drafter_office"]).get(f"/api/v1/publications/{pid}/").json()[
            "status"] == "in_review"
        assert Release.objects.filter(publication_id=pid).count() == 0
        task = my_task(org[username], pid)
        assert task["step"] == step and task["status"] == "new"
        response = api(org[username]).post(f"/api/v1/tasks/{task['id']}/approve/",
                                           {"comment": "同意"}, format="json")
        assert response.status_code == 200, response.json()

    assert Publication.objects.get(pk=pid).status == "approved"
    releases = api(org["publisher"]).get(f"/api/v1/releases/?publication={pid}").json()
    assert releases["count"] == 3
    assert sorted(r["channel"] for r in releases["results"]) == [
        "jiaozuo_daily", "website", "wechat"]
    assert {r["status"] for r in releases["results"]} == {"pending"}

    trail = api(org["auditor"]).get(f"/api/v1/publications/{pid}/trail/").json()["results"]
    assert [(e["action"], e["tier"]) for e in trail] == [
        ("create", ""), ("submit", ""),
        ("scan", ""),  # the automatic pre-scan at submit, with the submit's event
        ("claim", "section_head_review"), ("approve", "section_head_review"),
        # entering the confidentiality review the same content is not scanned again
        ("claim", "secrecy_review"), ("approve", "secrecy_review"),
        ("claim", "leadership_review"), ("approve", "leadership_review"),
        ("release_created", ""), ("release_created", ""), ("release_created", ""),
    ]
    assert [e["actor"] for e in trail[:5]] == ["drafter_office", "drafter_office", "",
                                               "head_office", "head_office"]
    for before, after in zip(trail, trail[1:], strict=False):
        assert after["seq"] > before["seq"]
    assert trail[4]["comment"] == "同意"


@pytest.mark.parametrize("rejecting_tier", [0, 1, 2])
def test_reject_at_any_tier_returns_item_and_resubmission_restarts_all_tiers(org, rejecting_tier):
    pid = create_and_submit(org)
    for username, _step in STEPS[:rejecting_tier]:
        api(org[username]).post(f"/api/v1/tasks/{my_task(org[username], pid)['id']}/approve/")
    rejecter = org[STEPS[rejecting_tier][0]]
    task = my_task(rejecter, pid)
    response = api(rejecter).post(f"/api/v1/tasks/{task['id']}/reject/",
                                  {"comment": "请补充检查时间"}, format="json")
    assert response.status_code == 200

    item = api(org["drafter_office"]).get(f"/api/v1/publications/{pid}/").json()
    assert item["status"] == "returned"
    assert api(org["head_office"]).get("/api/v1/tasks/").json()["count"] == 0

    edited = api(org["drafter_office"]).patch(
        f"/api/v1/publications/{pid}/", {"body": "<p>检查时间：3月10日至20日。</p>"},
        format="json")
    assert edited.status_code == 200
    assert edited.json()["fingerprint"] != item["fingerprint"]
    resubmitted = api(org["drafter_office"]).post(f"/api/v1/publications/{pid}/submit/").json()
    assert resubmitted["round"] == 2 and resubmitted["status"] == "in_review"

    # every tier reviews again, starting at the section head, even those who approved in round 1
    for username, step in STEPS:
        task = my_task(org[username], pid)
        assert task["step"] == step and task["round"] == 2
        assert api(org[username]).post(f"/api/v1/tasks/{task['id']}/approve/").status_code == 200
    assert Publication.objects.get(pk=pid).status == "approved"
    assert Release.objects.filter(publication_id=pid, round=2).count() == 2

    trail = api(org["auditor"]).get(f"/api/v1/publications/{pid}/trail/").json()["results"]
    rejects = [e for e in trail if e["action"] == "reject"]
    assert len(rejects) == 1 and rejects[0]["comment"] == "请补充检查时间"
    assert rejects[0]["tier"] == STEPS[rejecting_tier][1]


def test_reject_without_comment_is_refused_and_changes_nothing(org):
    pid = create_and_submit(org)
    task = my_task(org["head_office"], pid)
    for payload in ({}, {"comment": ""}, {"comment": "   "}):
        response = api(org["head_office"]).post(f"/api/v1/tasks/{task['id']}/reject/", payload,
                                                format="json")
        assert response.status_code == 400
        assert "comment" in response.json()
    assert my_task(org["head_office"], pid)["status"] == "new"
    assert Publication.objects.get(pk=pid).status == "in_review"


def test_secrecy_reviewer_withholds_with_legal_basis_and_the_flow_ends(org):
    pid = create_and_submit(org)
    api(org["head_office"]).post(f"/api/v1/tasks/{my_task(org['head_office'], pid)['id']}/approve/")
    task = my_task(org["secrecy"], pid)
    bad = api(org["secrecy"]).post(f"/api/v1/tasks/{task['id']}/withhold/",
                                   {"basis": "because", "comment": "x"}, format="json")
    assert bad.status_code == 400 and "basis" in bad.json()
    response = api(org["secrecy"]).post(f"/api/v1/tasks/{task['id']}/withhold/",
                                        {"basis": "process_information",
                                         "comment": "属于过程性信息"}, format="json")
    assert response.status_code == 200
    assert Publication.objects.get(pk=pid).status == "withheld"
    assert api(org["leader"]).get("/api/v1/tasks/").json()["count"] == 0
    assert Release.objects.filter(publication_id=pid).count() == 0
    # withheld is final: the drafter can neither edit nor resubmit
    assert api(org["drafter_office"]).post(f"/api/v1/publications/{pid}/submit/").status_code == 409
    trail = api(org["auditor"]).get(f"/api/v1/publications/{pid}/trail/").json()["results"]
    assert trail[-1]["action"] == "withhold"
    assert trail[-1]["data"] == {"basis": "process_information"}


def test_withhold_is_refused_outside_the_secrecy_step(org):
    pid = create_and_submit(org)
    task = my_task(org["head_office"], pid)
    response = api(org["head_office"]).post(f"/api/v1/tasks/{task['id']}/withhold/",
                                            {"basis": "state_secret", "comment": "x"},
                                            format="json")
    assert response.status_code == 409
    assert Publication.objects.get(pk=pid).status == "in_review"


@pytest.mark.parametrize("approved_tiers", [0, 1, 2])
def test_drafter_withdraws_before_final_approval_and_open_tasks_disappear(org, approved_tiers):
    pid = create_and_submit(org)
    for username, _step in STEPS[:approved_tiers]:
        api(org[username]).post(f"/api/v1/tasks/{my_task(org[username], pid)['id']}/approve/")
    next_reviewer = org[STEPS[approved_tiers][0]]
    task_id = my_task(next_reviewer, pid)["id"]
    response = api(org["drafter_office"]).post(f"/api/v1/publications/{pid}/withdraw/")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert api(next_reviewer).get("/api/v1/tasks/").json()["count"] == 0
    late = api(next_reviewer).post(f"/api/v1/tasks/{task_id}/approve/")
    assert late.status_code == 409
    assert Release.objects.filter(publication_id=pid).count() == 0


def test_draft_can_be_withdrawn_but_approved_item_cannot(org):
    draft = api(org["drafter_office"]).post("/api/v1/publications/", item_data(),
                                            format="json").json()
    assert api(org["drafter_office"]).post(
        f"/api/v1/publications/{draft['id']}/withdraw/").json()["status"] == "withdrawn"
    pid = create_and_submit(org)
    for username, _step in STEPS:
        api(org[username]).post(f"/api/v1/tasks/{my_task(org[username], pid)['id']}/approve/")
    response = api(org["drafter_office"]).post(f"/api/v1/publications/{pid}/withdraw/")
    assert response.status_code == 409


def test_acting_on_a_completed_task_is_a_conflict(org):
    pid = create_and_submit(org)
    task = my_task(org["head_office"], pid)
    assert api(org["head_office"]).post(f"/api/v1/tasks/{task['id']}/approve/").status_code == 200
    again = api(org["head_office_2"]).post(f"/api/v1/tasks/{task['id']}/approve/")
    assert again.status_code == 409
    assert "已由他人处理" in again.json()["detail"]


def test_claim_then_unclaim_returns_task_to_the_queue(org):
    pid = create_and_submit(org)
    task = my_task(org["head_office"], pid)
    assert api(org["head_office"]).post(f"/api/v1/tasks/{task['id']}/claim/").json()[
        "status"] == "assigned"
    # claimed by one head: gone from the other head's queue, and they cannot act on it
    assert api(org["head_office_2"]).get("/api/v1/tasks/").json()["count"] == 0
    assert api(org["head_office_2"]).post(
        f"/api/v1/tasks/{task['id']}/approve/").status_code == 409
    assert my_task(org["head_office"], pid)["status"] == "assigned"
    assert api(org["head_office"]).post(f"/api/v1/tasks/{task['id']}/unclaim/").status_code == 200
    assert my_task(org["head_office_2"], pid)["status"] == "new"
    trail = api(org["auditor"]).get(f"/api/v1/publications/{pid}/trail/").json()["results"]
    assert [e["action"] for e in trail][-2:] == ["claim", "unclaim"]


def test_task_queue_shows_only_tasks_of_the_reviewers_sections(org):
    office_pid = create_and_submit(org)
    construction = api(org["drafter_construction"]).post(
        "/api/v1/publications/", item_data(section="construction"), format="json").json()
    api(org["drafter_construction"]).post(f"/api/v1/publications/{construction['id']}/submit/")
    assert [t["publication"] for t in api(org["head_office"]).get(
        "/api/v1/tasks/").json()["results"]] == [office_pid]
    assert [t["publication"] for t in api(org["head_construction"]).get(
        "/api/v1/tasks/").json()["results"]] == [construction["id"]]
    assert api(org["auditor"]).get("/api/v1/tasks/").json()["count"] == 0


def test_service_layer_task_lookup_helper_matches_api(org):
    pid = create_and_submit(org)
    publication = Publication.objects.get(pk=pid)
    assert task_for(org["head_office"], publication).pk == my_task(org["head_office"], pid)["id"]
