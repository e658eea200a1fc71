"""System check: a translation catalogue whose .mo is missing or older than its .po would
leave the English pages (and viewflow's Chinese labels) showing untranslated text."""

from django.core.checks import Warning

from .translations import stale_catalogues


def translations_compiled(app_configs=None, **kwargs):
    return [Warning(f"The compiled catalogue {catalogue.mo} is missing or older than "
                    f"{catalogue.po.name}.",
                    hint="run python manage.py compile_translations",
                    obj=str(catalogue.po), id="webui.W001")
            for catalogue in stale_catalogues()]
