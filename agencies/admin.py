from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .admin_scope import AgencyScopedAdmin
from .models import Agency, Channel, Role, Section, User


@admin.register(Agency)
class AgencyAdmin(AgencyScopedAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    agency_path = "pk"
    # An agency admin renames their own agency at most; agencies are the operator's.
    agency_admin_adds = False
    agency_admin_deletes = False


@admin.register(Section)
class SectionAdmin(AgencyScopedAdmin):
    list_display = ["code", "name", "agency"]
    list_filter = ["agency"]
    filter_horizontal = ["heads", "leaders"]
    search_fields = ["code", "name"]


class UserRolesForm(UserChangeForm):
    """Django's person form (the password shown as a read-only hash summary, changed only
    through its own form), with the roles as checkboxes."""

    roles = forms.MultipleChoiceField(
        label=_("角色"), choices=Role.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta(UserChangeForm.Meta):
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
    # Only a platform operator (a superuser) grants these: an agency admin who could tick
    # them would make themselves (or anyone) an operator of every agency.
    OPERATOR_ONLY = {"is_superuser", "is_staff", "groups", "user_permissions"}

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        # A platform operator's account is not an agency's to change, whatever its agency.
        return qs if request.user.is_superuser else qs.filter(is_superuser=False)

    def user_change_password(self, request, id, form_url=""):
        # Django's page saves without a transaction and outside save_model: record the
        # change (never the password) with it.
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                self._record(request, self.get_object(request, unquote(id)), "change",
                             {"password": {"changed": True}})
        return response

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [(name, {**options, "fields": [f for f in options["fields"]
                                              if f not in self.OPERATOR_ONLY]})
                for name, options in fieldsets]


@admin.register(Channel)
class ChannelAdmin(AgencyScopedAdmin):
    list_display = ["code", "name", "kind", "agency", "is_active"]
    list_filter = ["agency", "kind", "is_active"]
    search_fields = ["code", "name"]
