"""Celery tasks of the audit trail. The logic lives in audit.checkpoints."""

from celery import shared_task

from agencies.models import Agency

from .checkpoints import write_checkpoint


@shared_task(ignore_result=True)
def write_checkpoints() -> int:
    """Sign every agency's chain head (beat, every AUDIT_CHECKPOINT_SECONDS); returns how
    many agencies have a checkpoint."""
    written = 0
    for agency in Agency.objects.order_by("pk"):
        if write_checkpoint(agency) is not None:
            written += 1
    return written
