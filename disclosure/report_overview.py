"""The platform view of the annual reports: for a parent agency (a county government above
its departments, a city above its counties) and a year, where each subordinate agency's
report stands, the days to its deadline, and tables 二–四 side by side (JSON and .xlsx).

Who: the parent's supervisors — its agency admins, report editors, leaders and auditors —
and those of any agency above it (`can_supervise`); anyone else is answered as if the
agency did not exist.

Status of a subordinate's report for the year (as `disclosure.report_selectors` follows an
agency's own, in five steps):
* `not_started`: no version at all (nothing was edited, nothing finalised);
* `draft`: a draft whose live report passes every error check;
* `checks_failing`: a draft whose live report fails an error check (`failing_checks`);
* `final`: the latest version is final and not on the agency's column (not submitted yet,
  in review, returned, …);
* `released`: the latest version's item is on the column, or — while a correction (a later
  version not yet submitted) is prepared — an earlier version's is. The summary then gives
  the released version's figures.

Deadline (《政府信息公开条例》第四十九条): a department's report is due on 31 January of the
next year; a government's (an agency with subordinates of its own) on 31 March.
`days_to_due` counts from today: negative is overdue.
"""

import datetime as dt
import io
from decimal import Decimal

from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from agencies.models import Role
from agencies.selectors import ancestor_ids, subordinates
from applications.models import CaseKind
from applications.outcomes import OUTCOME_GROUP, OutcomeGroup

from . import reports
from .models import AnnualReport, ReportStatus
from .report_exports import content_disposition
from .report_selectors import due_date
from .report_selectors import released_publications as on_the_column

SUPERVISORS = (Role.AGENCY_ADMIN, Role.REPORT_EDITOR, Role.LEADER, Role.AUDITOR)


class OverviewStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("尚未开始")
    DRAFT = "draft", _("草稿")
    CHECKS_FAILING = "checks_failing", _("校核未通过")
    FINAL = "final", _("已定稿")
    RELEASED = "released", _("已发布")


def can_supervise(user, agency) -> bool:
    """A person of `agency` or of an agency above it holding a supervising role."""
    if not (user.is_authenticated and user.agency_id is not None
            and any(user.has_role(role) for role in SUPERVISORS)):
        return False
    return user.agency_id == agency.pk or user.agency_id in ancestor_ids(agency)


def due_on(year: int, *, government: bool) -> dt.date:
    return dt.date(year + 1, 3, 31) if government else due_date(year)


# --- the summary row of one report --------------------------------------------------------

TABLE4_KINDS = CaseKind.values


def summary_of(content: dict) -> dict:
    """Tables 二–四 of one report (final snapshot or live draft) as one summary row: table
    二 whole; of table 三 the 总计 column of rows 一, 二, (七) and 四 and of each result
    group; of table 四 each 总计."""
    rows = content["table3"]["rows"]
    groups = {group: 0 for group in OutcomeGroup.values}
    for outcome, group in OUTCOME_GROUP.items():
        groups[group] += rows.get(outcome, [0])[-1]
    return {
        "table2": content["table2"],
        "table3": {"new": rows["new"][-1], "carried_over": rows["carried_over"][-1],
                   "results": groups, "results_total": rows["results_total"][-1],
                   "carried_forward": rows["carried_forward"][-1]},
        "table4": {kind: content["table4"][kind]["total"] for kind in TABLE4_KINDS},
    }


def _add(total, value):
    if isinstance(value, dict):
        total = total if isinstance(total, dict) else {}
        return {key: _add(total.get(key), v) for key, v in value.items()}
    if isinstance(value, float):  # 万元 with two decimals: summed exactly
        return float(Decimal(str(total or 0)) + Decimal(str(value)))
    return (total or 0) + value


def summary_total(rows: list[dict]) -> dict | None:
    """The column sums over the agencies that have figures (None when none has)."""
    total = None
    for row in rows:
        if row["table2"] is None:
            continue
        total = _add(total, {key: row[key] for key in ("table2", "table3", "table4")})
    return total


# --- the overview --------------------------------------------------------------------------

def _versions(agency_ids, year) -> dict[int, list[AnnualReport]]:
    """Every version of the agencies' reports for the year, newest first, without their
    snapshots (an old final version's is not needed)."""
    by_agency: dict[int, list[AnnualReport]] = {}
    for report in (AnnualReport.objects.filter(agency_id__in=agency_ids, year=year)
                   .defer("snapshot").order_by("agency_id", "-version")):
        by_agency.setdefault(report.agency_id, []).append(report)
    return by_agency


def _standing(versions: list[AnnualReport], released: set[int]):
    """(status, the version whose figures the summary gives) of one agency's versions,
    newest first; the status of a draft is settled once it is computed."""
    if not versions:
        return OverviewStatus.NOT_STARTED, None
    latest = versions[0]
    if latest.publication_id is not None:
        return (OverviewStatus.RELEASED if latest.publication_id in released
                else OverviewStatus.FINAL), latest
    earlier = next((r for r in versions if r.publication_id in released), None)
    if earlier is not None:  # a correction is being prepared; an earlier version is public
        return OverviewStatus.RELEASED, earlier
    if latest.status == ReportStatus.DRAFT:
        return OverviewStatus.DRAFT, latest
    return OverviewStatus.FINAL, latest


def overview(*, agency, year: int, today: dt.date | None = None) -> dict:
    """Every subordinate's report status for the year and the summary of tables 二–四.

    Cost: a final version is read from its snapshot (no figures are counted again); only
    a draft is computed live (`reports.live_report`, a fixed number of queries per draft
    whatever the agency's data), and an agency not started is not computed at all (its
    summary row has no figures). Besides the drafts: one query per level of the tree, one
    for the versions, one for the releases of their items and one for the snapshots shown.
    """
    today = today or timezone.localdate()
    below = subordinates(agency)
    versions = _versions([s.agency.pk for s in below], year)
    publications = [r.publication_id for rows in versions.values() for r in rows
                    if r.publication_id]
    released = on_the_column(publications) if publications else set()
    standing = {pk: _standing(rows, released) for pk, rows in versions.items()}
    finals = [shown.pk for _status, shown in standing.values()
              if shown is not None and shown.status == ReportStatus.FINAL]
    snapshots = dict(AnnualReport.objects.filter(pk__in=finals)
                     .values_list("pk", "snapshot")) if finals else {}
    codes = {agency.pk: agency.code, **{s.agency.pk: s.agency.code for s in below}}
    agencies, summary = [], []
    for sub in below:
        status, shown = standing.get(sub.agency.pk, (OverviewStatus.NOT_STARTED, None))
        latest = versions[sub.agency.pk][0] if shown is not None else None
        content, failing = None, []
        if shown is not None and shown.status == ReportStatus.FINAL:
            content = snapshots[shown.pk]
        elif shown is not None:
            content = reports.live_report(agency=sub.agency, year=year, report=shown)
            failing = [{"rule": c["rule"], "message": c["message"]}
                       for c in reports.failing(content)]
            status = OverviewStatus.CHECKS_FAILING if failing else OverviewStatus.DRAFT
        due = due_on(year, government=sub.has_children)
        agencies.append({
            "agency": sub.agency.code, "name": sub.agency.name,
            "parent": codes[sub.agency.parent_id],
            "depth": sub.depth, "status": status,
            "version": latest.version if latest is not None else None,
            "due_on": due, "days_to_due": (due - today).days,
            "failing_checks": failing,
            "publication": shown.publication_id if shown is not None else None,
        })
        row = {"agency": sub.agency.code, "name": sub.agency.name, "status": status,
               "version": shown.version if shown is not None else None,
               "table2": None, "table3": None, "table4": None}
        if content is not None:
            row.update(summary_of(content))
        summary.append(row)
    return {
        "agency": agency.code, "agency_name": agency.name, "year": year,
        "due_on": due_on(year, government=bool(below)), "today": today,
        "agencies": agencies, "summary": summary, "summary_total": summary_total(summary),
    }


# --- the workbook --------------------------------------------------------------------------

# (heading of the group, [(column heading, path into a summary row)]). Fixed wording of the
# report format, printed in Chinese whatever language the reader uses.
SUMMARY_COLUMNS = [
    ("表二 主动公开政府信息情况", [
        ("规章本年制发", ("table2", "rules", "issued")),
        ("规章本年废止", ("table2", "rules", "abolished")),
        ("规章现行有效", ("table2", "rules", "in_force")),
        ("行政规范性文件本年制发", ("table2", "normative_documents", "issued")),
        ("行政规范性文件本年废止", ("table2", "normative_documents", "abolished")),
        ("行政规范性文件现行有效", ("table2", "normative_documents", "in_force")),
        ("行政许可处理决定", ("table2", "licensing")),
        ("行政处罚处理决定", ("table2", "penalties")),
        ("行政强制处理决定", ("table2", "enforcement")),
        ("行政事业性收费（万元）", ("table2", "fees_wan_yuan")),
    ]),
    ("表三 收到和处理政府信息公开申请情况（总计列）", [
        ("一、本年新收申请", ("table3", "new")),
        ("二、上年结转", ("table3", "carried_over")),
        ("（一）予以公开", ("table3", "results", OutcomeGroup.DISCLOSED)),
        ("（二）部分公开", ("table3", "results", OutcomeGroup.PARTLY)),
        ("（三）不予公开", ("table3", "results", OutcomeGroup.WITHHELD)),
        ("（四）无法提供", ("table3", "results", OutcomeGroup.UNABLE)),
        ("（五）不予处理", ("table3", "results", OutcomeGroup.NOT_PROCESSED)),
        ("（六）其他处理", ("table3", "results", OutcomeGroup.OTHER)),
        ("（七）总计", ("table3", "results_total")),
        ("四、结转下年度继续办理", ("table3", "carried_forward")),
    ]),
    ("表四 行政复议、行政诉讼情况（总计）", [
        ("行政复议", ("table4", CaseKind.RECONSIDERATION)),
        ("未经复议直接起诉", ("table4", CaseKind.LITIGATION_DIRECT)),
        ("复议后起诉", ("table4", CaseKind.LITIGATION_AFTER_RECONSIDERATION)),
    ]),
]
LEAD_COLUMNS = ["单位", "报告状态", "版本"]
STATUS_COLUMNS = ["单位", "上级机关", "报告状态", "版本", "公开期限", "剩余天数", "未通过的校核"]
SHEET_FONT = "宋体"
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _value(row: dict, path: tuple):
    value = row
    for key in path:
        if value is None:
            return None
        value = value.get(str(key))
    return value


def overview_title(data: dict) -> str:
    return f"{data['agency_name']}{data['year']}年下属单位政府信息公开工作年度报告汇总"


def overview_filename(data: dict) -> str:
    return f"{overview_title(data)}.xlsx"


def overview_content_disposition(data: dict) -> str:
    return content_disposition(overview_filename(data), fallback=(
        f"annual-reports-{data['agency']}-{data['year']}.xlsx"))


def _cell(sheet, row, col, value, *, bold=False, center=True):
    cell = sheet.cell(row, col, value)
    cell.font = Font(name=SHEET_FONT, size=11, bold=bold)
    cell.alignment = Alignment(horizontal="center" if center else "left", vertical="center",
                               wrap_text=True)
    cell.border = _BORDER
    if isinstance(value, float):
        cell.number_format = "0.00"
    return cell


def _title(sheet, text, width):
    sheet.cell(1, 1, text).font = Font(name=SHEET_FONT, size=14, bold=True)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)


def overview_xlsx(data: dict) -> bytes:
    """Two sheets: 汇总 (tables 二–四, one row per agency, 合计 last) and 报告进度 (status,
    version, deadline). Chinese throughout: it is a document for the supervising office."""
    with translation.override("zh-hans"):
        return _workbook(data)


def _workbook(data: dict) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "汇总"
    width = len(LEAD_COLUMNS) + sum(len(columns) for _group, columns in SUMMARY_COLUMNS)
    _title(sheet, overview_title(data), width)
    for col, heading in enumerate(LEAD_COLUMNS, start=1):
        _cell(sheet, 2, col, heading, bold=True)
        sheet.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col)
    col = len(LEAD_COLUMNS) + 1
    for group, columns in SUMMARY_COLUMNS:
        for offset, (heading, _path) in enumerate(columns):
            _cell(sheet, 2, col + offset, None if offset else group, bold=True)
            _cell(sheet, 3, col + offset, heading, bold=True)
        sheet.merge_cells(start_row=2, start_column=col, end_row=2,
                          end_column=col + len(columns) - 1)
        col += len(columns)
    row_number = 4
    # the two lists are in the same order: one entry per agency
    for entry, row in zip(data["agencies"], data["summary"], strict=True):
        lead = ["　" * (entry["depth"] - 1) + row["name"],
                str(OverviewStatus(row["status"]).label), entry["version"]]
        _write_row(sheet, row_number, lead, row)
        row_number += 1
    if data["summary_total"] is not None:
        _write_row(sheet, row_number, ["合计", "", None], data["summary_total"], bold=True)
    sheet.column_dimensions["A"].width = 30
    for index in range(2, width + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 11
    sheet.freeze_panes = sheet.cell(4, 2)
    _landscape(sheet)

    status = workbook.create_sheet("报告进度")
    _title(status, f"{overview_title(data)}：报告进度（{data['today']:%Y-%m-%d}）",
           len(STATUS_COLUMNS))
    for col, heading in enumerate(STATUS_COLUMNS, start=1):
        _cell(status, 2, col, heading, bold=True)
    names = {a["agency"]: a["name"] for a in data["agencies"]}
    names[data["agency"]] = data["agency_name"]
    for index, entry in enumerate(data["agencies"], start=3):
        days = entry["days_to_due"]
        remaining = (f"剩余 {days} 天" if days >= 0 else f"逾期 {-days} 天")
        if entry["status"] == OverviewStatus.RELEASED:
            remaining = "已发布"
        values = ["　" * (entry["depth"] - 1) + entry["name"], names.get(entry["parent"], ""),
                  str(OverviewStatus(entry["status"]).label), entry["version"],
                  entry["due_on"].isoformat(), remaining,
                  "；".join(c["message"] for c in entry["failing_checks"])]
        for col, value in enumerate(values, start=1):
            _cell(status, index, col, value, center=col not in (1, 7))
    for letter, size in zip("ABCDEFG", (30, 24, 12, 6, 12, 12, 60), strict=True):
        status.column_dimensions[letter].width = size
    _landscape(status)

    properties = workbook.properties
    properties.title, properties.creator = overview_title(data), data["agency_name"]
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _write_row(sheet, row_number, lead, figures, *, bold=False):
    for col, value in enumerate(lead, start=1):
        _cell(sheet, row_number, col, value, bold=bold, center=col != 1)
    col = len(lead) + 1
    for _group, columns in SUMMARY_COLUMNS:
        for _heading, path in columns:
            value = _value(figures, path)
            _cell(sheet, row_number, col, "—" if value is None else value, bold=bold)
            col += 1


def _landscape(sheet):
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
