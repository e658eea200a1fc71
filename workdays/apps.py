from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkdaysConfig(AppConfig):
    name = "workdays"
    verbose_name = _("节假日与工作日")

    def ready(self):
        # Every save and delete of the calendar announces itself (calendar_changed).
        from . import signals

        signals.connect()
