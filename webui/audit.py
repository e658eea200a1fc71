"""The auditor's application in the web UI frame: the agency's audit trail, each item's
timeline and the chain check, read-only and for people holding the auditor role."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import audit_views
from .applications import RoleApplication


class AuditApplication(RoleApplication):
    app_name = "audit"
    title = _("审计")
    icon = "policy"
    roles = ("auditor",)
    menu = (("index", _("审计日志"), "history"),
            ("verify", _("校验"), "verified_user"))

    index_path = path("", audit_views.trail, name="index")
    export_path = path("export.csv", audit_views.trail_export, name="export")
    verify_path = path("verify/", audit_views.verify, name="verify")
    item_path = path("items/<int:publication_id>/", audit_views.item, name="item")
    round_path = path("items/<int:publication_id>/rounds/<int:round_number>/",
                      audit_views.item_round, name="round")
