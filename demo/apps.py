from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo agency for the embedded mode (`manage.py seed_demo`); no models."""

    name = "demo"
    verbose_name = _("演示数据")
