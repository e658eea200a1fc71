"""The Art. 26 deadline of an open item and the working days left, for every list.

One place for what the queues, the drafter's list and the dashboard show: 20 working
days from `formed_on` (`workdays.calendar.ART26_WORKING_DAYS`, the same count the
statistics use for timeliness). A deadline that runs into a year whose holiday notice is
not entered is "pending", never guessed.
"""

import datetime as dt
from dataclasses import dataclass

from .calendar import ART26_WORKING_DAYS, WorkingCalendar

OK, SOON, OVERDUE, PENDING = "ok", "soon", "overdue", "pending"
#: amber at this many working days left or fewer
SOON_WORKING_DAYS = 5


@dataclass(frozen=True)
class Due:
    state: str
    date: dt.date | None = None
    #: working days from today to the deadline (0: due today; negative: overdue by n);
    #: None when not exactly known
    days_left: int | None = None
    #: the year whose holiday data is missing (state PENDING)
    missing_year: int | None = None

    @property
    def days_late(self) -> int | None:
        return -self.days_left if self.days_left is not None and self.days_left < 0 else None


def _working_days_between(calendar, start: dt.date, end: dt.date) -> tuple[int, bool]:
    """Working days in (start, end] and whether every counted day was known."""
    day, n, known = start, 0, True
    while day < end:
        day += dt.timedelta(days=1)
        known = known and calendar.is_known(day)
        n += calendar.is_working_day(day)
    return n, known


def art26_due(formed_on: dt.date, *, today: dt.date, calendar: WorkingCalendar) -> Due:
    deadline = calendar.add_working_days(formed_on, ART26_WORKING_DAYS)
    if deadline.beyond_known_data:
        return Due(PENDING, missing_year=deadline.first_unknown_day.year)
    if today <= deadline.date:
        left, known = _working_days_between(calendar, today, deadline.date)
        return Due(SOON if left <= SOON_WORKING_DAYS else OK, deadline.date,
                   left if known else None)
    late, known = _working_days_between(calendar, deadline.date, today)
    return Due(OVERDUE, deadline.date, -late if known else None)


def art26_due_many(formed_dates, *, today: dt.date) -> dict[dt.date, Due]:
    """Due of each distinct date, with the calendar loaded once (two queries at most)."""
    dates = set(formed_dates)
    calendar = WorkingCalendar()
    if dates:
        calendar.load(min(min(d.year for d in dates), today.year),
                      max(max(d.year for d in dates) + 1, today.year))
    return {d: art26_due(d, today=today, calendar=calendar) for d in dates}
