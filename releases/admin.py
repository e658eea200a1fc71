from django.contrib import admin

from agencies.admin_scope import ReadOnlyAdmin

from .models import Release, RetractionRequest


@admin.register(Release)
class ReleaseAdmin(ReadOnlyAdmin):
    """Read-only: releases are created at final approval and moved by delivery."""

    agency_path = "channel__agency"

    list_display = ["id", "publication", "channel", "status", "round", "published_at"]
    list_filter = ["status", "channel__agency", "channel"]


@admin.register(RetractionRequest)
class RetractionRequestAdmin(ReadOnlyAdmin):
    """Read-only: requests are made and decided through the API by publishers and leaders."""

    agency_path = "publication__agency"
    list_display = ["id", "publication", "requested_by", "status", "decided_by", "created_at"]
    list_filter = ["status"]
