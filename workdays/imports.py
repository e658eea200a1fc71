"""Importing a year's holiday notice (国务院办公厅关于某年部分节假日安排的通知) from a CSV.

The platform operator types the notice into a small CSV — `date,kind[,name]`, one row per
day off on a weekday or weekend (`holiday`, 休, 假日, 放假) and per make-up working weekend
day (`workday`, 班, 调休上班) — picks its year, sees what would change and confirms. Two
steps, one module:

- `parse_calendar_csv(data, year)` reads the file and compares it with the year's rows:
  a `Plan` of the days to add, change and remove, the problems found (each with its line),
  warnings that do not stop the import, and the working days the year would have. It
  writes nothing.
- `apply_calendar(user=, plan=, digest=)` makes the year exactly what the file says, marks
  it complete, and writes one `config_changed` event to the platform's chain, all in one
  transaction. `digest` is the plan the operator saw: if the year's rows changed since the
  preview, nothing is applied. The writes announce the year (`signals.calendar_changed`),
  so stored deadlines are counted again.

Any error and nothing changes: a plan with errors cannot be applied.
"""

import csv
import datetime as dt
import hashlib
import io
import json
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from audit.config_changes import record_config_change
from core.errors import Conflict, InvalidInput, NotPermitted

from .models import Holiday, HolidayKind, HolidaySource, HolidayYear

MAX_BYTES = 64 * 1024
MIN_YEAR, MAX_YEAR = 2000, 2100

KIND_WORDS = {
    "holiday": HolidayKind.HOLIDAY, "休": HolidayKind.HOLIDAY, "假日": HolidayKind.HOLIDAY,
    "放假": HolidayKind.HOLIDAY,
    "workday": HolidayKind.WORKDAY, "班": HolidayKind.WORKDAY, "调休上班": HolidayKind.WORKDAY,
    "上班": HolidayKind.WORKDAY,
}
COLUMN_WORDS = {"date": "date", "日期": "date", "kind": "kind", "类型": "kind",
                "name": "name", "名称": "name", "节日名称": "name"}
_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
_NAME_LENGTH = Holiday._meta.get_field("name").max_length


@dataclass(frozen=True)
class Problem:
    """An error (nothing is imported) or a warning, at a line of the file (None: the file)."""

    message: str
    line: int | None = None

    def __str__(self):
        if self.line is None:
            return self.message
        return _("第 %(line)d 行：%(message)s") % {"line": self.line, "message": self.message}


@dataclass(frozen=True)
class Day:
    date: dt.date
    kind: str
    name: str = ""

    @property
    def kind_label(self) -> str:
        return str(HolidayKind(self.kind).label)

    def as_text(self) -> str:
        """As the trail keeps it: the stored kind, not its label in the reader's language."""
        return f"{self.kind} {self.name}".strip()


@dataclass(frozen=True)
class Change:
    """One date's row before (None: added) and after (None: removed) the import."""

    date: dt.date
    old: Day | None
    new: Day | None


@dataclass
class Plan:
    year: int
    text: str = ""
    days: tuple[Day, ...] = ()
    adds: tuple[Change, ...] = ()
    changes: tuple[Change, ...] = ()
    removals: tuple[Change, ...] = ()
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    #: working days the year has once imported (None when the file has errors)
    working_days: int | None = None
    #: whether the year is marked complete now
    was_complete: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def holiday_count(self) -> int:
        return sum(d.kind == HolidayKind.HOLIDAY for d in self.days)

    @property
    def workday_count(self) -> int:
        return sum(d.kind == HolidayKind.WORKDAY for d in self.days)

    @property
    def digest(self) -> str:
        """What the operator confirms: the year and every row added, changed or removed."""
        return _digest(self.year, self.adds + self.changes + self.removals)


def _digest(year, changes) -> str:
    def row(day):
        return None if day is None else [day.kind, day.name]

    payload = [year, [[c.date.isoformat(), row(c.old), row(c.new)] for c in changes]]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def parse_calendar_csv(data: bytes, year: int) -> Plan:
    """The plan of importing `data` (the uploaded file's bytes) as the notice of `year`."""
    plan = Plan(year=year)
    if not MIN_YEAR <= year <= MAX_YEAR:
        plan.errors.append(Problem(_("年份无效：请填写 %(lo)d–%(hi)d 之间的年份。")
                                   % {"lo": MIN_YEAR, "hi": MAX_YEAR}))
        return plan
    if len(data) > MAX_BYTES:
        plan.errors.append(Problem(_("文件过大（%(size)d 字节）：节假日安排文件不应超过 64 KB。")
                                   % {"size": len(data)}))
        return plan
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        plan.errors.append(Problem(_("文件不是 UTF-8 编码：请在表格软件中另存为“CSV UTF-8”"
                                     "后重新上传。")))
        return plan
    plan.text = text
    if not text.strip():
        plan.errors.append(Problem(_("文件为空：第一行应为表头 date,kind，其后每行一个日期。")))
        return plan
    days = _read_rows(text, year, plan.errors)
    if plan.errors:
        return plan
    if not days:
        plan.errors.append(Problem(_("文件中只有表头，没有日期。")))
        return plan
    plan.warnings.extend(_unusual_days(days))
    plan.days = tuple(sorted((day for day, _line in days), key=lambda d: d.date))
    existing = _rows_of_year(year)
    plan.adds, plan.changes, plan.removals = _diff(existing, plan.days)
    plan.working_days = _working_days(year, plan.days)
    plan.was_complete = HolidayYear.objects.filter(year=year, complete=True).exists()
    return plan


def _read_rows(text: str, year: int, errors: list) -> list[tuple[Day, int]]:
    reader = csv.reader(io.StringIO(text))
    columns = None
    days: list[tuple[Day, int]] = []
    seen: dict[dt.date, int] = {}
    for cells in reader:
        line = reader.line_num
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue
        if columns is None:
            columns = {COLUMN_WORDS.get(cell.lower()): i for i, cell in enumerate(cells)}
            if "date" not in columns or "kind" not in columns:
                errors.append(Problem(_("缺少表头：第一行应为 date,kind（可加 name 列），"
                                        "例如 date,kind,name。"), line))
                return []
            continue
        raw_date = _cell(cells, columns["date"])
        raw_kind = _cell(cells, columns["kind"])
        name = _cell(cells, columns["name"]) if "name" in columns else ""
        day = _date(raw_date)
        if day is None:
            errors.append(Problem(_("日期“%(value)s”无效：应为真实存在的日期，格式 YYYY-MM-DD。")
                                  % {"value": raw_date}, line))
            continue
        if day.year != year:
            errors.append(Problem(_("日期 %(day)s 不在所选的 %(year)d 年内。")
                                  % {"day": day.isoformat(), "year": year}, line))
            continue
        if day in seen:
            errors.append(Problem(_("日期 %(day)s 与第 %(first)d 行重复：每个日期只能出现一次。")
                                  % {"day": day.isoformat(), "first": seen[day]}, line))
            continue
        seen[day] = line
        kind = KIND_WORDS.get(raw_kind.lower())
        if kind is None:
            errors.append(Problem(_("类型“%(value)s”无法识别：应为 holiday（休、假日）"
                                    "或 workday（班、调休上班）。") % {"value": raw_kind}, line))
            continue
        if len(name) > _NAME_LENGTH:
            errors.append(Problem(_("节日名称过长（最多 %(n)d 个字）。") % {"n": _NAME_LENGTH},
                                  line))
            continue
        days.append((Day(day, str(kind), name), line))
    if columns is None:
        errors.append(Problem(_("文件为空：第一行应为表头 date,kind，其后每行一个日期。")))
    return days


def _cell(cells, index) -> str:
    return cells[index] if index < len(cells) else ""


def _date(value: str) -> dt.date | None:
    match = _DATE.match(value)
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _unusual_days(days) -> list[Problem]:
    """调休 rules: a make-up working day is a Saturday or Sunday; a weekend day is listed as
    a holiday only within a holiday block (e.g. 1–7 October). Warned, not refused: the
    notice is what counts."""
    holidays = {day.date for day, _line in days if day.kind == HolidayKind.HOLIDAY}
    worked = {day.date for day, _line in days if day.kind == HolidayKind.WORKDAY}
    warnings = []
    for day, line in days:
        weekend = day.date.weekday() >= 5
        if day.kind == HolidayKind.WORKDAY and not weekend:
            warnings.append(Problem(_("%(day)s 是工作日（周一至周五），本来就上班：调休上班日"
                                      "通常是周六或周日，请核对通知。")
                                    % {"day": day.date.isoformat()}, line))
        elif (day.kind == HolidayKind.HOLIDAY and weekend
              and not _in_block(day.date, holidays, worked)):
            warnings.append(Problem(_("%(day)s 是周末，本来就休息，且不与其他放假日相连：请核对"
                                      "通知。") % {"day": day.date.isoformat()}, line))
    return warnings


def _in_block(day: dt.date, holidays: set, worked: set) -> bool:
    """Whether the run of days off (holidays and weekends not worked) around `day` has a
    weekday holiday in it."""
    one = dt.timedelta(days=1)
    for step in (one, -one):
        other = day + step
        while other not in worked and (other in holidays or other.weekday() >= 5):
            if other in holidays and other.weekday() < 5:
                return True
            other += step
    return False


def _rows_of_year(year: int) -> dict[dt.date, Day]:
    rows = Holiday.objects.filter(date__year=year).values_list("date", "kind", "name")
    return {day: Day(day, kind, name) for day, kind, name in rows}


def _diff(existing: dict, days) -> tuple[tuple, tuple, tuple]:
    wanted = {day.date: day for day in days}
    adds = tuple(Change(d, None, day) for d, day in sorted(wanted.items()) if d not in existing)
    changes = tuple(Change(d, existing[d], day) for d, day in sorted(wanted.items())
                    if d in existing and existing[d] != day)
    removals = tuple(Change(d, old, None) for d, old in sorted(existing.items())
                     if d not in wanted)
    return adds, changes, removals


def _working_days(year: int, days) -> int:
    off = {d.date for d in days if d.kind == HolidayKind.HOLIDAY}
    worked = {d.date for d in days if d.kind == HolidayKind.WORKDAY}
    day, count = dt.date(year, 1, 1), 0
    while day.year == year:
        count += day in worked or (day.weekday() < 5 and day not in off)
        day += dt.timedelta(days=1)
    return count


@dataclass(frozen=True)
class ImportResult:
    year: int
    added: int
    changed: int
    removed: int


def apply_calendar(*, user, plan: Plan, digest: str, note: str = "") -> ImportResult:
    """Make `plan.year` what the file says, mark it complete and record who did it.

    Only the platform operator (a superuser) imports: the calendar is the whole
    platform's. `digest` is the preview's `Plan.digest`; when the year's rows changed since
    (someone edited a day), Conflict and nothing is applied."""
    if not (user.is_active and user.is_superuser):
        raise NotPermitted(_("只有平台运维人员可以导入节假日安排。"))
    if plan.errors:
        raise InvalidInput("；".join(str(problem) for problem in plan.errors))
    with transaction.atomic():
        year_row, _created = HolidayYear.objects.select_for_update().get_or_create(
            year=plan.year)
        adds, changes, removals = _diff(_rows_of_year(plan.year), plan.days)
        if _digest(plan.year, adds + changes + removals) != digest:
            raise Conflict(_("预览之后该年的节假日安排已被修改：请重新上传文件并核对预览。"))
        Holiday.objects.filter(date__in=[c.date for c in removals]).delete()
        Holiday.objects.bulk_create([
            Holiday(date=c.date, kind=c.new.kind, name=c.new.name, source=HolidaySource.ADMIN)
            for c in adds])
        rows = {h.date: h for h in Holiday.objects.filter(date__in=[c.date for c in changes])}
        for c in changes:
            rows[c.date].kind, rows[c.date].name = c.new.kind, c.new.name
            rows[c.date].source = HolidaySource.ADMIN  # re-seeding keeps it
        Holiday.objects.bulk_update(list(rows.values()), ["kind", "name", "source"])
        was_complete, old_note = year_row.complete, year_row.note
        year_row.complete = True
        year_row.note = note or year_row.note or _("导入的节假日安排")
        year_row.save()
        record_config_change(user=user, obj=year_row, operation="import",
                             changes=_audited_changes(adds, changes, removals, was_complete,
                                                      old_note, year_row.note))
    return ImportResult(plan.year, len(adds), len(changes), len(removals))


def _audited_changes(adds, changes, removals, was_complete, old_note, new_note) -> dict:
    """Per date "old → new" as the admin's changes are recorded, and the year's flag."""
    audited = {}
    for c in adds + changes + removals:
        entry = {}
        if c.old is not None:
            entry["old"] = c.old.as_text()
        if c.new is not None:
            entry["new"] = c.new.as_text()
        audited[c.date.isoformat()] = entry
    if not was_complete:
        audited["complete"] = {"old": was_complete, "new": True}
    if old_note != new_note:
        audited["note"] = {"old": old_note, "new": new_note}
    return audited
