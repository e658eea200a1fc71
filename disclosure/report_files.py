"""The annual report as a file the API serves (?format=docx|pdf|html|xlsx), and as the item
submitted into the review: the report's HTML as the body, the .docx and .pdf attached."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse

from publications.services import add_attachment

from . import report_exports as exports

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_RENDER = {"docx": exports.report_docx, "pdf": exports.report_pdf,
           "xlsx": exports.report_xlsx,
           "html": lambda report: exports.report_html(report).encode("utf-8")}


def file_response(content: dict, fmt: str) -> HttpResponse:
    response = HttpResponse(_RENDER[fmt](content), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = exports.report_content_disposition(
        content, fmt, inline=fmt == "html")
    return response


def submission_parts(content: dict, *, user):
    """The item's body (the report as HTML, which the item's sanitiser keeps as tables) and
    the attachments to add to it once created: the .docx and the .pdf."""
    body = exports.report_html(content, standalone=False)

    def attach(fmt):
        def add(publication):
            uploaded = SimpleUploadedFile(exports.report_filename(content, fmt),
                                          _RENDER[fmt](content), CONTENT_TYPES[fmt])
            add_attachment(user=user, publication_id=publication.pk, uploaded=uploaded)
        return add

    return body, [attach("docx"), attach("pdf")]
