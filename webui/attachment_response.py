"""How an item's file is answered: shown in the browser (PDF, raster images) or downloaded.

Only types a browser renders without running anything of the file's own are shown
inline; everything else, SVG and HTML included (they can carry script), is always a
download. The inline answer also forbids the file from loading or running anything
(Content-Security-Policy with `sandbox`) and from being sniffed as another type.
"""

from django.http import FileResponse

INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif",
                          "image/webp"})
INLINE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def content_type_of(attachment) -> str:
    """The stored type without parameters, lower case ("" when the upload gave none)."""
    return (attachment.content_type or "").split(";", 1)[0].strip().lower()


def may_show_inline(attachment) -> bool:
    return content_type_of(attachment) in INLINE_TYPES


def attachment_response(attachment, handle, *, inline: bool) -> FileResponse:
    """The file as stored, inline only when asked for and its type allows it."""
    inline = inline and may_show_inline(attachment)
    response = FileResponse(handle, as_attachment=not inline, filename=attachment.name,
                            content_type=(content_type_of(attachment) if inline else
                                          attachment.content_type or "application/octet-stream"))
    response["X-Content-Type-Options"] = "nosniff"
    if inline:
        response["Content-Security-Policy"] = INLINE_CSP
    return response
