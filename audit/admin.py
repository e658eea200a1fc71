from django.contrib import admin

from agencies.admin_scope import ReadOnlyAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The trail, read-only (the database refuses changes on PostgreSQL anyway)."""

    list_display = ["agency", "seq", "action", "actor_username", "tier", "round", "subject_type",
                    "subject_id", "at"]
    list_filter = ["agency", "action", "tier"]
    search_fields = ["actor_username", "comment"]
