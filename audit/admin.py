from django.contrib import admin

from agencies.admin_scope import AgencyScopedAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(AgencyScopedAdmin):
    """The trail, read-only (the database refuses changes on PostgreSQL anyway)."""

    list_display = ["agency", "seq", "action", "actor_username", "tier", "round", "publication",
                    "at"]
    list_filter = ["agency", "action", "tier"]
    search_fields = ["actor_username", "comment"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
