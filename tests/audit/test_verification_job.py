"""The chain check as a background job (issue 10): asked for once per agency at a time, run
by a Celery task that writes its progress as it goes and stores what it found."""

import datetime as dt
import logging

import pytest
from django.conf import settings
from django.utils import timezone

from audit import tasks, verification
from audit.models import AuditEvent, ChainVerification
from audit.services import request_verification
from audit.verification import Break, verify_chain
from testsupport.factories import submitted_item

from .test_audit_trail import with_trigger_disabled

pytestmark = pytest.mark.django_db


def test_a_request_queues_one_check_and_dispatches_it_after_commit(
        org, chain, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        queued = request_verification(user=org["auditor"], agency=org.agency)
    assert (queued.status, queued.requested_by) == ("queued", org["auditor"])
    assert len(callbacks) == 1
    events = AuditEvent.objects.count()
    with django_capture_on_commit_callbacks() as again:
        joined = request_verification(user=org["head_office"], agency=org.agency)
    assert joined.pk == queued.pk and again == []
    assert ChainVerification.objects.count() == 1
    assert AuditEvent.objects.count() == events  # asking to check the chain is a read


def test_a_request_joins_a_running_check(org, chain):
    now = timezone.now()
    running = ChainVerification.objects.create(agency=org.agency, requested_at=now,
                                               updated_at=now, started_at=now,
                                               status="running")
    assert request_verification(user=org["auditor"], agency=org.agency).pk == running.pk


def test_a_check_that_stopped_moving_is_given_up_and_a_new_one_starts(
        org, chain, django_capture_on_commit_callbacks):
    long_ago = timezone.now() - dt.timedelta(seconds=settings.AUDIT_VERIFICATION_STALE_SECONDS
                                             + 60)
    lost = ChainVerification.objects.create(agency=org.agency, requested_at=long_ago,
                                            updated_at=long_ago, status="running")
    with django_capture_on_commit_callbacks(execute=True):
        fresh = request_verification(user=org["auditor"], agency=org.agency)
    assert fresh.pk != lost.pk
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.status == "error" and lost.finished_at is not None
    assert fresh.status == "ok"


def test_other_agencies_checks_are_their_own(org, other_org, chain):
    mine = request_verification(user=org["auditor"], agency=org.agency)
    theirs = request_verification(user=other_org["auditor"], agency=other_org.agency)
    assert mine.pk != theirs.pk


def test_the_task_finds_an_intact_chain_ok_and_writes_its_progress(org, chain, monkeypatch):
    monkeypatch.setattr(verification, "CHUNK", 2)
    seen = []

    def spying(agency, *, progress):
        def spy(events_checked, head_seq):
            progress(events_checked, head_seq)
            seen.append(ChainVerification.objects.values_list(
                "status", "events_checked", "head_seq").get())
        return verify_chain(agency, progress=spy)

    monkeypatch.setattr(tasks, "verify_chain", spying)
    queued = request_verification(user=org["auditor"], agency=org.agency)
    assert tasks.verify_chain_job(queued.pk) == "ok"
    head = chain[-1].seq
    assert seen[0] == ("running", 0, head)
    assert seen[1:] == [("running", n, head) for n in range(2, head + 1, 2)]
    queued.refresh_from_db()
    assert (queued.status, queued.events_checked, queued.head_seq) == ("ok", head, head)
    assert queued.started_at <= queued.finished_at
    assert queued.percent == 100


def test_a_check_runs_once_even_if_its_message_comes_twice(org, chain):
    queued = request_verification(user=org["auditor"], agency=org.agency)
    assert tasks.verify_chain_job(queued.pk) == "ok"
    finished = ChainVerification.objects.get(pk=queued.pk).finished_at
    assert tasks.verify_chain_job(queued.pk) == ""
    assert ChainVerification.objects.get(pk=queued.pk).finished_at == finished


@pytest.mark.postgres
def test_the_task_finds_a_tampered_chain_broken_at_the_altered_event(org, chain, caplog):
    target = chain[3]
    with_trigger_disabled("UPDATE audit_auditevent SET comment = '事后补写' WHERE id = %s",
                          [target.pk])
    queued = request_verification(user=org["auditor"], agency=org.agency)
    with caplog.at_level(logging.ERROR, logger="audit.tasks"):
        assert tasks.verify_chain_job(queued.pk) == "broken"
    queued.refresh_from_db()
    assert (queued.status, queued.break_kind, queued.break_seq) == (
        "broken", Break.ALTERED, target.seq)
    assert queued.events_checked == target.seq and queued.finished_at is not None
    assert f"{org.agency.code} is broken at #{target.seq}" in caplog.text


def test_a_check_that_fails_is_stored_as_an_error(org, chain, monkeypatch):
    def failing(agency, *, progress):
        raise RuntimeError("database went away")

    monkeypatch.setattr(tasks, "verify_chain", failing)
    queued = request_verification(user=org["auditor"], agency=org.agency)
    assert tasks.verify_chain_job(queued.pk) == "error"
    queued.refresh_from_db()
    assert queued.status == "error" and "database went away" in queued.message
    # and it no longer blocks a new request
    assert request_verification(user=org["auditor"], agency=org.agency).pk != queued.pk


def test_the_nightly_check_covers_every_agency(org, other_org, chain,
                                               django_capture_on_commit_callbacks):
    submitted_item(other_org)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.verify_all_chains() >= 2
    done = ChainVerification.objects.filter(agency__in=[org.agency, other_org.agency])
    assert sorted(done.values_list("status", "requested_by")) == [("ok", None), ("ok", None)]


def test_beat_runs_the_nightly_check():
    entry = settings.CELERY_BEAT_SCHEDULE["verify-audit-chains-nightly"]
    assert entry["task"] == "audit.tasks.verify_all_chains"
    from config.celery import app

    assert "audit.tasks.verify_all_chains" in app.tasks
    assert entry["schedule"].hour == {3}
