"""Celery tasks of the audit trail. The logic lives in audit.checkpoints."""

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency

from .checkpoints import CheckpointError, write_checkpoint
from .models import ChainVerification
from .verification import open_verification, verify_chain

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def write_checkpoints() -> int:
    """Sign every agency's chain head (beat, every AUDIT_CHECKPOINT_SECONDS); returns how
    many agencies have a checkpoint."""
    written = 0
    for agency in Agency.objects.order_by("pk"):
        try:
            checkpoint = write_checkpoint(agency)
        except CheckpointError as error:
            # its kept checkpoint was damaged or forged: leave it as evidence (verification
            # reports it) and go on signing the other agencies
            log.error("not signing %s: its latest checkpoint cannot be trusted: %s",
                      agency.code, error)
            continue
        if checkpoint is not None:
            written += 1
    return written


@shared_task(ignore_result=True)
def verify_chain_job(verification_id: int) -> str:
    """Walk the chain for one ChainVerification row and store what was found.

    Progress and the result are short UPDATEs in autocommit: the walk itself holds no
    transaction open, so the auditor's page sees events_checked move as it goes.
    """
    Status = ChainVerification.Status
    started = ChainVerification.objects.filter(
        pk=verification_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=timezone.now(), updated_at=timezone.now())
    if not started:  # already run (a redelivered message), or abandoned as stale
        return ""
    verification = ChainVerification.objects.select_related("agency").get(pk=verification_id)
    rows = ChainVerification.objects.filter(pk=verification_id, status=Status.RUNNING)

    def progress(events_checked, head_seq):
        rows.update(events_checked=events_checked, head_seq=head_seq,
                    updated_at=timezone.now())

    try:
        report = verify_chain(verification.agency, progress=progress)
    except Exception as error:
        log.exception("checking the audit chain of %s failed", verification.agency.code)
        rows.update(status=Status.ERROR, finished_at=timezone.now(),
                    updated_at=timezone.now(), message=f"{type(error).__name__}: {error}")
        return Status.ERROR
    status = Status.OK if report.ok else Status.BROKEN
    rows.update(status=status, finished_at=timezone.now(), updated_at=timezone.now(),
                events_checked=report.events, break_kind=report.kind,
                break_seq=report.seq, message=report.problem)
    if not report.ok:
        log.error("the audit chain of %s is broken at #%s (%s): %s", report.agency_code,
                  report.seq, report.kind, report.problem)
    return status


@shared_task(ignore_result=True)
def verify_all_chains() -> int:
    """Beat, nightly: a check of every agency's chain (joining one already under way);
    returns how many were asked for."""
    count = 0
    for agency in Agency.objects.order_by("pk"):
        with transaction.atomic():
            verification, created = open_verification(agency=agency, user=None)
            if created:
                pk = verification.pk
                transaction.on_commit(lambda pk=pk: verify_chain_job.delay(pk), robust=True)
        count += 1
    return count
