from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicSiteConfig(AppConfig):
    name = "publicsite"
    verbose_name = _("政府信息公开专栏")
