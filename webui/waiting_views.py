"""办理时效 (where items wait), for leaders, agency administrators and auditors: the page and
the CSV of the overdue list. disclosure.waiting computes everything; this parses the
filters and renders."""

import csv

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.models import Role, Section
from disclosure.waiting import AGE_BUCKET_LABELS, default_period, waiting

#: who may read the page
READERS = (Role.LEADER, Role.AGENCY_ADMIN, Role.AUDITOR)
#: the longest period asked for at once
MAX_PERIOD_DAYS = 731
#: overdue items shown on the page (the CSV has them all)
OVERDUE_SHOWN = 200
DATE = {"type": "date"}


def _reader_or_403(user):
    if not user.agency_id or not any(user.has_role(role) for role in READERS):
        raise PermissionDenied


class WaitingFilterForm(forms.Form):
    date_from = forms.DateField(label=gettext_lazy("开始日期"), required=False,
                                widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    date_to = forms.DateField(label=gettext_lazy("结束日期"), required=False,
                              widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    section = forms.ModelChoiceField(label=gettext_lazy("科室"), queryset=None, required=False,
                                     empty_label=gettext_lazy("全部科室"), to_field_name="code")

    def __init__(self, *args, agency, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["section"].queryset = Section.objects.filter(agency=agency).order_by("code")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        start, end = default_period(self.today)
        data["date_from"] = data.get("date_from") or start
        data["date_to"] = data.get("date_to") or end
        if data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("结束日期不能早于开始日期。"))
        elif (data["date_to"] - data["date_from"]).days >= MAX_PERIOD_DAYS:
            self.add_error("date_from", _("统计期间最长 %d 天，请缩短期间。") % MAX_PERIOD_DAYS)
        return data


def _figures(request, **options):
    """(the filter form, the figures for it), or the page with the form's errors (422)."""
    _reader_or_403(request.user)
    today = timezone.localdate()
    form = WaitingFilterForm(request.GET, agency=request.user.agency, today=today)
    if not form.is_valid():
        return form, render(request, "webui/statistics/waiting.html",
                            {"form": form, "figures": None}, status=422)
    data = form.cleaned_data
    return form, waiting(agency=request.user.agency, start=data["date_from"],
                         end=data["date_to"], section=data["section"], today=today, **options)


@login_required
def dashboard(request):
    form, figures = _figures(request)
    if isinstance(figures, HttpResponse):
        return figures
    return render(request, "webui/statistics/waiting.html", {
        "form": form, "figures": figures, "bucket_labels": AGE_BUCKET_LABELS,
        "overdue_shown": figures.overdue[:OVERDUE_SHOWN], "overdue_limit": OVERDUE_SHOWN,
        "query": request.GET.urlencode(),
    })


@login_required
def overdue_csv(request):
    _form, figures = _figures(request, only_overdue=True)
    if isinstance(figures, HttpResponse):
        return figures
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        True, _("超期未公开信息-%(agency)s-%(date)s.csv")
        % {"agency": request.user.agency.code, "date": figures.today.isoformat()})
    response.write("\ufeff")  # so that spreadsheet programs read the file as UTF-8
    writer = csv.writer(response)
    writer.writerow([_("标题"), _("科室"), _("当前环节"), _("经办或持有人"), _("形成日期"),
                     _("公开期限"), _("超期工作日"), _("到达当前环节")])
    for item in figures.overdue:
        writer.writerow([item.title, item.section, item.phase_label, item.holder_label,
                         item.formed_on.isoformat(), item.deadline.isoformat(),
                         "" if item.days_late is None else item.days_late,
                         item.waiting_since.isoformat()])
    return response
