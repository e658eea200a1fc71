"""The pre-scan inside the confidentiality review, through the REST API."""

import pytest

from audit.selectors import subject_trail
from publications.models import Publication
from scanning.models import ScanReport
from testsupport.factories import api, approve_through, create_item, submitted_item, task_for

pytestmark = pytest.mark.django_db

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def resident_id(first17="41082319800101123") -> str:
    check = "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]
    return first17 + check


ID = resident_id()
BODY_WITH_ID = f"<p>经审核，申请人张三（身份证号：{ID}）符合条件。</p>"


def at_secrecy(org, **overrides):
    publication = submitted_item(org, **overrides)
    return approve_through(org, publication, "head_office")


def secrecy_approve(org, publication):
    task = task_for(org["secrecy"], publication)
    return api(org["secrecy"]).post(f"/api/v1/tasks/{task.pk}/approve/", {"comment": "同意"},
                                    format="json")


def test_scan_reports_findings_with_positions_into_the_stored_body(org):
    publication = create_item(org, body=BODY_WITH_ID, title="关于张三（电话13812345678）的公示")
    response = api(org["drafter_office"]).post(f"/api/v1/publications/{publication.pk}/scan/")
    assert response.status_code == 200, response.json()
    report = response.json()
    assert report["fingerprint"] == publication.fingerprint
    by_kind = {f["kind"]: f for f in report["findings"]}
    assert by_kind["id_number"]["severity"] == "blocking"
    assert by_kind["id_number"]["field"] == "body"
    body = Publication.objects.get(pk=publication.pk).body
    start, end = by_kind["id_number"]["start"], by_kind["id_number"]["end"]
    assert body[start:end] == ID
    assert by_kind["id_number"]["masked"] == ID[:2] + "*" * 13 + ID[-3:]
    assert by_kind["mobile"]["field"] == "title"
    assert by_kind["mobile"]["masked"] == "138****5678"
    trail = subject_trail(subject=publication).order_by("seq").last()
    assert trail.action == "scan" and trail.data["blocking"] >= 1


def test_secrecy_approval_is_refused_until_each_blocking_finding_is_dismissed(org):
    publication = at_secrecy(org, body=BODY_WITH_ID)
    refused = secrecy_approve(org, publication)
    assert refused.status_code == 409
    findings = refused.json()["findings"]
    assert [f["kind"] for f in findings] == ["id_number"]
    assert Publication.objects.get(pk=publication.pk).status == "in_review"

    url = f"/api/v1/publications/{publication.pk}/findings/{findings[0]['id']}/dismiss/"
    assert api(org["secrecy"]).post(url, {"justification": ""}, format="json").status_code == 400
    assert api(org["head_office"]).post(url, {"justification": "x"},
                                        format="json").status_code == 403
    dismissed = api(org["secrecy"]).post(url, {"justification": "系申请人本人同意公开的测试号码"},
                                         format="json")
    assert dismissed.status_code == 200 and dismissed.json()["dismissed"] is True
    assert api(org["secrecy"]).post(url, {"justification": "再次"},
                                    format="json").status_code == 409

    assert secrecy_approve(org, publication).status_code == 200
    actions = list(subject_trail(subject=publication).order_by("seq")
                   .values_list("action", flat=True))
    assert actions.index("scan") < actions.index("finding_dismissed") < len(actions) - 1
    assert actions[-1] == "approve"
    dismissal = subject_trail(subject=publication).get(action="finding_dismissed")
    assert dismissal.comment == "系申请人本人同意公开的测试号码"
    assert ID not in str(dismissal.data)  # the trail keeps the masked form only


def test_clean_item_passes_the_secrecy_review_after_an_automatic_scan(org):
    publication = at_secrecy(org)
    assert secrecy_approve(org, publication).status_code == 200
    assert ScanReport.objects.filter(publication=publication,
                                     fingerprint=publication.fingerprint).exists()


def test_item_is_scanned_when_it_enters_the_secrecy_review(org, django_capture_on_commit_callbacks):
    publication = submitted_item(org, body=BODY_WITH_ID)
    with django_capture_on_commit_callbacks(execute=True):
        approve_through(org, publication, "head_office")
    report = ScanReport.objects.get(publication=publication, fingerprint=publication.fingerprint)
    assert [f.kind for f in report.findings.all()] == ["id_number"]
    scan_event = subject_trail(subject=publication).filter(action="scan").get()
    assert scan_event.actor_id is None  # done by the system


def test_drafter_applies_all_masks_in_one_step_and_gets_a_new_fingerprint(org):
    publication = create_item(org, body=BODY_WITH_ID, title="张三（13812345678）公示")
    before = publication.fingerprint
    response = api(org["drafter_office"]).post(
        f"/api/v1/publications/{publication.pk}/apply-masks/")
    assert response.status_code == 200, response.json()
    publication.refresh_from_db()
    assert publication.fingerprint != before and response.json()["fingerprint"] == (
        publication.fingerprint)
    assert ID not in publication.body and ID[:2] + "*" * 13 + ID[-3:] in publication.body
    assert "138****5678" in publication.title
    assert not [f for f in response.json()["findings"]
                if f["kind"] in ("id_number", "mobile")]
    last = subject_trail(subject=publication).order_by("-seq")[:2]
    assert {e.action for e in last} == {"masks_applied", "scan"}


def test_masks_only_by_the_drafter_and_only_while_editable(org):
    publication = create_item(org, body=BODY_WITH_ID)
    assert api(org["secrecy"]).post(
        f"/api/v1/publications/{publication.pk}/apply-masks/").status_code == 403
    in_review = submitted_item(org, body=BODY_WITH_ID)
    assert api(org["drafter_office"]).post(
        f"/api/v1/publications/{in_review.pk}/apply-masks/").status_code == 409
    clean = create_item(org)
    assert api(org["drafter_office"]).post(
        f"/api/v1/publications/{clean.pk}/apply-masks/").status_code == 409


def test_scan_is_open_to_the_drafter_and_reviewers_and_404_to_others(org, other_org):
    publication = create_item(org)
    for username in ("drafter_office", "head_office", "secrecy", "leader"):
        assert api(org[username]).post(
            f"/api/v1/publications/{publication.pk}/scan/").status_code == 200
    assert api(other_org["secrecy"]).post(
        f"/api/v1/publications/{publication.pk}/scan/").status_code == 404
    assert api(org["drafter_construction"]).post(
        f"/api/v1/publications/{publication.pk}/scan/").status_code == 404


def test_auditors_and_publishers_only_read_they_run_no_scan(org):
    """Observed on main: auditors could run scans, which write `scan` events."""
    publication = create_item(org)
    for username in ("auditor", "publisher"):
        response = api(org[username]).post(f"/api/v1/publications/{publication.pk}/scan/")
        assert response.status_code == 403, response.json()
        assert api(org[username]).get(
            f"/api/v1/publications/{publication.pk}/findings/").status_code == 200
    assert not subject_trail(subject=publication).filter(action="scan").exists()


def test_publication_detail_shows_the_scan_of_its_current_content(org):
    publication = create_item(org, body=BODY_WITH_ID)
    detail = api(org["drafter_office"]).get(f"/api/v1/publications/{publication.pk}/").json()
    assert detail["scan"] is None
    api(org["drafter_office"]).post(f"/api/v1/publications/{publication.pk}/scan/")
    detail = api(org["drafter_office"]).get(f"/api/v1/publications/{publication.pk}/").json()
    assert [f["kind"] for f in detail["scan"]["findings"]] == ["id_number"]
    api(org["drafter_office"]).patch(f"/api/v1/publications/{publication.pk}/",
                                     {"body": "<p>已删除个人信息。</p>"}, format="json")
    detail = api(org["drafter_office"]).get(f"/api/v1/publications/{publication.pk}/").json()
    assert detail["scan"] is None  # the old scan was of other content
