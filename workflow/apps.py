from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = _("三审 + 保密审查")

    def ready(self):
        # a person deactivated or losing a role or section gives back their review claims
        from . import receivers

        receivers.connect()
