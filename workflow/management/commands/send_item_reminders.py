from django.core.management.base import BaseCommand

from workflow.reminders import sweep


class Command(BaseCommand):
    help = ("Send the Art. 26 reminders that are due now (5 and 1 working days before an "
            "item's deadline, and when it is overdue), as the hourly beat does; for the "
            "embedded mode, from cron. Running it again sends nothing twice.")

    def handle(self, *args, **options):
        counts = sweep()
        self.stdout.write(" ".join(f"{name}={n}" for name, n in counts.items()))
