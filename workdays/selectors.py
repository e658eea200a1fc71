"""Reads of the holiday calendar for pages and sweeps (the counting is in `calendar`)."""

import datetime as dt

from .models import HolidayYear

#: From this day of a year on, next year's notice is expected (the State Council usually
#: publishes it in November or December); until it is entered, deadlines run into a year
#: that cannot be counted.
WARN_FROM = (10, 1)


def missing_holiday_year(*, today: dt.date) -> int | None:
    """The year whose holiday notice is missing and matters now (one query): this year if
    it is not complete, else from 1 October next year if it is not; None when neither."""
    years = [today.year]
    if (today.month, today.day) >= WARN_FROM:
        years.append(today.year + 1)
    complete = set(HolidayYear.objects.filter(year__in=years, complete=True)
                   .values_list("year", flat=True))
    return next((year for year in years if year not in complete), None)


def suggested_import_year(*, today: dt.date) -> int:
    """The year the import form offers first: the missing one, or next year."""
    return missing_holiday_year(today=today) or today.year + 1
