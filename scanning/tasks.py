from celery import shared_task

from .services import scan_report_attachments  # noqa: F401 (a task: found by autodiscovery)


@shared_task(acks_late=True)
def scan_on_entering_secrecy_review(publication_id: int) -> None:
    from .services import scan_if_missing

    scan_if_missing(publication_id)
