from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScanningConfig(AppConfig):
    name = "scanning"
    verbose_name = _("保密与隐私预检")
