"""The project's translation catalogues: finding them, telling stale ones, compiling them.

Only the .po files are kept in git. The .mo files Django reads are built from them on each
machine (`manage.py compile_translations`, run by `make run`, `make test` and the image
build) with polib, so neither a committed binary nor GNU gettext is needed to run the site.
"""

from dataclasses import dataclass
from pathlib import Path

import polib
from django.conf import settings

DOMAIN = "django"


@dataclass(frozen=True)
class Catalogue:
    po: Path

    @property
    def mo(self) -> Path:
        return self.po.with_suffix(".mo")

    @property
    def is_stale(self) -> bool:
        """True when the .mo is missing or older than its .po."""
        return not self.mo.exists() or self.mo.stat().st_mtime < self.po.stat().st_mtime

    def compile(self) -> None:
        # polib leaves out fuzzy and untranslated entries, as msgfmt does
        polib.pofile(str(self.po)).save_as_mofile(str(self.mo))


def catalogues() -> list[Catalogue]:
    """Every <locale path>/<language>/LC_MESSAGES/django.po of settings.LOCALE_PATHS."""
    found = []
    for locale_path in settings.LOCALE_PATHS:
        found.extend(Catalogue(po) for po in
                     sorted(Path(locale_path).glob(f"*/LC_MESSAGES/{DOMAIN}.po")))
    return found


def stale_catalogues() -> list[Catalogue]:
    return [catalogue for catalogue in catalogues() if catalogue.is_stale]
