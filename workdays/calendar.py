"""Chinese working days, for the legal deadlines counted in working days.

A day is a working day when it is Monday to Friday and not a holiday, or when
it is a make-up working weekend day (调休). The exceptions come from the
`Holiday` table; a year counts as known only when its `HolidayYear` is marked
complete. For any other year only weekends are skipped and the result says
`beyond_known_data` — the caller must show it, never treat it as exact.

Deadlines are counted by stepping day by day from the day after the start
(chinesecalendar's `find_workday` is off by one when the start is not a working
day, so it is not used). A `WorkingCalendar` loads each year's data once and
keeps it for its own lifetime: make one per computation (a request, a report),
not one per process, so an administrator's additions apply at once.
"""

import datetime as dt
from dataclasses import dataclass

from .models import Holiday, HolidayKind, HolidayYear

#: Art. 26: actively disclosed information is published within 20 working days of being
#: formed or changed.
ART26_WORKING_DAYS = 20

ON_TIME, LATE, UNKNOWN = "on_time", "late", "unknown"

_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class WorkdayResult:
    date: dt.date
    #: True if any day counted lies in a year whose holiday notice is not (fully) entered.
    beyond_known_data: bool
    #: The first counted day without known data (None when all were known).
    first_unknown_day: dt.date | None = None


@dataclass(frozen=True)
class _Year:
    known: bool
    holidays: frozenset = frozenset()
    workdays: frozenset = frozenset()


class WorkingCalendar:
    """Holiday data for the years asked about, loaded at most once per year per instance."""

    def __init__(self):
        self._years: dict[int, _Year] = {}
        self._deadlines: dict[tuple[dt.date, int], WorkdayResult] = {}

    def load(self, first_year: int, last_year: int) -> None:
        """Load every year of the range not loaded yet (two queries)."""
        missing = [y for y in range(first_year, last_year + 1) if y not in self._years]
        if not missing:
            return
        lo, hi = min(missing), max(missing)
        complete = set(HolidayYear.objects.filter(year__gte=lo, year__lte=hi, complete=True)
                       .values_list("year", flat=True))
        days: dict[int, tuple[set, set]] = {y: (set(), set()) for y in complete}
        rows = (Holiday.objects.filter(date__gte=dt.date(lo, 1, 1), date__lte=dt.date(hi, 12, 31))
                .order_by().values_list("date", "kind"))
        for day, kind in rows:
            if day.year in days:  # rows of an incomplete year are not used (see module doc)
                days[day.year][kind == HolidayKind.WORKDAY].add(day)
        for year in missing:
            if year in days:
                off, worked = days[year]
                self._years[year] = _Year(True, frozenset(off), frozenset(worked))
            else:
                self._years[year] = _Year(False)

    def _year(self, year: int) -> _Year:
        if year not in self._years:
            self.load(year, year)
        return self._years[year]

    def is_known(self, day: dt.date) -> bool:
        return self._year(day.year).known

    def is_working_day(self, day: dt.date) -> bool:
        year = self._year(day.year)
        if day in year.workdays:
            return True
        if day in year.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, n: int) -> WorkdayResult:
        """The n-th working day after `start` (`start` itself never counts)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        key = (start, n)
        if key not in self._deadlines:
            day, counted, first_unknown = start, 0, None
            while counted < n:
                day += _ONE_DAY
                if first_unknown is None and not self.is_known(day):
                    first_unknown = day
                if self.is_working_day(day):
                    counted += 1
            self._deadlines[key] = WorkdayResult(day, first_unknown is not None, first_unknown)
        return self._deadlines[key]

    def timeliness(self, formed_on: dt.date, published_on: dt.date) -> str:
        """ON_TIME, LATE or UNKNOWN for an item formed and first published on these dates.

        On time means published on or before the 20th working day after `formed_on`.
        When the deadline runs into a year without known data, an item published before
        that year's first counted day is still certainly on time; otherwise UNKNOWN.
        """
        deadline = self.add_working_days(formed_on, ART26_WORKING_DAYS)
        if not deadline.beyond_known_data:
            return ON_TIME if published_on <= deadline.date else LATE
        return ON_TIME if published_on < deadline.first_unknown_day else UNKNOWN


def is_working_day(day: dt.date) -> bool:
    return WorkingCalendar().is_working_day(day)


def add_working_days(start: dt.date, n: int) -> WorkdayResult:
    return WorkingCalendar().add_working_days(start, n)


def art26_deadline(formed_on: dt.date) -> WorkdayResult:
    """The last day to publish actively disclosed information formed on `formed_on`."""
    return add_working_days(formed_on, ART26_WORKING_DAYS)
