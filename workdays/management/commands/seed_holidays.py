"""Fill the holiday table from the chinesecalendar package (idempotent)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from workdays.holiday_data import seed
from workdays.models import Holiday, HolidayYear


class Command(BaseCommand):
    help = ("Seed the working-day calendar (节假日安排) from the chinesecalendar package. "
            "Rows entered by administrators are kept.")

    def handle(self, *args, **options):
        with transaction.atomic():
            result = seed(Holiday, HolidayYear)
        if not result.available:
            raise CommandError("The chinesecalendar package is not installed "
                               "(pip install 'chinesecalendar>=1.9,<2').")
        years = ", ".join(map(str, result.years_added)) or "none"
        self.stdout.write(f"chinesecalendar {result.package_version}: {result.created} days "
                          f"added, {result.updated} updated; years marked complete: {years}")
