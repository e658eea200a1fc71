from celery import shared_task


@shared_task(acks_late=True)
def scan_on_entering_secrecy_review(publication_id: int) -> None:
    from .services import scan_if_missing

    scan_if_missing(publication_id)
