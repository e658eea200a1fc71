"""Compile the project's .po catalogues into the .mo files Django reads (no gettext needed)."""

from django.core.management.base import BaseCommand, CommandError

from webui.translations import stale_catalogues


class Command(BaseCommand):
    help = ("Compile every django.po under LOCALE_PATHS into django.mo when the .mo is "
            "missing or older than the .po.")
    # the checks would warn about the very catalogues this command is about to compile
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true",
                            help="Write nothing; exit non-zero if any .mo is missing or stale.")

    def handle(self, *args, check=False, **options):
        stale = stale_catalogues()
        if check:
            if stale:
                raise CommandError("Catalogues to compile: "
                                   + ", ".join(str(catalogue.po) for catalogue in stale))
            return
        for catalogue in stale:
            catalogue.compile()
            self.stdout.write(f"Compiled {catalogue.mo}")
