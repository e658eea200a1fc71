"""Where items wait (办理时效), for leaders: reads only, one agency, one period.

* **Open items by step and age** (as of today): every open item (`open_items`: drafted,
  returned, in review, approved with nothing published yet) at its current step, and how
  long it has waited there in **working days** (`workdays.calendar`): the working days
  after the day it arrived at the step, up to today included. It arrives at a review step
  when the step's task is created, at 退回修改 when its round ended, at 待发布 when its last
  round was approved, and a draft when it was created. Buckets: < 1, 1–2, 3–4, ≥ 5.
* **Waiting time per step and per person** (over the period): the review tasks decided
  (status done) in the period, from the task's creation (the item reached the step) to its
  decision, in **calendar time**: count, median and p90 (linear interpolation, as
  PostgreSQL's `percentile_cont`, which computes them there; in Python on SQLite).
* **Timeliness per section and month** (over the period): the items first released in
  the period, on time, late or unknown under Art. 26, counted as the statistics count them
  (`selectors.first_released_items`, `WorkingCalendar.timeliness`), by the month of release.
* **Overdue open items** (as of today): the open items past their Art. 26 deadline
  (`workdays.deadlines.art26_due`), who holds each (the task's holder, 待签收 when nobody
  has claimed it, the drafter for a draft or a returned item, the publishers for an item
  approved but not yet published) and how many working days late.

A fixed number of queries whatever the number of items: 7 (one each for the open items,
their open tasks, the two waiting-time groupings, the released items, and the holiday
calendar's two).
"""

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, FloatField, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from publications.lifecycle import step_title
from publications.models import PublicationStatus as S
from workdays.calendar import LATE, ON_TIME, UNKNOWN, WorkingCalendar
from workdays.deadlines import OVERDUE, art26_due
from workflow.flows import ReviewFlow
from workflow.models import OPEN_TASK_STATES, RoundOutcome
from workflow.permissions import REVIEW_STEPS

from .open_items import open_items
from .selectors import first_released_items

#: the default period: the last this many days, today included
DEFAULT_PERIOD_DAYS = 90
#: (lowest, highest) working days of each age bucket; None: no upper bound
AGE_BUCKETS = ((0, 0), (1, 2), (3, 4), (5, None))
AGE_BUCKET_LABELS = (gettext_lazy("不足 1 个工作日"), gettext_lazy("1–2 个工作日"),
                     gettext_lazy("3–4 个工作日"), gettext_lazy("5 个工作日及以上"))
DRAFT, RETURNED, AWAITING_RELEASE = "draft", "returned", "awaiting_release"
#: the steps an open item can be at, in the order it passes them
PHASES = (DRAFT, *REVIEW_STEPS, RETURNED, AWAITING_RELEASE)
_PHASE_LABELS = {DRAFT: gettext_lazy("起草中"), RETURNED: gettext_lazy("退回修改"),
                 AWAITING_RELEASE: gettext_lazy("已通过待发布")}
_NODES = [getattr(ReviewFlow, step) for step in REVIEW_STEPS]
_DAY = dt.timedelta(days=1)


def phase_label(phase: str) -> str:
    return str(_PHASE_LABELS[phase]) if phase in _PHASE_LABELS else step_title(phase, phase)


def duration_label(seconds: float | None) -> str:
    """A waiting time as people say it: hours under two days, days above."""
    if seconds is None:
        return "—"
    hours = seconds / 3600
    if hours < 48:
        return _("%(n).1f 小时") % {"n": hours}
    return _("%(n).1f 天") % {"n": hours / 24}


def percentile(values: list[float], fraction: float) -> float | None:
    """As PostgreSQL's percentile_cont: linear between the closest ranks."""
    if not values:
        return None
    data = sorted(values)
    k = (len(data) - 1) * fraction
    lo, hi = math.floor(k), math.ceil(k)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


@dataclass
class StepAges:
    phase: str
    buckets: list[int]

    @property
    def label(self) -> str:
        return phase_label(self.phase)

    @property
    def total(self) -> int:
        return sum(self.buckets)


@dataclass
class WaitFigures:
    """Decided tasks of a step (of one person, when `person` is set) in the period."""

    step: str
    count: int
    median_s: float | None
    p90_s: float | None
    person: str = ""

    @property
    def label(self) -> str:
        return phase_label(self.step)

    @property
    def median(self) -> str:
        return duration_label(self.median_s)

    @property
    def p90(self) -> str:
        return duration_label(self.p90_s)


@dataclass
class SectionMonth:
    section: str
    month: dt.date
    on_time: int = 0
    late: int = 0
    unknown: int = 0

    @property
    def released(self) -> int:
        return self.on_time + self.late + self.unknown

    @property
    def on_time_share(self) -> float | None:
        known = self.on_time + self.late
        return round(100 * self.on_time / known, 1) if known else None


@dataclass
class OverdueItem:
    pk: int
    title: str
    section: str
    phase: str
    #: who holds it, as a name; "" when nobody does (an unclaimed task, an item to publish)
    holder: str
    formed_on: dt.date
    deadline: dt.date
    days_late: int | None
    waiting_since: dt.date

    @property
    def phase_label(self) -> str:
        return phase_label(self.phase)

    @property
    def holder_label(self) -> str:
        if self.holder:
            return self.holder
        if self.phase == AWAITING_RELEASE:
            return _("待发布（发布员）")
        return _("待签收")


@dataclass
class Waiting:
    start: dt.date
    end: dt.date
    today: dt.date
    ages: list[StepAges]
    steps: list[WaitFigures]
    people: list[WaitFigures]
    timeliness: list[SectionMonth]
    overdue: list[OverdueItem] = field(default_factory=list)

    @property
    def open_items(self) -> int:
        return sum(row.total for row in self.ages)

    @property
    def age_totals(self) -> list[int]:
        return [sum(row.buckets[i] for row in self.ages) for i in range(len(AGE_BUCKETS))]


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    return today - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1), today


def _name(display_name, username) -> str:
    return display_name or username or ""


def _local_date(moment) -> dt.date | None:
    return timezone.localdate(moment) if moment is not None else None


def _bucket(days: int) -> int:
    for i, (lo, hi) in enumerate(AGE_BUCKETS):
        if days >= lo and (hi is None or days <= hi):
            return i
    return len(AGE_BUCKETS) - 1


class _WorkingDaysSince:
    """Working days in (day, today] for many days, counted once over the range."""

    def __init__(self, calendar, days, today):
        self.today = today
        first = min(days, default=today)
        self.count_after: dict[dt.date, int] = {}
        n, day = 0, today
        while day >= first:  # from today backwards: working days after `day`
            self.count_after[day] = n
            n += calendar.is_working_day(day)
            day -= _DAY

    def __call__(self, day: dt.date) -> int:
        return self.count_after.get(min(day, self.today), 0)


def _open_rows(agency, section):
    items = open_items(agency).order_by()
    if section is not None:
        items = items.filter(section=section)
    return list(items.values("pk", "title", "status", "section__name", "formed_on",
                             "created_at", "drafter__display_name", "drafter__username")
                .annotate(round_ended=Max("review_rounds__finished")))


def _open_tasks(agency, section):
    """The open review task of each item in review: {publication id: row}."""
    tasks = Task.objects.filter(status__in=OPEN_TASK_STATES, flow_task__in=_NODES,
                                process__reviewprocess__agency_id=agency.pk,
                                process__reviewprocess__outcome=RoundOutcome.OPEN)
    if section is not None:
        tasks = tasks.filter(process__reviewprocess__section_id=section.pk)
    rows = tasks.order_by().values("process__reviewprocess__publication_id", "flow_task",
                                   "status", "created", "owner__display_name",
                                   "owner__username")
    return {row["process__reviewprocess__publication_id"]: row for row in rows}


def _decided(agency, section, start, end):
    tasks = Task.objects.filter(status=STATUS.DONE, flow_task__in=_NODES,
                                process__reviewprocess__agency_id=agency.pk,
                                finished__gte=_day_start(start),
                                finished__lt=_day_start(end + _DAY))
    if section is not None:
        tasks = tasks.filter(process__reviewprocess__section_id=section.pk)
    return tasks.order_by()


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class _SecondsPercentile(Aggregate):
    """percentile_cont(fraction) of a duration, in seconds (PostgreSQL)."""

    template = ("percentile_cont(%(fraction)s) WITHIN GROUP "
                "(ORDER BY EXTRACT(EPOCH FROM %(expressions)s))")
    output_field = FloatField()

    def __init__(self, expression, *, fraction: float):
        super().__init__(expression, fraction=float(fraction))


def _waited():
    return ExpressionWrapper(F("finished") - F("created"), output_field=DurationField())


def _wait_figures(agency, section, start, end) -> tuple[list[WaitFigures], list[WaitFigures]]:
    """(per step, per step and person), in step order; people by decisions, most first."""
    decided = _decided(agency, section, start, end)
    person = ("owner__display_name", "owner__username")
    if connection.vendor == "postgresql":
        figures = {"n": Count("pk"), "median": _SecondsPercentile(_waited(), fraction=0.5),
                   "p90": _SecondsPercentile(_waited(), fraction=0.9)}
        by_step = [(row["flow_task"].name, "", row["n"], row["median"], row["p90"])
                   for row in decided.values("flow_task").annotate(**figures)]
        by_person = [(row["flow_task"].name, _name(row[person[0]], row[person[1]]), row["n"],
                      row["median"], row["p90"])
                     for row in decided.values("flow_task", "owner_id", *person)
                     .annotate(**figures)]
    else:
        groups, people = defaultdict(list), defaultdict(list)
        for node, owner_id, name, username, created, finished in decided.values_list(
                "flow_task", "owner_id", *person, "created", "finished"):
            seconds = (finished - created).total_seconds()
            groups[node.name].append(seconds)
            people[(node.name, owner_id, _name(name, username))].append(seconds)
        by_step = [(step, "", len(v), percentile(v, 0.5), percentile(v, 0.9))
                   for step, v in groups.items()]
        by_person = [(step, name, len(v), percentile(v, 0.5), percentile(v, 0.9))
                     for (step, _pk, name), v in people.items()]
    order = {step: i for i, step in enumerate(REVIEW_STEPS)}
    steps = [WaitFigures(step, n, median, p90) for step, _p, n, median, p90 in by_step]
    people_rows = [WaitFigures(step, n, median, p90, person=name)
                   for step, name, n, median, p90 in by_person]
    steps.sort(key=lambda w: order[w.step])
    people_rows.sort(key=lambda w: (order[w.step], -w.count, w.person))
    return steps, people_rows


def _phase_of(row, task) -> tuple[str, dt.date]:
    """(current step, the day the item arrived there) of an open item."""
    if row["status"] == S.IN_REVIEW and task is not None:
        return task["flow_task"].name, _local_date(task["created"])
    if row["status"] == S.RETURNED:
        return RETURNED, _local_date(row["round_ended"] or row["created_at"])
    if row["status"] == S.APPROVED:
        return AWAITING_RELEASE, _local_date(row["round_ended"] or row["created_at"])
    return DRAFT, _local_date(row["created_at"])


def _holder(row, task, phase) -> str:
    if phase in REVIEW_STEPS:
        if task is not None and task["status"] == STATUS.ASSIGNED:
            return _name(task["owner__display_name"], task["owner__username"])
        return ""
    if phase == AWAITING_RELEASE:
        return ""
    return _name(row["drafter__display_name"], row["drafter__username"])


def waiting(*, agency, start: dt.date, end: dt.date, section=None,
            today: dt.date | None = None, only_overdue: bool = False) -> Waiting:
    """The figures of the module docstring for `agency` (one `section` of it, if given);
    with `only_overdue`, the overdue list and the ages only (no figures of the period)."""
    today = today or timezone.localdate()
    rows = _open_rows(agency, section)
    tasks = _open_tasks(agency, section)
    steps, people, released = [], [], []
    if not only_overdue:
        steps, people = _wait_figures(agency, section, start, end)
        released = list(first_released_items(agency_id=agency.pk, start=start, end=end)
                        .filter(**({"section": section} if section is not None else {}))
                        .values("section__code", "section__name", "formed_on", "first_on")
                        .annotate(n=Count("pk")))

    placed = [(row, *_phase_of(row, tasks.get(row["pk"]))) for row in rows]
    years = ([row["formed_on"].year for row in rows] + [r["formed_on"].year for r in released]
             + [since.year for _row, _phase, since in placed] + [today.year])
    calendar = WorkingCalendar()
    calendar.load(min(years), max(years) + 1)  # one load: two queries

    since = _WorkingDaysSince(calendar, [day for _r, _p, day in placed], today)
    ages = {phase: [0] * len(AGE_BUCKETS) for phase in PHASES}
    dues, overdue = {}, []
    for row, phase, arrived in placed:
        ages[phase][_bucket(since(arrived))] += 1
        formed_on = row["formed_on"]
        if formed_on not in dues:
            dues[formed_on] = art26_due(formed_on, today=today, calendar=calendar)
        due = dues[formed_on]
        if due.state == OVERDUE:
            overdue.append(OverdueItem(
                row["pk"], row["title"], row["section__name"], phase,
                _holder(row, tasks.get(row["pk"]), phase), formed_on, due.date,
                due.days_late, arrived))
    overdue.sort(key=lambda item: (item.deadline, item.pk))

    months: dict[tuple, SectionMonth] = {}
    for r in released:
        month = r["first_on"].replace(day=1)
        key = (r["section__code"], month)
        if key not in months:
            months[key] = SectionMonth(r["section__name"], month)
        verdict = calendar.timeliness(r["formed_on"], r["first_on"])
        attr = {ON_TIME: "on_time", LATE: "late", UNKNOWN: "unknown"}[verdict]
        setattr(months[key], attr, getattr(months[key], attr) + r["n"])
    return Waiting(
        start=start, end=end, today=today,
        ages=[StepAges(phase, ages[phase]) for phase in PHASES],
        steps=steps, people=people,
        timeliness=[months[key] for key in sorted(months)],
        overdue=overdue)
