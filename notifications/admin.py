from django.contrib import admin

from agencies.admin_scope import ReadOnlyAdmin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Notices as sent, read-only: they are written only from audit events."""

    list_display = ["created_at", "recipient", "kind", "title", "read_at", "emailed_at"]
    list_filter = ["kind", "agency"]
    search_fields = ["title", "recipient__username", "recipient__display_name"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
