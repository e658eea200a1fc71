"""Reads of a person's notices."""

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
