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
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import IsNull
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
    failed (to retry later).

    The notices are read once, and sent over one connection to the mail server; each is
    claimed by one UPDATE that also records the one sent before it (`_claim`), so a
    thousand e-mails (a chunk of daily digests) cost a thousand statements, not five
    thousand, with the same guarantee."""
    failed = []
    held = hold_quiet(notification_ids)
    notices = [notice for notice in due_for_email(notification_ids).select_related("recipient")
               if notice.pk not in held]
    if not notices:
        return failed
    mailer, sent = _open_mailer(), None
    try:
        for notice in notices:
            claimed_at = _claim(notice.pk, sent=sent)
            sent = None
            if claimed_at is None:
                continue
            try:
                _send(notice, mailer)
            except SEND_ERRORS as error:
                # Refused or unreachable: nothing went out, so another attempt may send it.
                Notification.objects.filter(pk=notice.pk, email_claimed_at=claimed_at).update(
                    email_claimed_at=None)
                log.warning("e-mail of notification %s failed: %s", notice.pk, error)
                failed.append(notice.pk)
            else:
                sent = notice.pk
        if sent is not None:
            Notification.objects.filter(pk=sent).update(emailed_at=timezone.now())
    finally:
        try:
            mailer.close()
        except SEND_ERRORS as error:
            log.warning("closing the connection to the mail server failed: %s", error)
    return failed


def message_id(notice) -> str:
    """The same for every attempt at one notice, whichever worker makes it."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<notification-{notice.pk}@{host}>"


def _open_mailer():
    """One connection for all the messages of a call; if the server cannot be reached
    now, each message tries again on its own (and fails as it would have)."""
    mailer = get_connection()
    try:
        mailer.open()
    except SEND_ERRORS as error:
        log.warning("the mail server could not be reached: %s", error)
    return mailer


#: neither sent nor claimed, as one expression: written as two IS NULLs, which are the
#: predicate of the partial index `notification_unemailed`, the planner (its statistics
#: taken before a run of digests was written) read that index's every entry, 18,000
#: unsent notices, for each claim: 12 ms instead of 0.1
_UNCLAIMED = IsNull(Coalesce("emailed_at", "email_claimed_at"), True)


def _claim(pk, *, sent=None):
    """Claim the notice for sending, committed (autocommit) before the message is handed
    to the mail server, and record `sent`, the notice sent just before, in the same
    statement. The time of the claim; None if the notice is sent, being sent, or claimed
    by another worker (whose claim, one statement, is waited for and then seen)."""
    now = timezone.now()
    if sent is None:
        claimed = Notification.objects.filter(_UNCLAIMED, pk=pk).update(email_claimed_at=now)
        return now if claimed else None
    updated = Notification.objects.filter(Q(pk__in=[pk, sent]),
                                          Q(pk=sent) | Q(_UNCLAIMED)).update(
        email_claimed_at=Case(When(pk=pk, then=Value(now)), default=F("email_claimed_at")),
        emailed_at=Case(When(pk=sent, then=Value(now)), default=F("emailed_at")))
    return now if updated == 2 else None


def _send(notice, mailer) -> None:
    headers = {"Message-ID": message_id(notice)}
    if notice.kind == NotificationKind.DAILY_DIGEST:
        subject, body, html = email_of_digest(notice)
        message = EmailMultiAlternatives(subject, body, to=[notice.recipient.email],
                                         headers=headers, connection=mailer)
        message.attach_alternative(html, "text/html")
    else:
        subject, body = email_of(notice)
        message = EmailMessage(subject, body, to=[notice.recipient.email], headers=headers,
                               connection=mailer)
    message.send()
