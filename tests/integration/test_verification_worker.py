"""The auditor's chain check runs in a real Celery worker, not in the web request
(issue 10): the POST answers with a redirect while the check is still queued, and the page
shows the worker's result once it has walked the chain."""

import time

import pytest
from django.db import connection
from django.test import Client

from audit.models import AuditEvent, ChainVerification
from testsupport.factories import approve_through, create_item, make_org, submitted_item
from testsupport.workers import Worker

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("committed_db")]


def wait_for_finished(verification, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        verification.refresh_from_db()
        if not verification.pending:
            return verification
        time.sleep(0.2)
        connection.close()
    pytest.fail("the worker did not finish the chain check")


def test_the_check_is_queued_by_the_request_and_run_by_the_worker(broker, settings,
                                                                  monkeypatch):
    monkeypatch.setenv("AUDIT_CHECKPOINT_DIR", str(settings.AUDIT_CHECKPOINT_DIR))
    org = make_org()
    approve_through(org, submitted_item(org, title="已审"), "head_office", "secrecy")
    create_item(org, title="草稿")
    client = Client()
    client.force_login(org["auditor"])
    response = client.post("/app/audit/verify/")  # no worker yet: it stays queued
    assert response.status_code == 302
    verification = ChainVerification.objects.get(agency=org.agency)
    assert verification.status == "queued"
    assert "排队中" in client.get("/app/audit/verify/").content.decode()
    client.post("/app/audit/verify/")  # a second click joins it
    assert ChainVerification.objects.filter(agency=org.agency).count() == 1
    worker = Worker(broker.conf.broker_url, "verify1", concurrency=1)
    try:
        verification = wait_for_finished(verification)
    finally:
        worker.stop()
    count = AuditEvent.objects.filter(agency=org.agency).count()
    assert (verification.status, verification.events_checked, verification.head_seq) == (
        "ok", count, count)
    html = client.get("/app/audit/verify/").content.decode()
    assert "校验通过" in html and f"{count} / {count} 条（100%）" in html
