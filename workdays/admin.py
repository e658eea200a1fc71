"""The platform operator enters the next year's holiday notice here — imported as a CSV
("导入年度节假日安排" on the years' list: upload, preview, confirm) or day by day, then
ticks the year complete. The calendar is platform-wide (every agency's deadlines count
with it): agency admins read it, only the operator changes it, and each change is in the
platform's chain."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agencies.admin_scope import ConfigAdmin
from core.errors import Conflict, InvalidInput, NotPermitted

from .forms import CalendarConfirmForm, CalendarUploadForm
from .imports import apply_calendar, parse_calendar_csv
from .models import Holiday, HolidayKind, HolidaySource, HolidayYear
from .selectors import suggested_import_year


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

    # --- the yearly import ---------------------------------------------------------------

    def get_urls(self):
        return [path("import/", self.admin_site.admin_view(self.import_view),
                     name="workdays_holidayyear_import"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import_calendar": can_import(request.user)}
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        """GET: the upload form. POST the file: the preview (422 with the file's errors,
        nothing changed). POST the preview's confirmation: applied, back to the list."""
        if not can_import(request.user):
            raise PermissionDenied
        if request.method == "POST" and "_confirm" in request.POST:
            return self._confirm(request)
        if request.method == "POST":
            form = CalendarUploadForm(request.POST, request.FILES)
            if not form.is_valid():
                return self._page(request, "import.html", {"form": form}, status=422)
            data = form.file_bytes()
            plan = parse_calendar_csv(data, form.cleaned_data["year"])
            if not plan.ok:
                return self._page(request, "import.html", {"form": form, "plan": plan},
                                  status=422)
            confirm = CalendarConfirmForm(initial={
                "year": plan.year, "content": CalendarConfirmForm.encode(data),
                "digest": plan.digest, "note": form.cleaned_data["note"]})
            return self._page(request, "import_preview.html", {"plan": plan, "form": confirm})
        form = CalendarUploadForm(initial={
            "year": suggested_import_year(today=timezone.localdate())})
        return self._page(request, "import.html", {"form": form})

    def _confirm(self, request):
        form = CalendarConfirmForm(request.POST)
        if not form.is_valid():
            if "content" in form.errors or "year" in form.errors or "digest" in form.errors:
                messages.error(request, gettext("预览数据已损坏：请重新上传文件。"))
                return redirect("admin:workdays_holidayyear_import")
            plan = parse_calendar_csv(form.cleaned_data["content"], form.cleaned_data["year"])
            return self._page(request, "import_preview.html", {"plan": plan, "form": form},
                              status=422)
        data = form.cleaned_data
        plan = parse_calendar_csv(data["content"], data["year"])
        try:
            result = apply_calendar(user=request.user, plan=plan, digest=data["digest"],
                                    note=data["note"])
        except NotPermitted as error:
            raise PermissionDenied(error.message) from error
        except (InvalidInput, Conflict) as error:
            messages.error(request, error.message)
            return redirect("admin:workdays_holidayyear_import")
        messages.success(request, gettext(
            "已导入 %(year)d 年节假日安排：新增 %(added)d 天，修改 %(changed)d 天，删除 "
            "%(removed)d 天；该年已标记为完整录入，相关期限将重新计算。") % {
                "year": result.year, "added": result.added, "changed": result.changed,
                "removed": result.removed})
        return redirect("admin:workdays_holidayyear_changelist")

    def _page(self, request, template, context, status=200):
        return TemplateResponse(request, f"admin/workdays/holidayyear/{template}", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": _("导入年度节假日安排"), **context}, status=status)


def can_import(user) -> bool:
    """The platform operator imports; agency admins only read the calendar."""
    return user.is_active and user.is_superuser


def _days_in_year(kind):
    """The number of `kind` days in the outer row's year (0 when there are none)."""
    days = (Holiday.objects.filter(date__year=OuterRef("year"), kind=kind).order_by()
            .values("kind").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(days, output_field=IntegerField()), 0)
