from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("通知")

    def ready(self):
        # registers its beat task with Celery (not in `tasks`: see the module)
        from . import holiday_warnings  # noqa: F401
