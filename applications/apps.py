from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("依申请公开")

    def ready(self):
        from . import receivers  # noqa: F401  (recompute deadlines when the calendar changes)
