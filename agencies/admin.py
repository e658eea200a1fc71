from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .admin_scope import AgencyScopedAdmin
from .models import Agency, Channel, Role, Section, User


@admin.register(Agency)
class AgencyAdmin(AgencyScopedAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    agency_path = "pk"


@admin.register(Section)
class SectionAdmin(AgencyScopedAdmin):
    list_display = ["code", "name", "agency"]
    list_filter = ["agency"]
    filter_horizontal = ["heads", "leaders"]
    search_fields = ["code", "name"]


class UserRolesForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("角色"), choices=Role.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = User
        fields = ["roles"]  # the admin adds the fieldsets' fields


@admin.register(User)
class UserAdmin(AgencyScopedAdmin, BaseUserAdmin):
    form = UserRolesForm
    list_display = ["username", "display_name", "agency", "section", "roles", "is_active"]
    list_filter = ["agency", "is_active"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("机关与角色"), {"fields": ["display_name", "agency", "section", "roles"]}),
    )


@admin.register(Channel)
class ChannelAdmin(AgencyScopedAdmin):
    list_display = ["code", "name", "kind", "agency", "is_active"]
    list_filter = ["agency", "kind", "is_active"]
    search_fields = ["code", "name"]
