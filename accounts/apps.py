from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("登录与令牌")

    def ready(self):
        from . import signals  # noqa: F401
