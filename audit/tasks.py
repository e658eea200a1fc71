"""Celery tasks of the audit trail. The logic lives in audit.checkpoints."""

import logging

from celery import shared_task

from agencies.models import Agency

from .checkpoints import CheckpointError, write_checkpoint

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
