"""Celery tasks of notifications. The logic lives in notifications.emails."""

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import emails, selectors

log = logging.getLogger(__name__)

# The sweeper's batch: a lost e-mail waits one more sweep at most in a large backlog.
SWEEP_LIMIT = 500
# Per task it dispatches, so that a backlog does not hold one worker for minutes.
SWEEP_CHUNK = 50


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_notification_emails(self, notification_ids: list[int], retry: bool = True) -> None:
    failed = emails.send_emails(notification_ids)
    if not failed or not retry:
        return
    max_retries = settings.NOTIFICATION_EMAIL_MAX_RETRIES
    # In the embedded mode tasks run in-process, where a countdown would not wait.
    if self.app.conf.task_always_eager or self.request.retries >= max_retries:
        log.error("gave up e-mailing notifications %s", failed)
        return
    raise self.retry(args=(failed,), countdown=emails.backoff_seconds(self.request.retries + 1),
                     max_retries=max_retries)


@shared_task(ignore_result=True)
def sweep_unsent_emails() -> int:
    """E-mail the notices whose after-commit task was lost (see `selectors.lost_emails`).

    Sending goes through `send_notification_emails`, which claims each notice before sending
    and skips any claimed or sent already, so a race with the after-commit task, or a crash
    of either, still sends at most once. Without retries:
    the next sweep is the retry, and a mail server that is down does not pile up a chain of
    retries per sweep.
    """
    now = timezone.now()
    ids = selectors.lost_emails(now=now, limit=SWEEP_LIMIT)
    for start in range(0, len(ids), SWEEP_CHUNK):
        send_notification_emails.delay(ids[start:start + SWEEP_CHUNK], retry=False)
    if ids:
        log.warning("e-mailing %d notices still unsent after the grace period", len(ids))
    unconfirmed = selectors.unconfirmed_emails(now=now)
    if unconfirmed:
        log.error("%d notices' e-mails were being sent when their sender died; not re-sent "
                  "(at most one e-mail per notice): see Notification.email_claimed_at",
                  unconfirmed)
    return len(ids)


@shared_task(ignore_result=True)
def send_held_emails() -> int:
    """E-mail the notices held over quiet hours that have ended (`notifications.quiet`),
    in chunks, as the sweeper does; claimed before sending, so at most once."""
    ids = selectors.held_emails(now=timezone.now(), limit=SWEEP_LIMIT)
    for start in range(0, len(ids), SWEEP_CHUNK):
        send_notification_emails.delay(ids[start:start + SWEEP_CHUNK])
    return len(ids)
