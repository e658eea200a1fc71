from django.contrib import admin

from agencies.admin_scope import AgencyScopedAdmin, ReadOnlyAdmin

from .models import Attachment, Category, Publication


@admin.register(Category)
class CategoryAdmin(AgencyScopedAdmin):
    list_display = ["code", "name", "agency"]
    list_filter = ["agency"]
    search_fields = ["code", "name"]


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    can_delete = False
    readonly_fields = ["name", "size", "sha256", "content_type", "uploaded_at"]
    exclude = ["file"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    """Read-only: content changes only through the drafter's services, so reviews stay valid."""

    list_display = ["id", "title", "section", "status", "round", "drafter", "updated_at"]
    list_filter = ["agency", "status", "section", "category"]
    search_fields = ["title", "document_number"]
    inlines = [AttachmentInline]
