"""E-mail copies of notices: one plain-text message per notice, sent by a Celery task.

At most one e-mail per notice, across crashes and redeliveries: the notice is claimed
(`email_claimed_at`) in a transaction that commits *before* the message is handed to the
mail server, and only an unclaimed, unsent notice is claimed. Then:

- the server accepted it: `emailed_at` is set;
- the server refused it or could not be reached (an SMTP error): the claim is released
  and the task's retry, or the sweeper, sends it later;
- the process died in between (killed, the machine lost): the claim stays, nothing sends
  it again. Such notices are reported by the sweeper (`selectors.unconfirmed_emails`);
  the notice itself is in the person's bell either way.

Sending inside the transaction that records it (as before) was at least once: a crash
after the server accepted the message rolled the record back, and the redelivered task
sent it again. Every message carries a Message-ID derived from the notice, so a mail
system that still sees the same notice twice can tell.
"""

import logging
import smtplib
from collections import defaultdict
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency
from core.backoff import jittered_backoff
from workdays.calendar import WorkingCalendar

from . import quiet
from .digest_texts import email_of_digest
from .kinds import NotificationKind
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


def hold_quiet(notification_ids) -> set[int]:
    """Hold the e-mails of those notices that are due in their agency's quiet hours and are
    not urgent (`notifications.quiet`): they are sent when the quiet period ends. Returns
    the ids held."""
    rows = list(due_for_email(notification_ids).values_list("pk", "kind", "agency_id"))
    if not rows:
        return set()
    agencies = Agency.objects.in_bulk({agency for _pk, _kind, agency in rows})
    now, calendar = timezone.now(), WorkingCalendar()
    held = defaultdict(list)
    for pk, kind, agency in rows:
        until = quiet.held_until(agencies[agency], kind, now, calendar)
        if until is not None:
            held[until].append(pk)
    for until, pks in held.items():
        Notification.objects.filter(pk__in=pks).update(email_held_until=until)
    return {pk for pks in held.values() for pk in pks}


def send_emails(notification_ids) -> list[int]:
    """Send what is due (holding what is due in quiet hours); returns the ids whose sending
    failed (to retry later)."""
    failed = []
    held = hold_quiet(notification_ids)
    for pk in due_for_email(notification_ids).values_list("pk", flat=True):
        if pk in held:
            continue
        try:
            _send_one(pk)
        except SEND_ERRORS as error:
            log.warning("e-mail of notification %s failed: %s", pk, error)
            failed.append(pk)
    return failed


def message_id(notice) -> str:
    """The same for every attempt at one notice, whichever worker makes it."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<notification-{notice.pk}@{host}>"


def _claim(pk):
    """The notice, claimed for sending in a committed transaction; None if it is sent,
    being sent, or claimed by another worker right now."""
    with transaction.atomic():
        notice = (Notification.objects.select_for_update(skip_locked=True, of=("self",))
                  .select_related("recipient")
                  .filter(pk=pk, emailed_at__isnull=True, email_claimed_at__isnull=True)
                  .first())
        if notice is None:
            return None
        notice.email_claimed_at = timezone.now()
        Notification.objects.filter(pk=pk).update(email_claimed_at=notice.email_claimed_at)
    return notice


def _send_one(pk) -> None:
    notice = _claim(pk)
    if notice is None:
        return
    headers = {"Message-ID": message_id(notice)}
    if notice.kind == NotificationKind.DAILY_DIGEST:
        subject, body, html = email_of_digest(notice)
        message = EmailMultiAlternatives(subject, body, to=[notice.recipient.email],
                                         headers=headers)
        message.attach_alternative(html, "text/html")
    else:
        subject, body = email_of(notice)
        message = EmailMessage(subject, body, to=[notice.recipient.email], headers=headers)
    try:
        message.send()
    except SEND_ERRORS:
        # Refused or unreachable: nothing went out, so another attempt may send it.
        Notification.objects.filter(pk=pk, email_claimed_at=notice.email_claimed_at).update(
            email_claimed_at=None)
        raise
    Notification.objects.filter(pk=pk).update(emailed_at=timezone.now())
