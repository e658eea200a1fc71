"""Celery tasks of notifications. The logic lives in notifications.emails."""

import logging

from celery import shared_task
from django.conf import settings

from . import emails

log = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_notification_emails(self, notification_ids: list[int]) -> None:
    failed = emails.send_emails(notification_ids)
    if not failed:
        return
    max_retries = getattr(settings, "NOTIFICATION_EMAIL_MAX_RETRIES", 8)
    # In the embedded mode tasks run in-process, where a countdown would not wait.
    if self.app.conf.task_always_eager or self.request.retries >= max_retries:
        log.error("gave up e-mailing notifications %s", failed)
        return
    raise self.retry(args=(failed,), countdown=emails.backoff_seconds(self.request.retries + 1),
                     max_retries=max_retries)
