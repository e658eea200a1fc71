"""The statutory clock of an application (Art. 30–33 of the regulation), computed from its
dated events with the working-day calendar.

Rules, as the regulation and the agencies' practice read them:

* **Receipt** (Art. 31). The clock counts working days after the day of receipt (that day is
  not counted). An application received on a non-working day (online, over a weekend) is
  deemed received on the next working day, and counting starts after that day.
* **Allowance** (Art. 33): 20 working days; one extension adds at most 20.
* **补正** (Art. 30): the notice stops the clock; when the correction arrives the 20 days start
  again from that date (deemed the next working day if it is not one), as if newly
  received. Pauses and days used before it no longer count.
* **Third-party consultation** (Art. 32): the working days after the day it was sent up to
  and including the day of the reply are not counted, at most 15 working days: with no reply
  by then the clock runs again by itself.
* **Fee notice** (国办函〔2020〕109号): the working days after the notice up to and including the
  day of payment are not counted; until payment the clock is stopped.

A day "is not counted" exactly when it is a non-working day or lies inside a pause. The
deadline is the day the allowance is used up. While the clock is stopped the deadline is not
known (None) and `stopped_by` says why; a deadline that runs into a year whose holiday notice
is not entered is computed over weekends only and flagged `beyond_known` with the first such
day — callers show it as unknown, never as a date.

Everything here is a pure function of the events, the calendar and `today`: the same inputs
give the same clock, which is how a lawyer's day-by-day check (`explain`) and the stored
deadline agree.
"""

import datetime as dt
from dataclasses import dataclass, field

from workdays.calendar import WorkingCalendar
from workdays.models import Holiday

from .models import ClockEventKind as K
from .models import StopReason

ALLOWANCE = 20  # Art. 33
MAX_EXTENSION = 20  # Art. 33
CORRECTION_NOTICE_LIMIT = 7  # Art. 30: the 补正 notice goes out within 7 working days
CORRECTION_PERIOD_DEFAULT = 15  # the period a notice gives (agencies' practice)
CONSULTATION_LIMIT = 15  # Art. 32
FEE_PERIOD_DEFAULT = 20  # 国办函〔2020〕109号: pay within 20 working days of the notice

_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Fact:
    """One dated event of the clock (a `ClockEvent`'s kind, date and data)."""

    kind: str
    on: dt.date
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Pause:
    reason: str
    #: the day the clock stopped; it still counts, the days after it do not
    start: dt.date
    #: the last day not counted (None: still stopped)
    end: dt.date | None
    #: for a consultation: the last day it may stop the clock
    limit: dt.date | None = None

    def covers(self, day: dt.date) -> bool:
        return self.start < day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Entry:
    """The clock right after one event, for the history shown with the application."""

    event: str
    on: dt.date
    days_used: int
    deadline: dt.date | None
    deadline_unknown: bool


@dataclass
class Clock:
    received_on: dt.date | None = None
    #: the day counting starts after (the deemed receipt, or the deemed correction date)
    start: dt.date | None = None
    #: True when `received_on` was not a working day and `start` is the next one
    deemed: bool = False
    #: the latest day a 补正 notice may be sent (7 working days after the deemed receipt)
    correction_notice_by: dt.date | None = None
    correction_requested: bool = False
    correction_due_on: dt.date | None = None
    allowance: int = ALLOWANCE
    extended: bool = False
    pauses: list = field(default_factory=list)
    #: the pauses as they apply on the day settled: the closed ones, a consultation past its
    #: limit closed at the limit, and the open one stopping the clock
    effective_pauses: list = field(default_factory=list)
    stopped_by: str = ""
    consultation_ends_on: dt.date | None = None
    fee_pay_by: dt.date | None = None
    deadline: dt.date | None = None
    beyond_known: bool = False
    first_unknown_day: dt.date | None = None
    days_used: int = 0
    ended_on: dt.date | None = None
    history: list = field(default_factory=list)

    @property
    def days_left(self) -> int:
        return self.allowance - self.days_used

    @property
    def running(self) -> bool:
        return self.start is not None and not self.stopped_by and self.ended_on is None

    def overdue(self, today: dt.date) -> bool:
        if self.deadline is None or self.beyond_known:
            return False
        return (self.ended_on or today) > self.deadline


class _Replay:
    def __init__(self, calendar: WorkingCalendar, today: dt.date):
        self.cal, self.today, self.clock = calendar, today, Clock()
        self.open_pause: Pause | None = None

    def deemed(self, day: dt.date) -> dt.date:
        while not self.cal.is_working_day(day):
            day += _ONE_DAY
        return day

    def apply(self, fact: Fact) -> None:
        c, data = self.clock, fact.data
        if fact.kind == K.RECEIVED:
            c.received_on = fact.on
            c.start = self.deemed(fact.on)
            c.deemed = c.start != fact.on
            c.correction_notice_by = self.cal.add_working_days(
                c.start, CORRECTION_NOTICE_LIMIT).date
        elif fact.kind == K.CORRECTION_REQUESTED:
            c.correction_requested = True
            period = int(data.get("period_days") or CORRECTION_PERIOD_DEFAULT)
            c.correction_due_on = self.cal.add_working_days(fact.on, period).date
            self.open_pause = Pause(StopReason.CORRECTION, fact.on, None)
        elif fact.kind == K.CORRECTION_RECEIVED:
            c.start, c.pauses, self.open_pause = self.deemed(fact.on), [], None
        elif fact.kind == K.EXTENDED:
            c.extended = True
            c.allowance += int(data.get("days") or MAX_EXTENSION)
        elif fact.kind == K.CONSULTATION_SENT:
            limit = self.cal.add_working_days(fact.on, CONSULTATION_LIMIT).date
            self.open_pause = Pause(StopReason.CONSULTATION, fact.on, None, limit)
        elif fact.kind == K.CONSULTATION_REPLIED and self.open_pause is not None:
            end = min(fact.on, self.open_pause.limit)
            c.pauses.append(Pause(StopReason.CONSULTATION, self.open_pause.start, end,
                                  self.open_pause.limit))
            self.open_pause = None
        elif fact.kind == K.FEE_NOTICE:
            period = int(data.get("period_days") or FEE_PERIOD_DEFAULT)
            c.fee_pay_by = self.cal.add_working_days(fact.on, period).date
            self.open_pause = Pause(StopReason.FEE, fact.on, None)
        elif fact.kind == K.FEE_PAID and self.open_pause is not None:
            c.pauses.append(Pause(StopReason.FEE, self.open_pause.start, fact.on))
            self.open_pause = None
        elif fact.kind in (K.REPLIED, K.CLOSED):
            c.ended_on = fact.on

    def settle(self, as_of: dt.date) -> None:
        """Deadline and days used as of `as_of`, after the events applied so far."""
        c = self.clock
        pauses = list(c.pauses)
        c.stopped_by, c.consultation_ends_on = "", None
        pause = self.open_pause
        if pause is not None:
            if pause.reason == StopReason.CONSULTATION and as_of > pause.limit:
                pauses.append(Pause(pause.reason, pause.start, pause.limit, pause.limit))
            else:
                c.stopped_by = pause.reason
                if pause.reason == StopReason.CONSULTATION:
                    c.consultation_ends_on = pause.limit
        c.effective_pauses = pauses + ([pause] if c.stopped_by else [])
        if c.start is None:
            return
        until = min(as_of, c.ended_on) if c.ended_on else as_of
        c.days_used = self._count(c.start, until, pauses, pause if c.stopped_by else None)
        if c.stopped_by:
            c.deadline, c.beyond_known, c.first_unknown_day = None, False, None
        else:
            c.deadline, c.first_unknown_day = self._deadline(c.start, c.allowance, pauses)
            c.beyond_known = c.first_unknown_day is not None

    def _count(self, start, until, pauses, open_pause) -> int:
        used, day = 0, start + _ONE_DAY
        while day <= until:
            if (self.cal.is_working_day(day) and not any(p.covers(day) for p in pauses)
                    and not (open_pause is not None and open_pause.covers(day))):
                used += 1
            day += _ONE_DAY
        return used

    def _deadline(self, start, allowance, pauses):
        counted, day, first_unknown = 0, start, None
        while counted < allowance:
            day += _ONE_DAY
            if first_unknown is None and not self.cal.is_known(day):
                first_unknown = day
            if self.cal.is_working_day(day) and not any(p.covers(day) for p in pauses):
                counted += 1
        return day, first_unknown


def compute(facts, *, calendar: WorkingCalendar, today: dt.date) -> Clock:
    """The clock after `facts` (in the order they happened), as of `today`."""
    replay = _Replay(calendar, today)
    for fact in sorted(facts, key=lambda f: f.on):  # stable: same-day facts keep their order
        replay.apply(fact)
        replay.settle(fact.on)
        c = replay.clock
        c.history.append(Entry(fact.kind, fact.on, c.days_used, c.deadline, c.beyond_known))
    replay.settle(max(today, replay.clock.ended_on or today))
    return replay.clock


# --- the day-by-day account ---------------------------------------------------------------

@dataclass(frozen=True)
class Day:
    date: dt.date
    #: the running number of this counted day (None: not counted)
    counted: int | None
    #: why the day is (not) counted: start, weekend, holiday, workday (调休), paused, counted
    reason: str
    #: the holiday's or pause's name
    label: str = ""
    known: bool = True


def explain(facts, *, calendar: WorkingCalendar, today: dt.date) -> tuple[Clock, list[Day]]:
    """Every day from the current start of counting to the deadline (or to today while the
    clock is stopped), with whether and why it counts — the account a lawyer checks."""
    clock = compute(facts, calendar=calendar, today=today)
    if clock.start is None:
        return clock, []
    names = _holiday_names(clock.start, clock.deadline or today)
    pauses = clock.effective_pauses
    last = clock.deadline or max(today, clock.start)
    days = [Day(clock.start, None, "start", known=calendar.is_known(clock.start))]
    counted, day = 0, clock.start
    while day < last:
        day += _ONE_DAY
        known = calendar.is_known(day)
        pause = next((p for p in pauses if p.covers(day)), None)
        if not calendar.is_working_day(day):
            reason = "holiday" if day in names else "weekend"
            days.append(Day(day, None, reason, names.get(day, ""), known))
        elif pause is not None:
            days.append(Day(day, None, "paused", str(pause.reason), known))
        else:
            counted += 1
            reason = "workday" if day.weekday() >= 5 else "counted"
            days.append(Day(day, counted, reason, names.get(day, ""), known))
    return clock, days


def _holiday_names(first: dt.date, last: dt.date) -> dict:
    return dict(Holiday.objects.filter(date__gte=first, date__lte=last)
                .values_list("date", "name"))
