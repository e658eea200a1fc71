from django.core.management.base import BaseCommand

from audit.checkpoints import new_key_text, public_key_text
from audit.tasks import write_checkpoints


class Command(BaseCommand):
    help = ("Sign each agency's audit chain head now and keep it in AUDIT_CHECKPOINT_DIR "
            "(Celery beat does this every AUDIT_CHECKPOINT_SECONDS in production).")

    def add_arguments(self, parser):
        parser.add_argument("--new-key", action="store_true",
                            help="print a fresh signing key for AUDIT_SIGNING_KEY and exit")

    def handle(self, *args, new_key=False, **options):
        if new_key:
            self.stdout.write(new_key_text())
            return
        count = write_checkpoints()
        self.stdout.write(f"signed the chain heads of {count} agencies; "
                          f"verification key {public_key_text()}")
