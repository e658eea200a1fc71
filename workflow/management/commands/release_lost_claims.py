from django.core.management.base import BaseCommand

from workflow.services import release_lost_claims


class Command(BaseCommand):
    help = ("Give back to the queue every open review claim whose holder may no longer act "
            "on it (deactivated, role or section taken away by a change that bypassed the "
            "admin and the models, e.g. SQL). Changes made through them release at once.")

    def handle(self, *args, **options):
        released = release_lost_claims(everyone=True)
        self.stdout.write(f"released {len(released)} claims")
