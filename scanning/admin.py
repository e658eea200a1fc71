from django.contrib import admin

from agencies.admin_scope import AgencyScopedAdmin

from .models import PublicNumber, SensitiveWordList


@admin.register(SensitiveWordList)
class SensitiveWordListAdmin(AgencyScopedAdmin):
    list_display = ["name", "severity", "agency", "is_active"]
    list_filter = ["agency", "severity", "is_active"]


@admin.register(PublicNumber)
class PublicNumberAdmin(AgencyScopedAdmin):
    list_display = ["number", "label", "agency"]
    list_filter = ["agency"]
