"""E-mail copies of notices: one plain-text message per notice, sent by a Celery task.

Idempotent: a notice is sent while its row is locked and only if `emailed_at` is empty,
and `emailed_at` is set in the same transaction, so a redelivered or retried task skips
what went out already. An SMTP failure leaves the notice unsent for the task's retry.
"""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from core.backoff import jittered_backoff

from .models import Notification
from .selectors import unsent_emails
from .texts import email_of

log = logging.getLogger(__name__)

# What a retry may cure: the mail server refused or could not be reached.
SEND_ERRORS = (smtplib.SMTPException, OSError)


def backoff_seconds(retry: int) -> float:
    return jittered_backoff(retry, base=settings.NOTIFICATION_EMAIL_RETRY_BASE_SECONDS,
                            cap=settings.NOTIFICATION_EMAIL_RETRY_MAX_SECONDS)


def due_for_email(notification_ids):
    """Those of the notices whose recipient has an address and wants e-mail, not sent yet."""
    return unsent_emails().filter(pk__in=notification_ids).order_by("pk")


def send_emails(notification_ids) -> list[int]:
    """Send what is due; returns the ids whose sending failed (to retry later)."""
    failed = []
    for pk in due_for_email(notification_ids).values_list("pk", flat=True):
        try:
            _send_one(pk)
        except SEND_ERRORS as error:
            log.warning("e-mail of notification %s failed: %s", pk, error)
            failed.append(pk)
    return failed


def _send_one(pk) -> None:
    with transaction.atomic():
        notice = (Notification.objects.select_for_update(skip_locked=True, of=("self",))
                  .select_related("recipient").filter(pk=pk, emailed_at__isnull=True).first())
        if notice is None:
            return  # sent already, or another worker is sending it right now
        subject, body = email_of(notice)
        EmailMessage(subject, body, to=[notice.recipient.email]).send()
        Notification.objects.filter(pk=pk).update(emailed_at=timezone.now())
