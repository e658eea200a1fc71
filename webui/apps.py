from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebuiConfig(AppConfig):
    name = "webui"
    verbose_name = _("工作台")

    def ready(self):
        from django.core import checks

        from .checks import translations_compiled

        checks.register(translations_compiled, "translations")
