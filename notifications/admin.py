from django.contrib import admin
from django.db import models

from agencies.admin_scope import AgencyScopedAdmin, ReadOnlyAdmin

from .models import MessengerHook, Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Notices as sent, read-only: they are written only from audit events."""

    list_display = ["created_at", "recipient", "kind", "title", "read_at", "emailed_at"]
    list_filter = ["kind", "agency"]
    search_fields = ["title", "recipient__username", "recipient__display_name"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"


@admin.register(MessengerHook)
class MessengerHookAdmin(AgencyScopedAdmin):
    """An agency's group robots (企业微信, 钉钉), kept by its admin. The address (which
    carries the robot's key) and the signing secret are recorded in the trail only as
    changed (`agencies.admin_scope.SECRET_WORDS`: their names say token and secret)."""

    list_display = ["name", "kind", "section", "agency", "is_active"]
    list_filter = ["agency", "kind", "is_active"]
    search_fields = ["name"]
    list_select_related = ["section", "agency"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
