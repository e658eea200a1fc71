"""The attachments' pre-scan runs in a real Celery worker, not in the web request.

Observed on main (issue 10, defect 3): a 60 KB .docx expanding to ~40 MB of empty
paragraphs kept a web worker busy ~6 minutes at ~1.6 GB and was then reported clean.
Here the request answers 202 with the body's findings while the worker reads the bomb
(in its sandbox) and lists it "unscanned: too large"; the confidentiality approval then
waits for the reviewer's acknowledgement.
"""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from audit.selectors import subject_trail
from publications.services import add_attachment
from scanning.models import ScanReport
from testsupport.factories import api, approve_through, create_item, make_org, task_for
from testsupport.workers import Worker
from workflow import services as review

from ..scanning.bombs import empty_paragraphs_bomb, lying_header_bomb

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("committed_db")]


def wait_for_complete(publication, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        report = ScanReport.objects.get(publication=publication,
                                        fingerprint=publication.fingerprint)
        if report.status == "complete":
            return report
        time.sleep(0.2)
        connection.close()
    pytest.fail("the worker did not finish the attachments' scan")


def test_bombs_are_read_in_the_worker_and_the_request_answers_at_once(
        broker, settings, monkeypatch):
    monkeypatch.setenv("MEDIA_ROOT", str(settings.MEDIA_ROOT))  # the worker's files
    org = make_org()
    publication = create_item(org, body="<p>联系电话13812345678</p>")
    for name, data in (("bomb.docx", empty_paragraphs_bomb()),
                       ("lying.docx", lying_header_bomb())):
        add_attachment(user=org["drafter_office"], publication_id=publication.pk,
                       uploaded=SimpleUploadedFile(name, data))
    publication.refresh_from_db()
    worker = Worker(broker.conf.broker_url, "scan1", concurrency=1)
    try:
        response = api(org["drafter_office"]).post(
            f"/api/v1/publications/{publication.pk}/scan/")
        # answered before the worker read anything: the body's findings, files pending
        assert response.status_code == 202, response.json()
        assert response.json()["status"] == "pending"
        assert [f["kind"] for f in response.json()["findings"]] == ["mobile"]
        report = wait_for_complete(publication)
    finally:
        worker.stop()
    assert sorted((u["field"], u["code"]) for u in report.unscanned) == [
        ("attachment:bomb.docx", "too_large"), ("attachment:lying.docx", "too_large")]
    event = subject_trail(subject=publication).get(action="attachments_scanned")
    assert event.data["too_large"] == 2

    review.submit_publication(user=org["drafter_office"], publication_id=publication.pk)
    publication = approve_through(org, publication, "head_office")
    task = task_for(org["secrecy"], publication)
    refused = api(org["secrecy"]).post(f"/api/v1/tasks/{task.pk}/approve/", {}, format="json")
    assert refused.status_code == 409
    assert len(refused.json()["unscanned"]) == 2
