"""The Art. 26 reminder sweep over every open item (Celery beat, hourly; the command
`send_item_reminders` in the embedded mode).

Who hears, about an item drafted, in review or returned:

- with 5 working days left or fewer (`due5:<deadline>`), and again with 1 or none
  (`due1:<deadline>`, the last day included): whoever holds its current review task; an
  unclaimed task, everyone who may take it (`permissions.refusal` as a filter: role, tie
  to the section, not the drafter, not having acted in the round); a draft or a returned
  item, its drafter;
- once it is overdue (`overdue:<deadline>+<n>`): the same people and the leaders covering
  its section, on the first working day after the deadline and then every 5 working days
  (late days 1, 6, 11, …: `OVERDUE_EVERY`) while it stays open.

Only on a working day, from 08:00 Beijing time: nobody is told anything on a holiday or a
weekend, and a 调休 Saturday is a working day like any other. A deadline running into a
year whose holidays are not entered is never guessed: no reminder.

Each reminder carries its key, and the notices' unique constraint `one_reminder_per_item`
admits a key once per person and item: two beat processes, a redelivered task or a sweep
run every hour write each reminder once, and only the new rows are e-mailed. Since a
reminder is sent when its window is reached, not on one exact day, a sweep that did not
run on a day catches up on the next, and a task claimed inside a window is reminded to its
new holder. Who held a task when its reminder went out is not asked again: a holder who
hands it on is not reminded twice, their successor is.

Set-based, whatever the number of items: one query reads the distinct `formed_on` dates
of open items and one calendar computes their deadlines; then each kind of recipient is
one INSERT ... SELECT over the items whose date is due, the key computed in SQL by a CASE
over those dates (seven statements in all, besides the calendar's two).
"""

import datetime as dt
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Case, CharField, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from agencies.models import Role, User, holding_role
from notifications.kinds import NotificationKind as NK
from notifications.services import notify_item_reminders
from publications.models import Publication
from publications.models import PublicationStatus as S
from workdays.calendar import WorkingCalendar
from workdays.deadlines import Due, art26_due

from .flows import ReviewFlow
from .models import OPEN_TASK_STATES, RoundOutcome
from .permissions import REVIEW_STEPS, STEP_ROLE, STEP_SECTION_TIE

#: the items with an Art. 26 deadline to keep and someone to remind
OPEN_STATUSES = (S.DRAFT, S.IN_REVIEW, S.RETURNED)
#: reminders go out on working days from this hour (Beijing time)
SEND_FROM_HOUR = 8
#: an overdue item is reminded of again every this many working days
OVERDUE_EVERY = 5
#: one sweep at a time (PostgreSQL): the second waits and then finds nothing new to write
_LOCK_KEY = 0x1726_0014


def reminder_of(due: Due) -> tuple[str, str] | None:
    """(notice kind, reminder key) an item with this deadline is due for now, if any."""
    if due.days_left is None or due.date is None:
        return None  # the deadline, or the days left, run into a year not entered
    deadline = due.date.isoformat()
    if due.days_left < 0:
        late = -due.days_left
        start = (late - 1) // OVERDUE_EVERY * OVERDUE_EVERY + 1
        return NK.ITEM_OVERDUE, f"overdue:{deadline}+{start}"
    if due.days_left <= 1:
        return NK.ITEM_DUE_SOON, f"due1:{deadline}"
    if due.days_left <= 5:
        return NK.ITEM_DUE_SOON, f"due5:{deadline}"
    return None


def may_send_at(local: dt.datetime, calendar: WorkingCalendar) -> bool:
    return local.hour >= SEND_FROM_HOUR and calendar.is_working_day(local.date())


class _Due:
    """The items' dates that are due for a reminder today, and the columns computed from
    their `formed_on` (as CASE expressions over the rows, `path` leading to the item)."""

    def __init__(self, reminders: dict[dt.date, tuple[str, str, dt.date]]):
        self.dates = sorted(reminders)
        self.overdue = sorted(d for d, (kind, _key, _date) in reminders.items()
                              if kind == NK.ITEM_OVERDUE)
        self._by_key = defaultdict(list)
        self._by_deadline = defaultdict(list)
        for day, (_kind, key, deadline) in reminders.items():
            self._by_key[key].append(day)
            self._by_deadline[deadline.isoformat()].append(day)

    def _case(self, path, groups):
        return Case(*[When(**{f"{path}formed_on__in": days}, then=Value(value))
                      for value, days in groups.items()], output_field=CharField())

    def columns(self, path: str) -> dict:
        return {"agency_id": F(f"{path}agency_id"), "publication_id": F(f"{path}pk"),
                "title": F(f"{path}title"),
                "kind": Case(When(**{f"{path}formed_on__in": self.overdue},
                                  then=Value(NK.ITEM_OVERDUE)),
                             default=Value(NK.ITEM_DUE_SOON), output_field=CharField()),
                "reminder": self._case(path, self._by_key),
                "message": self._case(path, self._by_deadline)}


def _due_today(today: dt.date, calendar: WorkingCalendar) -> _Due:
    dates = list(Publication.objects.filter(status__in=OPEN_STATUSES).order_by()
                 .values_list("formed_on", flat=True).distinct())
    if dates:
        calendar.load(min(min(dates).year, today.year), max(max(dates).year + 1, today.year))
    reminders = {}
    for formed_on in dates:
        due = art26_due(formed_on, today=today, calendar=calendar)
        found = reminder_of(due)
        if found is not None:
            reminders[formed_on] = (*found, due.date)
    return _Due(reminders)


_ITEM = "process__reviewprocess__publication__"
_NODES = {step: getattr(ReviewFlow, step) for step in REVIEW_STEPS}


def step_of_task():
    return Case(*[When(flow_task=node, then=Value(step)) for step, node in _NODES.items()],
                default=Value(""), output_field=CharField())


def _on_items(path: str, items: dict) -> dict:
    return {f"{path}{lookup}": value for lookup, value in items.items()}


def held_tasks(**items):
    """The open, claimed review tasks of the items in review that match `items` (lookups
    on the item, e.g. formed_on__in=…), one row a task (`owner_id` its holder). Also the
    daily digest's "claimed by you" (`workflow.digest`)."""
    return (Task.objects.filter(status__in=OPEN_TASK_STATES)
            .filter(status=STATUS.ASSIGNED, flow_task__in=list(_NODES.values()),
                    owner__is_active=True,
                    process__reviewprocess__outcome=RoundOutcome.OPEN,
                    **_on_items(_ITEM, {"status": S.IN_REVIEW, **items})))


def eligible_people(step: str, **items):
    """(rows, item path, task path): one row per person and unclaimed task of `step` they
    may take, on the items in review that match `items` (`selectors.people_who_may_act`
    over every such task at once). Also the daily digest's "you may take"."""
    tie = STEP_SECTION_TIE.get(step)
    item = f"{tie}__publications__" if tie else "agency__publications__"
    task = f"{item}review_rounds__task__"
    acted = Task.objects.filter(process_id=OuterRef(f"{task}process_id"),
                                owner_id=OuterRef("pk"), status=STATUS.DONE)
    # one filter() call: every condition on the same joined item, round and task
    people = User.objects.filter(
        holding_role(STEP_ROLE[step]), ~Q(pk=F(f"{item}drafter_id")), ~Exists(acted),
        Q(is_active=True, agency_id=F(f"{item}agency_id")),
        **_on_items(item, {"status": S.IN_REVIEW, **items}),
        **{f"{item}review_rounds__outcome": RoundOutcome.OPEN,
           f"{task}status__in": OPEN_TASK_STATES, f"{task}status": STATUS.NEW,
           f"{task}flow_task": _NODES[step]})
    return people, item, task


def covering_leaders(**items):
    """(rows, item path): the active leaders covering the section of an open item that
    matches `items`, one row a pair."""
    item = "covered_sections__publications__"
    return User.objects.filter(
        holding_role(Role.LEADER), Q(is_active=True, agency_id=F(f"{item}agency_id")),
        **_on_items(item, {"status__in": OPEN_STATUSES, **items})), item


def _holders(due: _Due):
    return held_tasks(formed_on__in=due.dates)


def _eligible(due: _Due, step: str):
    return eligible_people(step, formed_on__in=due.dates)


def _leaders(due: _Due):
    return covering_leaders(formed_on__in=due.overdue)


def sweep(*, now: dt.datetime | None = None) -> dict:
    """Write (and e-mail) the reminders due at `now`; how many of each were new."""
    local = timezone.localtime(now or timezone.now())
    calendar = WorkingCalendar()
    counts = {"holders": 0, "eligible": 0, "drafters": 0, "leaders": 0}
    if not may_send_at(local, calendar):
        return counts
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        due = _due_today(local.date(), calendar)
        if not due.dates:
            return counts
        # holders first: a leader who holds the task gets the notice that links to it
        counts["holders"] = len(notify_item_reminders(
            _holders(due), recipient_id=F("owner_id"), task_id=F("pk"),
            step=step_of_task(), **due.columns(_ITEM)))
        for step in REVIEW_STEPS:
            people, item, task = _eligible(due, step)
            counts["eligible"] += len(notify_item_reminders(
                people, recipient_id=F("pk"), task_id=F(f"{task}pk"), step=Value(step),
                **due.columns(item)))
        drafts = Publication.objects.filter(status__in=(S.DRAFT, S.RETURNED),
                                            formed_on__in=due.dates, drafter__is_active=True)
        counts["drafters"] = len(notify_item_reminders(
            drafts, recipient_id=F("drafter_id"), **due.columns("")))
        if due.overdue:
            leaders, item = _leaders(due)
            counts["leaders"] = len(notify_item_reminders(
                leaders, recipient_id=F("pk"), **due.columns(item)))
    return counts
