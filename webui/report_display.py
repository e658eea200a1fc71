"""How the annual report pages name things: the figures a final report differs in from the
live data (`changed_since_finalised` gives paths such as ``table3.rows.new[6]``)."""

import re

from django.utils.translation import gettext as _

from applications.models import ApplicantType, CaseKind, CaseResult
from applications.outcomes import Outcome

_INDEX = re.compile(r"^(.*)\[(\d+)\]$")


def _table2_label(parts: list[str]) -> str:
    kinds = {"rules": _("规章"), "normative_documents": _("行政规范性文件")}
    measures = {"issued": _("本年制发件数"), "abolished": _("本年废止件数"),
                "in_force": _("现行有效件数")}
    singles = {"licensing": _("行政许可决定数"), "penalties": _("行政处罚决定数"),
               "enforcement": _("行政强制决定数"), "fees_wan_yuan": _("行政事业性收费（万元）")}
    if len(parts) == 2 and parts[0] in kinds and parts[1] in measures:
        return f"{kinds[parts[0]]} · {measures[parts[1]]}"
    if len(parts) == 1 and parts[0] in singles:
        return singles[parts[0]]
    return ""


def _table3_label(row: str, column: int | None) -> str:
    rows = {"new": _("一、本年新收政府信息公开申请数量"),
            "carried_over": _("二、上年结转政府信息公开申请数量"),
            "results_total": _("三、（七）总计"),
            "carried_forward": _("四、结转下年度继续办理")}
    label = rows.get(row) or (str(Outcome(row).label) if row in Outcome.values else "")
    if not label:
        return ""
    columns = [*ApplicantType.choices, ("total", _("总计"))]
    if column is not None and column < len(columns):
        return f"{label} · {columns[column][1]}"
    return label


def change_label(path: str, channels: dict[str, str]) -> str:
    """The figure a path names, in words ("" when the path is not one we know)."""
    column = None
    match = _INDEX.match(path)
    if match:
        path, column = match.group(1), int(match.group(2))
    table, *parts = path.split(".")
    if table == "table2":
        label = _table2_label(parts)
        return _("表二：%(what)s") % {"what": label} if label else ""
    if table == "released_by_channel" and len(parts) == 1:
        return _("%(channel)s发布条数") % {"channel": channels.get(parts[0], parts[0])}
    if table == "table3" and len(parts) == 2 and parts[0] == "rows":
        label = _table3_label(parts[1], column)
        return _("表三：%(what)s") % {"what": label} if label else ""
    if (table == "table4" and len(parts) == 2 and parts[0] in CaseKind.values
            and parts[1] in [*CaseResult.values, "total"]):
        result = CaseResult(parts[1]).label if parts[1] != "total" else _("总计")
        return _("表四：%(kind)s · %(result)s") % {"kind": CaseKind(parts[0]).label,
                                                "result": result}
    if table == "fees_charged" and parts in (["count"], ["yuan"]):
        return _("信息处理费件数") if parts == ["count"] else _("信息处理费金额（元）")
    return ""


def changes(content: dict) -> list[dict]:
    channels = {c["code"]: c["name"] for c in content.get("channels", [])}
    return [{**change, "label": change_label(change["path"], channels) or change["path"]}
            for change in content.get("changed_since_finalised", [])]
