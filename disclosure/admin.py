"""Administrators enter the next year's holiday notice here, then tick the year complete."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Holiday, HolidaySource, HolidayYear


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
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
class HolidayYearAdmin(admin.ModelAdmin):
    list_display = ["year", "complete", "holiday_days", "workdays", "note"]
    list_filter = ["complete"]
    ordering = ["-year"]

    @admin.display(description=_("放假日数"))
    def holiday_days(self, obj):
        return Holiday.objects.filter(date__year=obj.year, kind="holiday").count()

    @admin.display(description=_("调休上班日数"))
    def workdays(self, obj):
        return Holiday.objects.filter(date__year=obj.year, kind="workday").count()
