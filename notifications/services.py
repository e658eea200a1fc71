"""A person's actions on their notices: read one, read all, turn e-mail on or off.

Notices themselves are created only by `notifications.receivers`, from audit events.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import NotFound

from .models import Notification, NotificationSettings


def open_notification(*, user, notification_id: int) -> Notification:
    """Mark the person's own notice read and return it (NotFound for anyone else's)."""
    notice = Notification.objects.filter(pk=notification_id, recipient_id=user.pk).first()
    if notice is None:
        raise NotFound(_("未找到该通知。"))
    if notice.read_at is None:
        notice.read_at = timezone.now()
        Notification.objects.filter(pk=notice.pk, read_at__isnull=True).update(
            read_at=notice.read_at)
    return notice


def mark_all_read(*, user) -> int:
    return (Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
            .update(read_at=timezone.now()))


def set_email_enabled(*, user, enabled: bool) -> NotificationSettings:
    preference, _created = NotificationSettings.objects.update_or_create(
        user_id=user.pk, defaults={"email_enabled": enabled})
    return preference
