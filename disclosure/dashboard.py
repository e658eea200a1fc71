"""The statistics dashboard (统计看板) of one agency-year: what it shows, for the web UI's
page (webui.statistics_views) to render inside the frame."""

from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from workdays.selectors import missing_holiday_year

from . import report_services
from .api import MAX_YEAR, MIN_YEAR
from .charts import grouped_bars, horizontal_bars
from .open_items import SOON_WORKING_DAYS, open_item_deadlines
from .report_selectors import default_year, report_progress
from .selectors import agency_year_statistics, readable_agency


def month_labels() -> list[str]:
    """The chart's month axis in the reader's language."""
    return [_("%d月") % month for month in range(1, 13)]


class BadYear(ValueError):
    """The year asked for is not one the statistics cover."""


def dashboard_context(*, user, year_param: str = "", agency_param: str = "") -> dict:
    """The dashboard of the agency (code `agency_param`, default the reader's own) and year
    (default this year) a signed-in person may read; BadYear or Http404 otherwise."""
    raw_year = year_param or str(timezone.localdate().year)
    if not raw_year.isdigit() or not MIN_YEAR <= int(raw_year) <= MAX_YEAR:
        raise BadYear(_("年份无效：请填写 %(lo)d–%(hi)d 之间的四位年份。")
                      % {"lo": MIN_YEAR, "hi": MAX_YEAR})
    year = int(raw_year)
    code = agency_param or (user.agency.code if user.agency_id else "")
    agency = readable_agency(user=user, code=code) if code else None
    if agency is None:
        raise Http404(_("未找到该机关。"))
    stats = agency_year_statistics(agency=agency, year=year)
    charted = [(c.name, c.monthly) for c in stats.channels if c.released]
    timeliness = stats.timeliness
    return {
        "agency": agency,
        "year": year,
        "stats": stats,
        "table2": stats.as_api()["table2"],
        "on_time_share": (round(100 * timeliness["on_time"] / timeliness["released"], 1)
                          if timeliness["released"] else None),
        "monthly_chart": grouped_bars(month_labels(), charted,
                                      title=_("%d 年各渠道每月发布条数") % year)
        if charted else "",
        "category_chart": horizontal_bars([(c.name, c.released) for c in stats.categories],
                                          title=_("%d 年各公开目录类别发布条数") % year)
        if stats.categories else "",
        "previous_year": year - 1 if year > MIN_YEAR else None,
        "next_year": year + 1 if year < MAX_YEAR else None,
        "agency_param": agency_param,
        "deadlines": open_item_deadlines(agency=agency, today=timezone.localdate()),
        "soon_days": SOON_WORKING_DAYS,
        # from 1 October, next year's holiday notice not yet imported (workdays.selectors)
        "missing_holiday_year": missing_holiday_year(today=timezone.localdate()),
        **_report_context(user, agency),
    }


def _report_context(user, agency) -> dict:
    """The annual report being prepared (last year's): its state and due date, linked to
    its page for the people who may read it."""
    if not report_services.can_read(user, agency):
        return {}
    year = default_year()
    return {"report_progress": report_progress(agency=agency, year=year),
            "report_link": reverse("webui:reports:year", kwargs={"year": year})}
