from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("通知")

    def ready(self):
        # registers their tasks with Celery (not in `tasks`: see the modules)
        from . import holiday_warnings, messengers  # noqa: F401
