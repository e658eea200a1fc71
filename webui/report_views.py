"""The annual report pages (政府信息公开工作年度报告): one page per year with the tables,
the checks, the narrative, the versions and the downloads; finalising and submitting each
behind a confirmation page.

Thin: the content is disclosure.report_api.report_of's (what the API answers), every change
goes through disclosure.report_services. A person reads their own agency's report only;
those who may not edit it (leaders, auditors, drafters) get it read-only, and a change they
post anyway is 403. A service's refusal is a message on the page, never a 500.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies.models import ChannelKind
from applications.models import ApplicantType
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from disclosure import report_services, reports
from disclosure.api import MIN_YEAR
from disclosure.models import OpeningBalance, ReportStatus
from disclosure.report_api import report_of
from disclosure.report_exports import report_html, report_title
from disclosure.report_files import submission_parts
from disclosure.report_selectors import default_year, report_progress
from publications.selectors import visible_publications

from . import report_display
from .report_forms import (
    PLACEHOLDER_PATTERN,
    SECTION_LABELS,
    NarrativeForm,
    OpeningBalanceForm,
    SubmitReportForm,
    placeholders,
)

YEARS_OFFERED = 10
# product names, the same in every language
FORMATS = (("docx", "Word"), ("pdf", "PDF"), ("xlsx", "Excel"), ("html", "HTML"))


# ---------------------------------------------------------------- helpers

def _agency(user):
    """The person's agency, if they may read its report (else 403)."""
    agency = user.agency
    if agency is None or not report_services.can_read(user, agency):
        raise PermissionDenied
    return agency


def _editor_agency(user):
    agency = _agency(user)
    if not report_services.can_edit(user, agency):
        raise PermissionDenied
    return agency


def _check_year(year: int) -> None:
    """Years of the system's range up to this one: a report of a year not yet begun is
    not a page."""
    if not MIN_YEAR <= year <= timezone.localdate().year:
        raise Http404


def _year_url(year: int) -> str:
    return reverse("webui:reports:year", kwargs={"year": year})


def _back(year: int):
    return redirect(_year_url(year))


def _content(agency, year: int, version: int | None = None) -> dict:
    try:
        return report_of(agency, year, version)
    except NotFound as error:
        raise Http404 from error


def _document(content: dict) -> str:
    """The report as the exports render it for embedding (it carries its own CSS), with
    the placeholders still to fill in marked."""
    html = report_html(content, standalone=False)
    return mark_safe(PLACEHOLDER_PATTERN.sub(
        lambda m: f'<mark class="webui-placeholder">{m.group(0)}</mark>', html))


def _checks(content: dict) -> dict:
    """The checks, those failing first (errors, then warnings), then those passed."""
    checks = content.get("checks", [])
    rank = {(False, "error"): 0, (False, "warning"): 1}
    return {
        "all": sorted(checks, key=lambda c: rank.get((c["ok"], c["severity"]), 2)),
        "errors": [c for c in checks if not c["ok"] and c["severity"] == "error"],
        "warnings": [c for c in checks if not c["ok"] and c["severity"] == "warning"],
    }


def _downloads(agency, year: int, version: int | None) -> list[tuple[str, str]]:
    base = reverse("annual-report")
    query = {"agency": agency.code, "year": year}
    if version:
        query["version"] = version
    return [(f"{base}?{urlencode({**query, 'format': fmt})}", label) for fmt, label in FORMATS]


def _years(agency, year: int) -> list[int]:
    this_year = timezone.localdate().year
    years = set(range(max(MIN_YEAR, this_year - YEARS_OFFERED), this_year + 1))
    years |= set(agency.annual_reports.values_list("year", flat=True))
    years.add(year)
    return sorted((y for y in years if MIN_YEAR <= y <= this_year), reverse=True)


def _sections(content: dict, form=None) -> list[dict]:
    """Each section of the narrative with its field, whether it was edited and the
    placeholders it still holds."""
    edited = set(content.get("edited_sections", []))
    rows = []
    for key in reports.SECTION_KEYS:
        text = content["sections"].get(key, "")
        rows.append({
            "key": key, "label": SECTION_LABELS[key], "text": text, "edited": key in edited,
            "placeholders": placeholders(text),
            "field": form[key] if form is not None else None,
            "shown": form[f"shown_{key}"] if form is not None else None,
        })
    return rows


def _opening_balance(agency, year: int, editable: bool):
    """(the balance entered for the year or None, a form to enter it or None). Only an
    agency without last year's final report in the system declares one, once."""
    balance = OpeningBalance.objects.filter(agency=agency, year=year).first()
    if balance is not None or not editable:
        return balance, None
    if reports.last_final(agency=agency, year=year - 1) is not None:
        return None, None
    return None, OpeningBalanceForm(prefix="balance")


# ---------------------------------------------------------------- the pages

@login_required
def index(request):
    """The year chosen in the picker, or last year's report (the one being prepared)."""
    _agency(request.user)
    raw = request.GET.get("year", "")
    if not raw:
        return _back(default_year())
    if not raw.isdigit() or not MIN_YEAR <= int(raw) <= timezone.localdate().year:
        messages.error(request, _("年度无效：请选择 %(lo)d 年至今年之间的年度。") % {
            "lo": MIN_YEAR})
        return _back(default_year())
    return _back(int(raw))


@login_required
def year_page(request, year, *, narrative_form=None, balance_form=None, status=200):
    user = request.user
    agency = _agency(user)
    _check_year(year)
    raw_version = request.GET.get("version", "")
    if raw_version and not raw_version.isdigit():
        raise Http404
    version = int(raw_version) if raw_version else None
    content = _content(agency, year, version)
    versions = content["versions"]
    latest = versions[-1]["version"] if versions else 1
    viewing_latest = version is None or version == latest
    final = content["status"] == ReportStatus.FINAL
    can_edit = report_services.can_edit(user, agency)
    editable = can_edit and viewing_latest and not final
    if editable and narrative_form is None:
        narrative_form = NarrativeForm(sections=content["sections"])
    balance, new_balance_form = _opening_balance(agency, year, editable)
    publication_id = content.get("publication")
    return render(request, "webui/reports/year.html", {
        "agency": agency, "year": year, "content": content,
        "version": content["version"], "final": final, "viewing_latest": viewing_latest,
        "latest_version": latest,
        "progress": report_progress(agency=agency, year=year),
        "years": _years(agency, year),
        "checks": _checks(content),
        "document": _document(content),
        "sections": _sections(content, narrative_form if editable else None),
        "narrative_form": narrative_form if editable else None,
        "previous_problems": content.get("previous_problems", ""),
        "opening_balance": balance,
        "opening_balance_rows": [(label, balance.counts.get(value, 0))
                                 for value, label in ApplicantType.choices] if balance else [],
        "balance_form": balance_form or new_balance_form,
        "can_edit": can_edit, "editable": editable,
        "can_finalise": editable,
        "can_new_version": can_edit and viewing_latest and final,
        "can_submit": can_edit and viewing_latest and final and not content.get("publication"),
        "publication_id": publication_id,
        # the item in review, linked for those who may open it
        "publication_visible": bool(publication_id) and visible_publications(user).filter(
            pk=publication_id).exists(),
        "changes": report_display.changes(content) if final else [],
        "downloads": _downloads(agency, year, version),
    }, status=status)


@require_POST
@login_required
def edit_sections(request, year):
    agency = _editor_agency(request.user)
    _check_year(year)
    content = _content(agency, year)
    form = NarrativeForm(request.POST, sections=content["sections"])
    if not form.is_valid():
        messages.error(request, _("正文有误，请按提示修改。"))
        return year_page(request, year, narrative_form=form, status=422)
    changes = form.changes()
    if not changes:
        messages.info(request, _("正文没有改动。"))
        return _back(year)
    try:
        report_services.edit_sections(user=request.user, agency=agency, year=year,
                                      sections=changes)
    except (InvalidInput, Conflict, NotPermitted, NotFound) as error:
        messages.error(request, error.message)
        return _back(year)
    restored = form.cleaned_data.get("restore")
    if restored:
        messages.success(request, _("“%(section)s”已恢复为按数据生成的文字。") % {
            "section": SECTION_LABELS[restored]})
    else:
        messages.success(request, _("已保存正文：%(sections)s。") % {
            "sections": "、".join(str(SECTION_LABELS[k]) for k in changes)})
    return redirect(_year_url(year) + "#narrative")


@require_POST
@login_required
def opening_balance(request, year):
    agency = _editor_agency(request.user)
    _check_year(year)
    form = OpeningBalanceForm(request.POST, prefix="balance")
    if not form.is_valid():
        messages.error(request, _("期初数有误，请按提示修改。"))
        return year_page(request, year, balance_form=form, status=422)
    try:
        report_services.enter_opening_balance(user=request.user, agency=agency, year=year,
                                              counts=form.counts())
    except (InvalidInput, Conflict, NotPermitted, NotFound) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已录入期初数（上年结转申请）。"))
    return _back(year)


@login_required
def finalise(request, year):
    """GET: what finalising does and, if any check fails, what must be fixed first.
    POST: finalise; a failing check refuses it and nothing changes."""
    agency = _editor_agency(request.user)
    _check_year(year)
    if request.method == "POST":
        try:
            report, failing = report_services.finalise(user=request.user, agency=agency,
                                                       year=year)
        except (InvalidInput, Conflict, NotPermitted, NotFound) as error:
            messages.error(request, error.message)
            return _back(year)
        if not failing:
            messages.success(request, _("第 %(v)s 版已定稿。此后的修改须新建版本。") % {
                "v": report.version})
            return _back(year)
        messages.error(request, _("年度报告未通过校核，没有定稿：请先按下列提示修改。"))
        content, status = _content(agency, year), 409
    else:
        content, status = _content(agency, year), 200
        if content["status"] == ReportStatus.FINAL:
            messages.info(request, _("第 %(v)s 版已定稿；如需更正，请新建版本。") % {
                "v": content["version"]})
            return _back(year)
        failing = reports.failing(content)
    return render(request, "webui/reports/finalise.html", {
        "agency": agency, "year": year, "content": content, "failing": failing,
        "warnings": _checks(content)["warnings"],
    }, status=status)


@require_POST
@login_required
def new_version(request, year):
    agency = _editor_agency(request.user)
    _check_year(year)
    try:
        report = report_services.new_version(user=request.user, agency=agency, year=year)
    except (InvalidInput, Conflict, NotPermitted, NotFound) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已新建第 %(v)s 版（草稿），正文取自上一版；上一版保留不变。")
                         % {"v": report.version})
    return _back(year)


@login_required
def submit(request, year):
    """GET: the confirmation with the section to review it in; POST: into the 三审."""
    user = request.user
    agency = _editor_agency(user)
    _check_year(year)
    content = _content(agency, year)
    if content["status"] != ReportStatus.FINAL:
        messages.error(request, _("年度报告须先定稿，才能报送审核。"))
        return _back(year)
    if content.get("publication"):
        messages.info(request, _("第 %(v)s 版已报送审核。") % {"v": content["version"]})
        return _back(year)
    form = SubmitReportForm(request.POST or None, agency=agency)
    if request.method == "POST" and form.is_valid():
        try:
            report = report_services.submit(
                user=user, agency=agency, year=year, section=form.cleaned_data["section"],
                render=lambda snapshot: submission_parts(snapshot, user=user))
        except InvalidInput as error:
            form.add_error("section" if "section" in error.fields else None, error.message)
        except (Conflict, NotPermitted, NotFound) as error:
            messages.error(request, error.message)
            return _back(year)
        else:
            messages.success(request, _(
                "已报送审核：年度报告作为信息（编号 %(id)s）进入“三审”和保密审查，"
                "审核通过后发布在公开专栏的“年度报告”栏目。") % {"id": report.publication_id})
            return _back(year)
    channels = list(agency.channels.filter(kind=ChannelKind.SITE, is_active=True))
    return render(request, "webui/reports/submit.html", {
        "agency": agency, "year": year, "content": content, "form": form,
        "channels": channels,
        "title": report_title(content),
    }, status=422 if form.errors else 200)

