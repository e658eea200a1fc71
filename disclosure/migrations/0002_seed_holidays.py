"""Seed the holiday table from the chinesecalendar package, when it is installed.

Idempotent (see workdays.holiday_data, where the calendar lives now); `manage.py seed_holidays` does the same later,
e.g. after upgrading the package.
"""

from django.db import migrations


def seed_from_package(apps, schema_editor):
    from workdays.holiday_data import seed

    seed(apps.get_model("disclosure", "Holiday"), apps.get_model("disclosure", "HolidayYear"))


class Migration(migrations.Migration):

    dependencies = [
        ("disclosure", "0001_holiday_calendar"),
    ]

    operations = [
        migrations.RunPython(seed_from_package, migrations.RunPython.noop),
    ]
