from django.contrib import admin

from .models import Channel, Release


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "agency", "is_active"]
    list_filter = ["agency", "kind", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    """Read-only: releases are created at final approval and moved by delivery."""

    list_display = ["id", "publication", "channel", "status", "round", "published_at"]
    list_filter = ["status", "channel__agency", "channel"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
