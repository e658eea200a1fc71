"""`manage.py unlock_login USERNAME…` / `--address IP`: unlock from the shell (audited)."""

from django.core.management.base import BaseCommand, CommandError

from accounts.services import person_named, unlock_address, unlock_person


class Command(BaseCommand):
    help = "Unlock people (by username) or client addresses locked after failed logins."

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="*")
        parser.add_argument("--address", action="append", default=[],
                            help="a client address to unlock (repeatable)")

    def handle(self, *args, usernames, address, **options):
        if not usernames and not address:
            raise CommandError("name at least one username or --address")
        for username in usernames:
            person = person_named(username)
            if person is None:
                raise CommandError(f"no person named {username!r}")
            count = unlock_person(user=person, via="command")
            self.stdout.write(f"{username}: {count} failed attempts cleared")
        for ip_address in address:
            count = unlock_address(ip_address=ip_address, via="command")
            self.stdout.write(f"{ip_address}: {count} failed attempts cleared")
