"""The platform operator enters the next year's holiday notice here, then ticks the year
complete. The calendar is platform-wide (every agency's deadlines count with it): agency
admins read it, only the operator changes it, and each change is in the platform's chain."""

from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from agencies.admin_scope import ConfigAdmin

from .models import Holiday, HolidayKind, HolidaySource, HolidayYear


@admin.register(Holiday)
class HolidayAdmin(ConfigAdmin):
    list_display = ["date", "kind", "name", "source"]
    list_filter = ["kind", "source"]
    search_fields = ["name"]
    date_hierarchy = "date"
    ordering = ["-date"]
    fields = ["date", "kind", "name", "source"]
    readonly_fields = ["source"]

    def save_model(self, request, obj, form, change):
        # Whatever an administrator enters or corrects is theirs: re-seeding keeps it.
        obj.source = HolidaySource.ADMIN
        super().save_model(request, obj, form, change)


@admin.register(HolidayYear)
class HolidayYearAdmin(ConfigAdmin):
    list_display = ["year", "complete", "holiday_days", "workdays", "note"]
    list_filter = ["complete"]
    ordering = ["-year"]

    def get_queryset(self, request):
        # Both counts in the list's one query instead of two COUNT queries per row.
        return super().get_queryset(request).annotate(
            holiday_count=_days_in_year(HolidayKind.HOLIDAY),
            workday_count=_days_in_year(HolidayKind.WORKDAY))

    @admin.display(description=_("放假日数"))
    def holiday_days(self, obj):
        return obj.holiday_count

    @admin.display(description=_("调休上班日数"))
    def workdays(self, obj):
        return obj.workday_count


def _days_in_year(kind):
    """The number of `kind` days in the outer row's year (0 when there are none)."""
    days = (Holiday.objects.filter(date__year=OuterRef("year"), kind=kind).order_by()
            .values("kind").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(days, output_field=IntegerField()), 0)
