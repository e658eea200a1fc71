from django.core.management.base import BaseCommand, CommandError

from agencies.models import Agency
from audit.verification import verify_chain


class Command(BaseCommand):
    help = "Walk the hash-chained audit trail; exit non-zero naming the first broken event."

    def add_arguments(self, parser):
        parser.add_argument("--agency", help="agency code (default: every agency)")

    def handle(self, *args, agency=None, **options):
        agencies = Agency.objects.order_by("code")
        if agency:
            agencies = agencies.filter(code=agency)
            if not agencies.exists():
                raise CommandError(f"unknown agency: {agency}")
        failures = []
        for item in agencies:
            report = verify_chain(item)
            if report.ok:
                self.stdout.write(f"{report.agency_code}: OK, {report.events} events")
            else:
                failures.append(report)
                self.stderr.write(f"{report.agency_code}: BROKEN at event #{report.seq}: "
                                  f"{report.problem}")
        if failures:
            raise CommandError(
                "audit trail verification failed: "
                + "; ".join(f"{r.agency_code} event #{r.seq}" for r in failures))
