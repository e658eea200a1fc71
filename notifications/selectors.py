"""Reads of notices: a person's own, and those whose e-mail copy never went out."""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from .models import Notification, NotificationSettings


def notifications_for(*, user):
    """The person's notices, newest first (unread ones are shown highlighted)."""
    return (Notification.objects.filter(recipient_id=user.pk)
            .order_by("-created_at", "-id"))


def unread_count(*, user) -> int:
    """For the bell on every page: one indexed count, no query for anonymous people."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def email_enabled(*, user) -> bool:
    preference = NotificationSettings.objects.filter(user_id=user.pk).first()
    return preference.email_enabled if preference is not None else True


def digest_enabled(*, user) -> bool:
    preference = NotificationSettings.objects.filter(user_id=user.pk).first()
    return preference.digest_enabled if preference is not None else True


def unsent_emails():
    """Notices not mailed yet, nor being mailed, nor held over quiet hours, whose recipient
    is active, has an address and wants e-mail."""
    return (Notification.objects
            .filter(emailed_at__isnull=True, email_claimed_at__isnull=True,
                    recipient__is_active=True)
            .exclude(email_held_until__gt=timezone.now())
            .exclude(recipient__email="")
            .exclude(recipient__notification_settings__email_enabled=False))


def held_emails(*, now, limit: int) -> list[int]:
    """Notices whose e-mail was held over quiet hours that have ended, the earliest first
    (on the partial index `notification_held`)."""
    return list(unsent_emails().filter(email_held_until__lte=now)
                .order_by("email_held_until", "pk").values_list("pk", flat=True)[:limit])


def lost_emails(*, now, limit: int) -> list[int]:
    """Notices due for e-mail whose after-commit task never ran (the broker was down then),
    oldest first; one query, on the partial index `notification_unemailed`.

    Only those older than the grace period, in which the after-commit task sends them, and
    younger than the cut-off, so that a person who adds an address or turns e-mail back on
    is not flooded with old notices. The recipient conditions (`unsent_emails`) are in the
    query so that notices nobody will get by e-mail never fill the batch.
    """
    return list(
        unsent_emails()
        .filter(created_at__lte=now - dt.timedelta(
                    seconds=settings.NOTIFICATION_EMAIL_GRACE_SECONDS),
                created_at__gt=now - dt.timedelta(
                    seconds=settings.NOTIFICATION_EMAIL_MAX_AGE_SECONDS))
        # by age, as the index is: by id, PostgreSQL would walk the whole primary key
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit])


def unconfirmed_emails(*, now) -> int:
    """How many notices' e-mails were handed to the mail server more than the grace period
    ago (and within the cut-off) with no outcome recorded: the sender died mid-send.
    They are never re-sent (at most one e-mail per notice), only reported; the notice is
    in the bell either way."""
    return (Notification.objects
            .filter(emailed_at__isnull=True,
                    email_claimed_at__lte=now - dt.timedelta(
                        seconds=settings.NOTIFICATION_EMAIL_GRACE_SECONDS),
                    email_claimed_at__gt=now - dt.timedelta(
                        seconds=settings.NOTIFICATION_EMAIL_MAX_AGE_SECONDS))
            .count())
