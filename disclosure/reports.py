"""The annual report's content: figures, narrative and cross-checks, computed live.

`live_report` assembles the report of an agency and year as a plain dict (the API's shape,
docs/api.md): table 二 and the channel figures from the statistics (released items only),
tables 三 and 四 from the application register (`applications.selectors`), the narrative
(what people wrote, else text generated from the figures) and the checks. A final version
is this dict frozen (`disclosure.report_services.finalise`).

Checks (`rule`, `severity`): errors block finalising —
* `t3_balance_<column>`: per applicant column 一 + 二 = 三(七) + 四;
* `t3_results_total`: (七) is the sum of the 21 result rows;
* `t3_total_column`: each row's 总计 is the sum of the six applicant columns;
* `t4_totals`: each 总计 of table 四 is the sum of the four before it;
* `carried_over_matches_last_year`: 二 equals last year's final 四 (or the declared opening
  balance when last year was not reported from the system);
* `narrative_numbers`: a figure the narrative quotes (a channel's items, applications
  received, reconsiderations, lawsuits, fees) equals the table's;
* `narrative_unfinished`: no placeholder 【请填写…】 is left.
Warnings do not block: `documents_none_in_force` (documents issued, none in force),
`same_as_last_year` (a headline figure identical to last year's), `copied_text` (a section
over 90 % similar to last year's), `holiday_data_gap` (deadlines past the holiday table).
"""

import difflib
import hashlib
import re

import rfc8785
from django.utils.translation import gettext as _

from applications.models import ApplicantType, CaseKind, CaseResult
from applications.outcomes import TABLE3_ROWS, Outcome
from applications.selectors import fees_charged, table3_counts, table4_counts
from workdays.models import HolidayYear

from .models import AnnualReport, OpeningBalance, ReportStatus
from .selectors import agency_year_statistics

COLUMNS = [*ApplicantType.values, "total"]
APPLICANT_COLUMNS = ApplicantType.values
RESULT_ROWS = [row.outcome for row in TABLE3_ROWS if row.outcome]
TABLE4_RESULTS = [CaseResult.UPHELD, CaseResult.CORRECTED, CaseResult.OTHER,
                  CaseResult.PENDING]
SECTION_KEYS = ("overview", "active", "on_request", "management", "platform", "supervision",
                "problems", "other")
PLACEHOLDER = "【请填写"
SIMILARITY_WARNING = 0.9


def _row(by_type: dict) -> list[int]:
    values = [int(by_type.get(column, 0)) for column in APPLICANT_COLUMNS]
    return [*values, sum(values)]


def table3_data(*, agency_id: int, year: int) -> dict:
    counts = table3_counts(agency_id=agency_id, year=year)
    rows = {"new": _row(counts.new), "carried_over": _row(counts.carried_in)}
    totals = [0] * len(COLUMNS)
    for outcome in RESULT_ROWS:
        rows[outcome] = _row(counts.results.get(outcome, {}))
        totals = [a + b for a, b in zip(totals, rows[outcome], strict=True)]
    rows["results_total"] = totals
    rows["carried_forward"] = _row(counts.carried_out)
    return {"columns": COLUMNS, "rows": rows}


def table4_data(*, agency_id: int, year: int) -> dict:
    counts = table4_counts(agency_id=agency_id, year=year)
    table = {}
    for kind in CaseKind.values:
        cells = {str(result): int(counts.get(kind, {}).get(result, 0))
                 for result in TABLE4_RESULTS}
        cells["total"] = sum(cells.values())
        table[kind] = cells
    return table


def figures(*, agency, year: int) -> dict:
    """Everything counted (no text): what a final report freezes and later compares."""
    statistics = agency_year_statistics(agency=agency, year=year)
    api = statistics.as_api()
    fee_count, fee_yuan = fees_charged(agency_id=agency.pk, year=year)
    return {
        "table2": api["table2"],
        "released_by_channel": api["released_by_channel"],
        "channels": [{"code": c.code, "name": c.name, "kind": c.kind, "released": c.released}
                     for c in statistics.channels],
        "timeliness": api["timeliness"],
        "table3": table3_data(agency_id=agency.pk, year=year),
        "table4": table4_data(agency_id=agency.pk, year=year),
        "fees_charged": {"count": fee_count, "yuan": float(fee_yuan)},
    }


# --- the narrative ------------------------------------------------------------------------

def _n(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def default_sections(*, agency, year: int, data: dict) -> dict:
    """Text generated from the figures: a draft's narrative until someone edits it. Always
    Chinese (the report is an official document in Chinese, whatever the reader's language),
    so these strings are not marked for translation."""
    released = [c for c in data["channels"] if c["released"]]
    total_items = data["timeliness"]["released"]
    on_time = data["timeliness"]["on_time"]
    share = f"{on_time * 100 / total_items:.1f}" if total_items else "0"
    channel_text = "，".join(f"在{c['name']}发布信息 {c['released']} 条"
                            for c in released) or "未发布信息"
    t3, t4 = data["table3"]["rows"], data["table4"]
    new, carried = t3["new"][-1], t3["carried_over"][-1]
    results, forward = t3["results_total"][-1], t3["carried_forward"][-1]
    disclosed = t3[Outcome.DISCLOSED][-1] + t3[Outcome.PARTLY_DISCLOSED][-1]
    reconsiderations = t4[CaseKind.RECONSIDERATION]["total"]
    lawsuits = (t4[CaseKind.LITIGATION_DIRECT]["total"]
                + t4[CaseKind.LITIGATION_AFTER_RECONSIDERATION]["total"])
    fees = data["fees_charged"]
    channel_names = "、".join(c["name"] for c in data["channels"]) or "本机关政府信息公开专栏"
    return {
        "overview": (
            f"{year}年，{agency.name}认真贯彻落实《中华人民共和国政府信息公开条例》和"
            "《中华人民共和国政府信息公开工作年度报告格式》（国办公开办函〔2021〕30号）要求，"
            f"坚持以公开为常态、不公开为例外，{PLACEHOLDER}本年度政务公开工作的总体情况】"),
        "active": (f"{year}年，本机关主动公开政府信息 {total_items} 条，其中：{channel_text}。"
                   f"在信息形成或变更之日起 20 个工作日内公开的占 {share}%。"),
        "on_request": (
            f"{year}年，本机关新收政府信息公开申请 {new} 件，上年结转 {carried} 件；"
            f"本年度办结 {results} 件，其中予以公开或部分公开 {disclosed} 件；"
            f"结转下年度继续办理 {forward} 件。因政府信息公开被申请行政复议 "
            f"{reconsiderations} 件，被提起行政诉讼 {lawsuits} 件。"),
        "management": (
            "本机关主动公开的政府信息均经经办人拟稿、科室负责人审核、保密审查和分管领导审签"
            "（“三审”加保密审查）后发布，未经审核的信息一律不予发布；审核记录完整留痕，"
            f"可供监督检查。{PLACEHOLDER}政府信息管理的其他情况】"),
        "platform": (f"本机关通过{channel_names}等渠道发布政府信息。"
                     f"{PLACEHOLDER}平台建设情况】"),
        "supervision": f"{PLACEHOLDER}监督保障情况（考核、社会评议、责任追究、培训等）】",
        "problems": f"{PLACEHOLDER}存在的主要问题及改进情况，并说明上年度问题的整改情况】",
        "other": (f"本年度收取信息处理费 {fees['count']} 件，共 {_n(fees['yuan'])} 元。"
                  if fees["count"] else "本年度未收取信息处理费。无其他需要报告的事项。"),
    }


# --- the checks -------------------------------------------------------------------------

def _check(rule, ok, message, severity="error") -> dict:
    return {"rule": rule, "ok": bool(ok), "severity": severity, "message": str(message)}


_COLUMN_LABELS = {"natural_person": "自然人", "commercial": "商业企业", "research": "科研机构",
                  "social_welfare": "社会公益组织", "legal_service": "法律服务机构",
                  "other": "其他", "total": "总计"}


def table_checks(data: dict) -> list[dict]:
    rows = data["table3"]["rows"]
    checks = []
    for i, column in enumerate(COLUMNS):
        left = rows["new"][i] + rows["carried_over"][i]
        right = rows["results_total"][i] + rows["carried_forward"][i]
        checks.append(_check(f"t3_balance_{column}", left == right, _(
            "表三“%(column)s”列：一（本年新收 %(new)s）加二（上年结转 %(carried)s）= %(left)s，"
            "应等于三（七）总计 %(results)s 加四（结转下年度 %(forward)s）= %(right)s。") % {
            "column": _COLUMN_LABELS[column], "new": rows["new"][i],
            "carried": rows["carried_over"][i], "left": left,
            "results": rows["results_total"][i], "forward": rows["carried_forward"][i],
            "right": right}))
    summed = [sum(rows[o][i] for o in RESULT_ROWS) for i in range(len(COLUMNS))]
    ok = summed == rows["results_total"]
    checks.append(_check("t3_results_total", ok, _(
        "表三“（七）总计”应等于（一）至（六）各项之和：各列应为 %(summed)s，表中为 %(total)s。")
        % {"summed": summed, "total": rows["results_total"]} if not ok
        else _("表三“（七）总计”等于（一）至（六）各项之和。")))
    bad_rows = [key for key, values in rows.items() if values[-1] != sum(values[:-1])]
    checks.append(_check("t3_total_column", not bad_rows, _(
        "表三“总计”列应等于六类申请人之和，以下行不符：%(rows)s。") % {
        "rows": "、".join(bad_rows)} if bad_rows else _("表三“总计”列等于六类申请人之和。")))
    bad_kinds = [kind for kind, cells in data["table4"].items()
                 if cells["total"] != sum(cells[str(r)] for r in TABLE4_RESULTS)]
    checks.append(_check("t4_totals", not bad_kinds, _(
        "表四“总计”应等于结果维持、结果纠正、其他结果、尚未审结之和，以下不符：%(kinds)s。") % {
        "kinds": "、".join(str(CaseKind(k).label) for k in bad_kinds)} if bad_kinds
        else _("表四各“总计”等于其前四项之和。")))
    return checks


def carried_over_check(*, agency, year: int, data: dict, last_final: dict | None) -> dict:
    row = data["table3"]["rows"]["carried_over"]
    if last_final is not None:
        expected = last_final["table3"]["rows"]["carried_forward"]
        source = _("%(year)s年度已定稿报告的“结转下年度继续办理”") % {"year": year - 1}
    else:
        balance = OpeningBalance.objects.filter(agency=agency, year=year).first()
        if balance is None:
            return _check("carried_over_matches_last_year", True, _(
                "无上年度定稿报告或期初数可核对“上年结转”。"), "warning")
        expected = _row(balance.counts)
        source = _("录入的期初数（上年度报告的“结转下年度继续办理”）")
    return _check("carried_over_matches_last_year", row == expected, _(
        "表三“二、上年结转”为 %(row)s，与%(source)s %(expected)s 不一致："
        "请在登记簿中补登上年收到、年末尚未办结的申请，或核对期初数。") % {
        "row": row, "source": source, "expected": expected})


# (label pattern, what it must equal): a number the narrative quotes after these words
def _quoted(data: dict) -> list[tuple[str, str, float]]:
    t3, t4 = data["table3"]["rows"], data["table4"]
    quoted = [(re.escape(c["name"]), c["name"], c["released"]) for c in data["channels"]]
    quoted += [
        ("(?:新收|受理|收到)[^0-9，。；]{0,14}?", _("新收申请"), t3["new"][-1]),
        ("行政复议", _("行政复议"), t4[CaseKind.RECONSIDERATION]["total"]),
        ("行政诉讼", _("行政诉讼"),
         t4[CaseKind.LITIGATION_DIRECT]["total"]
         + t4[CaseKind.LITIGATION_AFTER_RECONSIDERATION]["total"]),
        ("信息处理费[^0-9，。；]{0,8}?", _("信息处理费件数"), data["fees_charged"]["count"]),
    ]
    return quoted


def narrative_checks(sections: dict, data: dict) -> list[dict]:
    text = "\n".join(sections.get(key, "") for key in SECTION_KEYS)
    wrong = []
    for pattern, label, expected in _quoted(data):
        for match in re.finditer(pattern + r"[^0-9，。；\n]{0,12}?(\d+(?:\.\d+)?)\s*(条|件)",
                                 text):
            if float(match.group(1)) != float(expected):
                wrong.append(_("“%(phrase)s”写的是 %(said)s，表中%(label)s为 %(expected)s") % {
                    "phrase": match.group(0)[:40], "said": match.group(1), "label": label,
                    "expected": _n(expected)})
    unfinished = [key for key in SECTION_KEYS if PLACEHOLDER in sections.get(key, "")]
    return [
        _check("narrative_numbers", not wrong, _("正文引用的数字与表格不一致：%(list)s。") % {
            "list": "；".join(wrong)} if wrong else _("正文引用的数字与表格一致。")),
        _check("narrative_unfinished", not unfinished, _(
            "以下部分仍有待填写的内容（【请填写…】）：%(list)s。") % {
            "list": "、".join(str(SECTION_TITLES[k]) for k in unfinished)}
            if unfinished else _("正文已填写完整。")),
    ]


def warning_checks(*, year: int, data: dict, sections: dict, last_final: dict | None) -> list:
    checks = []
    t2 = data["table2"]
    for key, label in (("rules", _("规章")), ("normative_documents", _("行政规范性文件"))):
        issued, in_force = t2[key]["issued"], t2[key]["in_force"]
        ok = not (issued and not in_force)
        checks.append(_check(f"documents_none_in_force_{key}", ok, _(
            "本年制发%(label)s %(n)s 件，但现行有效件数为 0，请核对。") % {"label": label,
                                                                     "n": issued}
            if not ok else _("%(label)s的制发与现行有效件数相符。") % {"label": label},
            "warning"))
    if last_final is not None:
        same = [label for label, now, before in (
            (_("主动公开信息条数"), data["timeliness"]["released"],
             last_final.get("timeliness", {}).get("released")),
            (_("新收申请数"), data["table3"]["rows"]["new"][-1],
             last_final["table3"]["rows"]["new"][-1]),
            (_("行政许可决定数"), t2["licensing"], last_final["table2"]["licensing"]),
            (_("行政处罚决定数"), t2["penalties"], last_final["table2"]["penalties"]),
        ) if now and now == before]
        checks.append(_check("same_as_last_year", not same, _(
            "以下数字与上年度完全相同，请核对：%(list)s。") % {"list": "、".join(same)}
            if same else _("主要数字与上年度不完全相同。"), "warning"))
        copied = []
        for key in SECTION_KEYS:
            now, before = sections.get(key, ""), last_final.get("sections", {}).get(key, "")
            if len(now) >= 20 and before and difflib.SequenceMatcher(
                    None, now, before).ratio() > SIMILARITY_WARNING:
                copied.append(str(SECTION_TITLES[key]))
        checks.append(_check("copied_text", not copied, _(
            "以下部分与上年度报告的文字相似度超过 90%%，评估会视为照搬：%(list)s。") % {
            "list": "、".join(copied)} if copied else _("正文与上年度报告不雷同。"), "warning"))
    known = HolidayYear.objects.filter(year=year + 1, complete=True).exists()
    gap = data["timeliness"]["unknown"] or (
        not known and data["table3"]["rows"]["carried_forward"][-1])
    checks.append(_check("holiday_data_gap", not gap, _(
        "%(next)s年节假日安排尚未录入：部分期限无法确定（主动公开及时率中“无法判定” %(n)s 条），"
        "请平台管理员录入后再核对。") % {"next": year + 1, "n": data["timeliness"]["unknown"]}
        if gap else _("期限计算所需的节假日数据完整。"), "warning"))
    return checks


SECTION_TITLES = {
    "overview": "一、总体情况", "active": "（一）主动公开", "on_request": "（二）依申请公开",
    "management": "（三）政府信息管理", "platform": "（四）政府信息公开平台建设",
    "supervision": "（五）监督保障", "problems": "五、存在的主要问题及改进情况",
    "other": "六、其他需要报告的事项",
}


# --- the report -------------------------------------------------------------------------

def fingerprint_of(report: dict) -> str:
    content = {k: v for k, v in report.items() if k not in ("fingerprint", "checks", "status",
                                                            "changed_since_finalised")}
    return hashlib.sha256(rfc8785.dumps(content)).hexdigest()


def last_final(*, agency, year: int) -> dict | None:
    report = (AnnualReport.objects.filter(agency=agency, year=year, status=ReportStatus.FINAL)
              .order_by("-version").first())
    return report.snapshot if report else None


def live_report(*, agency, year: int, report: AnnualReport | None = None) -> dict:
    """The report as it stands now: live figures, the edited (or generated) narrative and
    the checks. `report` is the draft version holding the edited text (None: nothing edited
    yet, version 1)."""
    data = figures(agency=agency, year=year)
    generated = default_sections(agency=agency, year=year, data=data)
    edited = report.sections if report is not None else {}
    sections = {key: edited.get(key, generated[key]) for key in SECTION_KEYS}
    previous = last_final(agency=agency, year=year - 1)
    checks = (table_checks(data)
              + [carried_over_check(agency=agency, year=year, data=data, last_final=previous)]
              + narrative_checks(sections, data)
              + warning_checks(year=year, data=data, sections=sections, last_final=previous))
    result = {
        "agency": agency.code, "agency_name": agency.name, "year": year,
        "status": ReportStatus.DRAFT.value,
        "version": report.version if report is not None else 1,
        **data, "sections": sections,
        "edited_sections": sorted(edited),
        "previous_problems": (previous or {}).get("sections", {}).get("problems", ""),
        "checks": checks,
    }
    result["fingerprint"] = fingerprint_of(result)
    return result


def failing(report: dict) -> list[dict]:
    return [c for c in report["checks"] if not c["ok"] and c["severity"] == "error"]


#: the figures a final report is compared on, when the live data moved after it
COMPARED = ("table2", "released_by_channel", "table3", "table4", "fees_charged")


def changes_since(final: dict, live: dict) -> list[dict]:
    changes = []

    def walk(path, before, now):
        if isinstance(before, dict) and isinstance(now, dict):
            for key in sorted(set(before) | set(now)):
                walk(f"{path}.{key}", before.get(key), now.get(key))
        elif isinstance(before, list) and isinstance(now, list) and len(before) == len(now):
            for i, (b, n) in enumerate(zip(before, now, strict=True)):
                walk(f"{path}[{i}]", b, n)
        elif before != now:
            changes.append({"path": path, "final": before, "now": now})

    for key in COMPARED:
        walk(key, final.get(key), live.get(key))
    return changes

