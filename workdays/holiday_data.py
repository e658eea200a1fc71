"""Seeding the holiday table from the `chinesecalendar` package (2004–2026 in 1.11).

Used by the data migration (disclosure.0002, from when the tables were that app's)
and by `manage.py seed_holidays`; takes the model classes so the migration can pass
its historical models. Idempotent: rows an
administrator entered or corrected (source "admin") are never touched, and a
year already listed keeps its `complete` flag.
"""

import datetime as dt
from dataclasses import dataclass

SOURCE = "chinesecalendar"


@dataclass(frozen=True)
class SeedResult:
    available: bool
    created: int = 0
    updated: int = 0
    years_added: tuple[int, ...] = ()
    package_version: str = ""


def package_entries() -> tuple[dict[dt.date, tuple[str, str]], str] | None:
    """{date: (kind, Chinese name)} from the package and its version, or None if absent."""
    try:
        import chinese_calendar
        from chinese_calendar import constants
    except ImportError:
        return None

    def chinese(english: str) -> str:
        try:
            return constants.Holiday(english).chinese
        except ValueError:
            return english

    entries = {day: ("holiday", chinese(name)) for day, name in constants.holidays.items()}
    entries.update({day: ("workday", chinese(name)) for day, name in constants.workdays.items()})
    return entries, getattr(chinese_calendar, "__version__", "")


def seed(holiday_model, year_model) -> SeedResult:
    loaded = package_entries()
    if loaded is None:
        return SeedResult(available=False)
    entries, version = loaded
    existing = {h.date: h for h in holiday_model.objects.filter(
        date__gte=min(entries), date__lte=max(entries))}
    to_create, to_update = [], []
    for day, (kind, name) in sorted(entries.items()):
        row = existing.get(day)
        if row is None:
            to_create.append(holiday_model(date=day, kind=kind, name=name, source=SOURCE))
        elif row.source == SOURCE and (row.kind, row.name) != (kind, name):
            row.kind, row.name = kind, name
            to_update.append(row)
    holiday_model.objects.bulk_create(to_create)
    holiday_model.objects.bulk_update(to_update, ["kind", "name"])
    years = range(min(entries).year, max(entries).year + 1)
    known = set(year_model.objects.filter(year__in=years).values_list("year", flat=True))
    added = tuple(y for y in years if y not in known)
    year_model.objects.bulk_create([
        year_model(year=y, complete=True, note=f"chinesecalendar {version}".strip())
        for y in added])
    return SeedResult(available=True, created=len(to_create), updated=len(to_update),
                      years_added=added, package_version=version)
