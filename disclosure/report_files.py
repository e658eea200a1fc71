"""The annual report as files (.docx, .pdf, .html, .xlsx) and as the item submitted into the
review. TEMP: the exports are being written (disclosure.report_exports)."""

from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from core.errors import InvalidInput

from .reports import SECTION_KEYS, SECTION_TITLES


def file_response(content: dict, fmt: str):
    raise InvalidInput(_("暂不支持该格式。"), fields={"format": [_("暂不支持。")]})


def submission_parts(content: dict, *, user):
    body = "".join(f"<h2>{escape(SECTION_TITLES[k])}</h2>{linebreaks(content['sections'][k])}"
                   for k in SECTION_KEYS)
    return body, []
