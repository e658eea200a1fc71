from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .admin_scope import AgencyScopedAdmin
from .models import Agency, Channel, Role, Section, User
from .selectors import subordinates


@admin.register(Agency)
class AgencyAdmin(AgencyScopedAdmin):
    list_display = ["code", "name", "parent"]
    search_fields = ["code", "name"]
    agency_path = "pk"
    # An agency admin renames their own agency at most; agencies are the operator's.
    agency_admin_adds = False
    agency_admin_deletes = False

    def get_list_filter(self, request):
        return ["parent"] if request.user.is_superuser else []

    def get_readonly_fields(self, request, obj=None):
        # Who is whose parent is the operator's: a parent's supervisors read the
        # subordinates' reports, so an agency admin who could set it would open their
        # agency's to another agency (or make another agency's theirs).
        fields = list(super().get_readonly_fields(request, obj))
        return fields if request.user.is_superuser else [*fields, "parent"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        field = form.base_fields.get("parent")
        if field is not None and obj is not None:
            # not offered: the agency itself and its subordinates (Agency.clean refuses them)
            below = [s.agency.pk for s in subordinates(obj)]
            field.queryset = field.queryset.exclude(pk__in=[obj.pk, *below])
        return form


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
    list_display = ["code", "name", "kind", "agency", "order", "is_default", "is_active"]
    list_filter = ["agency", "kind", "is_active", "is_default"]
    search_fields = ["code", "name"]
    ordering = ["agency", "order", "kind", "name"]
