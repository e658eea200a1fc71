from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("审计留痕")

    def ready(self):
        # The admin pages of configuration (in `agencies` and above) record every change
        # through this; `agencies` sits below the trail and cannot import it.
        from agencies.admin_scope import set_change_recorder

        from .config_changes import record_config_change
        set_change_recorder(record_config_change)
