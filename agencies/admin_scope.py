"""Admin pages scoped to the agency of an agency admin who is not a superuser."""

from django.contrib import admin


class AgencyScopedAdmin(admin.ModelAdmin):
    """Lists, edits and offers as choices only rows of the admin's own agency.

    Superusers see everything. `agency_path` is the lookup from the model to its agency.
    """

    agency_path = "agency"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{self.agency_path: request.user.agency_id})

    def _scoped_choices(self, db_field, request, kwargs):
        if request.user.is_superuser:
            return kwargs
        related = db_field.related_model
        if related._meta.model_name == "agency":
            kwargs["queryset"] = related.objects.filter(pk=request.user.agency_id)
        elif any(f.name == "agency" for f in related._meta.fields):
            kwargs["queryset"] = related.objects.filter(agency_id=request.user.agency_id)
        return kwargs

    def save_model(self, request, obj, form, change):
        # Who made the change, for what it sets off in the same transaction: a person
        # deactivated or losing a role or section releases their review claims, recorded
        # in this admin's name (workflow.receivers).
        obj.changed_by = request.user
        super().save_model(request, obj, form, change)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = self._scoped_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs = self._scoped_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ReadOnlyAdmin(AgencyScopedAdmin):
    """For records only services write (items, releases, the trail): look, never touch."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
