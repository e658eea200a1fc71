"""Who may use which admin page, scoped to an agency, and every change recorded.

Two kinds of people use the Django admin:

- the **platform operator** (a superuser, in no agency): agencies, platform-wide
  configuration (the holiday calendar), and who is staff, superuser or has permissions;
- an **agency admin** (role `agency_admin`, staff, in one agency): their agency's people,
  sections (heads and leaders), channels, categories, word lists and public numbers, and
  nothing of any other agency. They get these pages by their role, not by Django
  permissions, so they never need (and cannot grant) a permission.

Every add, change and delete made through these pages is written to the audit trail in
the admin's transaction (`ConfigAdmin`): the trail's writer lives above this app, so it
registers itself here (`set_change_recorder`, from `audit.apps`), and a change with no
recorder registered is refused rather than left out of the trail. In the same transaction
the agency's cached public column is purged (core.column_cache): its name, categories and
channels are on those pages.
"""

from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import Http404

from core import column_cache

from .models import Agency, Role

_recorder = None


def set_change_recorder(recorder) -> None:
    """`recorder(*, user, obj, operation, changes)` writes one configuration-change event."""
    global _recorder
    _recorder = recorder


def is_agency_admin(user) -> bool:
    return (user.is_active and user.is_staff and user.agency_id is not None
            and Role.AGENCY_ADMIN in (user.roles or []))


# Never written to the trail in clear: only that they changed.
SECRET_WORDS = ("secret", "token", "password", "key")
# Bookkeeping nobody configures.
UNRECORDED = {"last_login"}


def is_secret(name: str) -> bool:
    return any(word in name.lower() for word in SECRET_WORDS)


def snapshot(obj) -> dict:
    """The row's configured values by field name (ids for relations, sorted id lists for
    many-to-many), before or after a change."""
    values = {}
    for field in obj._meta.concrete_fields:
        if field.name not in UNRECORDED:
            values[field.name] = field.value_from_object(obj)
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            values[field.name] = sorted(o.pk for o in field.value_from_object(obj))
    return values


def _flatten(values: dict) -> dict:
    """A dict-valued field (a channel's `config`) compared key by key, so a secret inside
    it is recognised by its own name."""
    flat = {}
    for name, value in values.items():
        if isinstance(value, dict):
            for key, inner in value.items():
                flat[f"{name}.{key}"] = inner
        else:
            flat[name] = value
    return flat


def changes_between(before: dict | None, after: dict | None) -> dict:
    """{field: {"old": …, "new": …}} of what differs; a secret only as {"changed": true}.

    An added row has no "old", a deleted one no "new"."""
    before, after = _flatten(before or {}), _flatten(after or {})
    changes = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if name in before and name in after and old == new:
            continue
        if is_secret(name) or name.split(".")[-1] == "password":
            changes[name] = {"changed": True}
            continue
        change = {}
        if name in before:
            change["old"] = old
        if name in after:
            change["new"] = new
        changes[name] = change
    return changes


def _column_codes(obj) -> list[str]:
    """The agencies whose public column a changed row may be on, before and after."""
    before = getattr(obj, "_config_before", None) or {}
    if isinstance(obj, Agency):
        return [obj.code, before.get("code")]
    agency_ids = {getattr(obj, "agency_id", None), before.get("agency")} - {None}
    return list(Agency.objects.filter(pk__in=agency_ids).values_list("code", flat=True))


class ConfigAdmin(admin.ModelAdmin):
    """An admin whose every add, change and delete writes a `config_changed` event.

    Only the platform operator (and whoever holds the Django permission) changes rows here
    unless a subclass says who else may (`AgencyScopedAdmin`: the agency's own admin).
    Agency admins read it.
    """

    def has_module_permission(self, request):
        return is_agency_admin(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_agency_admin(request.user) or super().has_view_permission(request, obj)

    def _record(self, request, obj, operation, changes):
        if _recorder is None:
            raise ImproperlyConfigured("no recorder of configuration changes is registered")
        _recorder(user=request.user, obj=obj, operation=operation, changes=changes)
        column_cache.purge(*_column_codes(obj))

    def save_model(self, request, obj, form, change):
        before = None
        if change:
            before = snapshot(type(obj)._default_manager.get(pk=obj.pk))
        obj._config_before = before
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        changes = changes_between(getattr(obj, "_config_before", None), snapshot(obj))
        if changes or not change:
            self._record(request, obj, "change" if change else "add", changes)

    def delete_model(self, request, obj):
        self._record(request, obj, "delete", changes_between(snapshot(obj), None))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():  # the changelist's bulk delete is not atomic by itself
            for obj in queryset:
                self._record(request, obj, "delete", changes_between(snapshot(obj), None))
            super().delete_queryset(request, queryset)


class AgencyScopedAdmin(ConfigAdmin):
    """Lists, edits and offers as choices only rows of the admin's own agency.

    The platform operator sees everything; an agency admin manages their agency's rows by
    their role. `agency_path` is the lookup from the model to its agency.
    """

    agency_path = "agency"
    # What an agency admin may do here beyond viewing and changing.
    agency_admin_adds = True
    agency_admin_deletes = True

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        if request.user.agency_id is None:
            return qs.none()
        return qs.filter(**{self.agency_path: request.user.agency_id})

    def get_object(self, request, object_id, from_field=None):
        # Another agency's row answers 404, as everywhere else (Django's admin would
        # redirect to its index with "does not exist").
        obj = super().get_object(request, object_id, from_field)
        if obj is None and not request.user.is_superuser:
            raise Http404
        return obj

    def get_list_filter(self, request):
        # Filtering by agency offers every agency's name: only for the operator.
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        return [f for f in filters if not (isinstance(f, str) and f.split("__")[0] == "agency")]

    def has_add_permission(self, request):
        return ((self.agency_admin_adds and is_agency_admin(request.user))
                or super().has_add_permission(request))

    def has_change_permission(self, request, obj=None):
        return is_agency_admin(request.user) or super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return ((self.agency_admin_deletes and is_agency_admin(request.user))
                or super().has_delete_permission(request, obj))

    def save_model(self, request, obj, form, change):
        # A row an agency admin adds is their agency's, whatever the form held.
        if (not request.user.is_superuser and self.agency_path == "agency"
                and hasattr(obj, "agency_id")):
            obj.agency_id = request.user.agency_id
        # Who made the change, for what it sets off in the same transaction: a person
        # deactivated or losing a role or section releases their review claims, recorded
        # in this admin's name (workflow.receivers).
        obj.changed_by = request.user
        super().save_model(request, obj, form, change)

    def _scoped_choices(self, db_field, request, kwargs):
        if request.user.is_superuser:
            return kwargs
        related = db_field.related_model
        if related._meta.model_name == "agency":
            kwargs["queryset"] = related.objects.filter(pk=request.user.agency_id)
        elif any(f.name == "agency" for f in related._meta.fields):
            kwargs["queryset"] = related.objects.filter(agency_id=request.user.agency_id)
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = self._scoped_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs = self._scoped_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ReadOnlyAdmin(AgencyScopedAdmin):
    """For records only services write (items, releases, the trail): look, never touch.

    Read by Django permission only: an agency admin's role covers configuration, not these.
    """

    def has_module_permission(self, request):
        return admin.ModelAdmin.has_module_permission(self, request)

    def has_view_permission(self, request, obj=None):
        return admin.ModelAdmin.has_view_permission(self, request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
