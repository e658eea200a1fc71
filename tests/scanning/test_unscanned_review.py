"""Attachments are scanned in the worker; what it cannot read blocks the confidentiality
approval until the reviewer acknowledges each file; a scan under old rules is stale.

Observed on main (issue 10, defects 3 and 12): the synchronous scan read attachments in
the web request; unreadable attachments (.doc, .wps, .xls, .et, .ofd, images, image-only
PDFs) did not block the approval; a word added to a blocking list after the scan was never
applied.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.selectors import subject_trail
from publications.models import Publication
from publications.services import add_attachment, remove_attachment
from scanning.models import SensitiveWordList
from scanning.services import scan_if_missing
from testsupport.factories import api, approve_through, create_item, task_for
from workflow import services as review

from .bombs import empty_paragraphs_bomb

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 200


def attach(org, publication, name, data, user="drafter_office"):
    return add_attachment(user=org[user], publication_id=publication.pk,
                          uploaded=SimpleUploadedFile(name, data))


def at_secrecy_with(org, files, **overrides):
    publication = create_item(org, **overrides)
    for name, data in files:
        attach(org, publication, name, data)
    review.submit_publication(user=org["drafter_office"], publication_id=publication.pk)
    return approve_through(org, publication, "head_office")


def secrecy_approve(org, publication):
    task = task_for(org["secrecy"], publication)
    return api(org["secrecy"]).post(f"/api/v1/tasks/{task.pk}/approve/", {"comment": "同意"},
                                    format="json")


def acknowledge(org, publication, field, note="已人工逐页检查，无涉密及个人信息", user="secrecy"):
    return api(org[user]).post(f"/api/v1/publications/{publication.pk}/unscanned/acknowledge/",
                               {"field": field, "note": note}, format="json")


def test_scan_answers_at_once_and_the_worker_reads_the_attachments(
        org, django_capture_on_commit_callbacks):
    publication = create_item(org, body="<p>联系电话13812345678</p>")
    attach(org, publication, "bomb.docx", empty_paragraphs_bomb())
    with django_capture_on_commit_callbacks() as queued:
        response = api(org["drafter_office"]).post(
            f"/api/v1/publications/{publication.pk}/scan/")
    assert response.status_code == 202, response.json()
    report = response.json()
    assert report["status"] == "pending"
    assert [f["kind"] for f in report["findings"]] == ["mobile"]  # the body: at once
    assert len(queued) == 1  # the attachments' task, sent after commit
    queued[0]()  # what the worker does (tasks run in-process here)
    after = api(org["drafter_office"]).get(f"/api/v1/publications/{publication.pk}/findings/")
    assert after.json()["status"] == "complete"
    [entry] = after.json()["unscanned"]
    assert entry["field"] == "attachment:bomb.docx" and entry["code"] == "too_large"
    assert entry["reason"].startswith("unscanned: too large")
    assert entry["acknowledged"] is False
    done = subject_trail(subject=publication).filter(action="attachments_scanned").get()
    assert done.actor_id is None and done.data["too_large"] == 1


def test_scan_without_attachments_is_complete_at_once(org):
    publication = create_item(org)
    response = api(org["drafter_office"]).post(f"/api/v1/publications/{publication.pk}/scan/")
    assert response.status_code == 200 and response.json()["status"] == "complete"


@pytest.mark.parametrize("name, data, code", [
    ("bomb.docx", empty_paragraphs_bomb(), "too_large"),
    ("旧格式.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "unreadable"),
    ("照片.jpg", JPEG, "unreadable"),
])
def test_unreadable_attachment_blocks_the_approval_until_acknowledged(org, name, data, code):
    publication = at_secrecy_with(org, [(name, data)])
    refused = secrecy_approve(org, publication)
    assert refused.status_code == 409, refused.json()
    [entry] = refused.json()["unscanned"]
    assert entry["field"] == f"attachment:{name}" and entry["code"] == code
    assert Publication.objects.get(pk=publication.pk).status == "in_review"

    assert acknowledge(org, publication, entry["field"], user="head_office").status_code == 403
    assert acknowledge(org, publication, entry["field"], note="").status_code == 400
    assert acknowledge(org, publication, "attachment:other.doc").status_code == 404
    done = acknowledge(org, publication, entry["field"])
    assert done.status_code == 200, done.json()
    assert done.json()["round"] == 1 and done.json()["acknowledged_by"] == "secrecy"
    assert acknowledge(org, publication, entry["field"]).status_code == 409

    assert secrecy_approve(org, publication).status_code == 200
    event = subject_trail(subject=publication).get(action="unscanned_acknowledged")
    assert event.actor == org["secrecy"] and event.comment == "已人工逐页检查，无涉密及个人信息"
    assert event.data["field"] == entry["field"] and event.data["codes"] == [code]


def test_an_acknowledgement_belongs_to_its_round_and_its_content(org):
    old_doc = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    publication = at_secrecy_with(org, [("附件.doc", old_doc)])
    secrecy_approve(org, publication)
    assert acknowledge(org, publication, "attachment:附件.doc").status_code == 200
    task = task_for(org["secrecy"], publication)
    review.reject_task(user=org["secrecy"], task_id=task.pk, comment="请补充材料")

    # round 2, same content: the round-1 acknowledgement does not count
    review.submit_publication(user=org["drafter_office"], publication_id=publication.pk)
    approve_through(org, publication, "head_office")
    refused = secrecy_approve(org, publication)
    assert refused.status_code == 409
    assert [u["field"] for u in refused.json()["unscanned"]] == ["attachment:附件.doc"]
    task = task_for(org["secrecy"], publication)
    review.reject_task(user=org["secrecy"], task_id=task.pk, comment="请换附件")

    # a changed attachment: new content, a new report, nothing acknowledged
    for attachment in publication.attachments.all():
        remove_attachment(user=org["drafter_office"], publication_id=publication.pk,
                          attachment_id=attachment.pk)
    attach(org, publication, "附件.doc", old_doc + b"v2")
    review.submit_publication(user=org["drafter_office"], publication_id=publication.pk)
    approve_through(org, publication, "head_office")
    assert secrecy_approve(org, publication).status_code == 409
    assert acknowledge(org, publication, "attachment:附件.doc").status_code == 200
    assert secrecy_approve(org, publication).status_code == 200


def test_a_word_added_after_the_scan_is_applied_at_the_approval(org):
    """Observed on main: a word added to a blocking list after the scan was never applied."""
    publication = at_secrecy_with(org, [("说明.txt", "附件提到了某某工程。".encode())],
                                  body="<p>关于某某工程的公示。</p>")
    scan_if_missing(publication.pk)  # the automatic scan on entering the review
    scan_if_missing(publication.pk)  # nothing changed: not scanned again
    assert subject_trail(subject=publication).filter(action="scan").count() == 1
    SensitiveWordList.objects.create(agency=org.agency, name="涉密工程", severity="blocking",
                                     words="某某工程")
    refused = secrecy_approve(org, publication)
    assert refused.status_code == 409, refused.json()
    assert sorted(f["field"] for f in refused.json()["findings"]) == [
        "attachment:说明.txt", "body"]
    assert {f["kind"] for f in refused.json()["findings"]} == {"sensitive_word"}
    assert subject_trail(subject=publication).filter(action="scan").count() == 2


def test_an_attachment_missing_from_storage_is_unscanned_not_a_stuck_scan(org):
    publication = at_secrecy_with(org, [("说明.txt", "正文".encode())])
    attachment = publication.attachments.get()
    attachment.file.storage.delete(attachment.file.name)
    refused = secrecy_approve(org, publication)
    assert refused.status_code == 409, refused.json()
    [entry] = refused.json()["unscanned"]
    assert entry["reason"] == "file missing from storage (FileNotFoundError)"


@pytest.mark.postgres
@pytest.mark.usefixtures("committed_db")
def test_in_the_embedded_mode_the_scan_is_complete_when_the_request_answers():
    """Tasks in-process (no Redis): the attachments' task runs right after the commit, inside
    the request, with the same limits."""
    from testsupport.factories import make_org

    org = make_org()
    publication = create_item(org)
    attach(org, publication, "bomb.docx", empty_paragraphs_bomb())
    response = api(org["drafter_office"]).post(f"/api/v1/publications/{publication.pk}/scan/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "complete"
    assert [u["code"] for u in response.json()["unscanned"]] == ["too_large"]


def test_with_a_worker_the_approval_waits_for_the_attachments_and_requeues_a_lost_scan(
        org, monkeypatch):
    """Tasks go to a worker (none runs here): the approval answers 409 while the files are
    read, and queues the scan again only once it looks lost."""
    import datetime as dt

    from config.celery import app
    from scanning import services as scanning_services
    from scanning.models import ScanReport

    publication = at_secrecy_with(org, [("说明.txt", "正文".encode())])
    scan_if_missing(publication.pk)  # the automatic scan: its task is queued, not run
    queued = []
    monkeypatch.setattr(scanning_services, "dispatch_attachment_scan",
                        lambda report_id, run: queued.append((report_id, run)))
    monkeypatch.setitem(app.conf, "task_always_eager", False)

    refused = secrecy_approve(org, publication)
    assert refused.status_code == 409 and refused.json()["scan"] == ["pending"]
    assert queued == []  # just queued by the scan: not again

    ScanReport.objects.filter(publication=publication).update(
        created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert secrecy_approve(org, publication).status_code == 409
    report = ScanReport.objects.get(publication=publication)
    assert queued == [(report.pk, report.run)]
    assert Publication.objects.get(pk=publication.pk).status == "in_review"
