"""The supervisor's page of the subordinates' annual reports (年度报告汇总) and its workbook.

Thin: the figures come from disclosure.report_overview, for the person's own agency and a
year (by default the last one, whose reports are due now).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from disclosure.api import MAX_YEAR, MIN_YEAR
from disclosure.report_overview import (
    OverviewStatus,
    can_supervise,
    overview,
    overview_content_disposition,
    overview_filename,
    overview_xlsx,
)
from disclosure.report_overview_api import XLSX

# a deadline this near is shown amber
SOON_DAYS = 14


def _year(request):
    """The year asked for, or None when it is not one; by default last year."""
    raw = request.GET.get("year") or str(timezone.localdate().year - 1)
    if not raw.isdigit() or not MIN_YEAR <= int(raw) <= MAX_YEAR:
        return None
    return int(raw)


def _bad_year():
    return HttpResponseBadRequest(_("年份无效：请填写 %(lo)d–%(hi)d 之间的四位年份。")
                                  % {"lo": MIN_YEAR, "hi": MAX_YEAR})


def _supervised_agency(user):
    if user.agency_id is None or not can_supervise(user, user.agency):
        raise PermissionDenied
    return user.agency


def deadline_badge(entry: dict) -> dict:
    days = entry["days_to_due"]
    if entry["status"] == OverviewStatus.RELEASED:
        return {"state": "done", "text": _("已公开")}
    if days < 0:
        return {"state": "overdue", "text": _("已逾期 %(n)d 天") % {"n": -days}}
    if days == 0:
        return {"state": "soon", "text": _("今天到期")}
    return {"state": "soon" if days <= SOON_DAYS else "ok",
            "text": _("还剩 %(n)d 天") % {"n": days}}


def page_figures(row: dict | None) -> dict | None:
    """The figures the page shows of a summary row (the workbook has them all)."""
    if row is None or row.get("table2") is None:
        return None
    t2, t3, t4 = row["table2"], row["table3"], row["table4"]
    return {"licensing": t2["licensing"], "penalties": t2["penalties"],
            "enforcement": t2["enforcement"], "fees_wan_yuan": t2["fees_wan_yuan"],
            "new": t3["new"], "carried_over": t3["carried_over"],
            "results_total": t3["results_total"], "carried_forward": t3["carried_forward"],
            "reconsideration": t4["reconsideration"],
            "lawsuits": t4["litigation_direct"] + t4["litigation_after_reconsideration"]}


@login_required
def reports(request):
    agency = _supervised_agency(request.user)
    year = _year(request)
    if year is None:
        return _bad_year()
    data = overview(agency=agency, year=year)
    rows = [{"entry": entry, "summary": summary, "badge": deadline_badge(entry),
             "status_label": OverviewStatus(entry["status"]).label,
             "figures": page_figures(summary)}
            for entry, summary in zip(data["agencies"], data["summary"], strict=True)]
    counts = {status: 0 for status in OverviewStatus.values}
    for entry in data["agencies"]:
        counts[entry["status"]] += 1
    return render(request, "webui/subordinates/reports.html", {
        "agency": agency, "year": year, "data": data, "rows": rows,
        "total": page_figures(data["summary_total"]),
        "counts": [(status, label, counts[status]) for status, label in OverviewStatus.choices
                   if counts[status]],
        "previous_year": year - 1 if year > MIN_YEAR else None,
        # no report is written for a year not yet begun
        "next_year": year + 1 if year < timezone.localdate().year else None,
        "filename": overview_filename(data),
    })


@login_required
def reports_download(request):
    agency = _supervised_agency(request.user)
    year = _year(request)
    if year is None:
        return _bad_year()
    data = overview(agency=agency, year=year)
    response = HttpResponse(overview_xlsx(data), content_type=XLSX)
    response["Content-Disposition"] = overview_content_disposition(data)
    return response
