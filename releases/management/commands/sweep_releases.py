from django.core.management.base import BaseCommand

from releases.tasks import sweep_outbox


class Command(BaseCommand):
    help = ("Re-dispatch releases that are due again or were abandoned by a worker "
            "(Celery beat does this every minute in production).")

    def handle(self, *args, **options):
        counts = sweep_outbox()
        self.stdout.write(f"dispatched {counts['deliveries']} deliveries, "
                          f"{counts['retractions']} retractions")
