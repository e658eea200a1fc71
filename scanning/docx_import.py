"""导入 Word: a .docx becomes an item's body; its images become the item's attachments.

A drafter's .docx is untrusted input: before mammoth parses it, the package is checked
against the pre-scan's limits (`extract.check_package`: not a zip, a zip bomb, too many XML
elements, a DTD, an encrypted or legacy file), and what mammoth makes of it is sanitised like
every body (`publications.sanitise`). Mammoth keeps headings (by style: Word's built-in
"Heading 1–3", WPS's "标题 1–3" and the document title), lists and tables with merged cells;
it ignores direct formatting, so the paragraphs' alignment and first-line indent (which
Chinese documents carry on nearly every paragraph) are read from the paragraph properties
here and written as the two styles the sanitiser keeps. A first heading at the top is the
item's title (the pages show the title above the body), so it leaves the body. Images are
not put in the body (the editor has no images): each is named in the text where it stood
and, on a saved draft, added as an attachment.

`convert_docx` only reads (the new item's form is filled from it, nothing is written);
`import_docx` replaces a draft's body and adds the images, audited as one import.
"""

from __future__ import annotations

import hashlib
import html
import io
import os
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditAction
from core.errors import Conflict, InvalidInput, NotPermitted
from publications.sanitise import sanitise_html
from publications.selectors import visible_publication

from .extract import Budget, TooLarge, UnreadableAttachment, check_package, extension

FIELD = "docx"
TITLE_MAX = 300

# Direct paragraph formatting → a marker class (mammoth writes classes only), turned into
# the style the sanitiser keeps before sanitising.
_ALIGN = {"center": "center", "right": "right", "end": "right", "both": "justify",
          "distribute": "justify"}
_STYLES = {"center": "text-align:center", "right": "text-align:right",
           "justify": "text-align:justify", "indent": "text-indent:2em"}
_MARK = "docx-"
_HEADINGS = [f"{name} {n}" for name in ("heading", "标题") for n in (1, 2, 3)]
_STYLE_MAP = "\n".join(
    [f"p[style-name='{prefix}{n}'] => h{n}:fresh"
     for n in (1, 2, 3) for prefix in ("标题 ", "Heading ", "heading ")]
    + ["p[style-name='Title'] => h1:fresh", "p[style-name='标题'] => h1:fresh"]
    + [f"p[style-name='{_MARK}{'-'.join(marks)}'] => p.{'.'.join(_MARK + m for m in marks)}"
       ":fresh"
       for marks in [(a,) for a in ("center", "right", "justify", "indent")]
       + [(a, "indent") for a in ("center", "right", "justify")]])
_MARKED = re.compile(r'<p class="((?:docx-[a-z]+ ?)+)">')
_IMAGE = re.compile(r'<img [^>]*src="docx-image:(\d+)"[^>]*/?>')
_HEADING_TEXT = re.compile(r"<h[1-3][^>]*>(.*?)</h[1-3]>", re.S)
_TAG = re.compile(r"<[^>]+>")
_IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/jpg": "jpg"}


@dataclass(frozen=True)
class Image:
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ImportedDocument:
    body: str
    title: str
    images: tuple[Image, ...] = field(default=())
    # images of a type attachments may not have (EMF, WMF, GIF, TIFF…): named, not added
    skipped_images: tuple[str, ...] = field(default=())


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, fields={FIELD: [message]})


def _read(uploaded) -> tuple[str, bytes]:
    name = os.path.basename(getattr(uploaded, "name", "") or "")
    ext = extension(name)
    if ext in (".doc", ".wps"):
        raise _refuse(_("只能导入 .docx 文件；.doc 或 .wps 文件请先在 Word 或 WPS 中"
                        "“另存为” .docx 格式。"))
    if ext != ".docx":
        raise _refuse(_("只能导入 Word 文档（.docx 文件）。"))
    if uploaded.size > settings.ATTACHMENT_MAX_BYTES:
        raise _refuse(_("文件过大：最大 %(max)d MB，当前 %(size).1f MB。") % {
            "max": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
            "size": uploaded.size / (1024 * 1024)})
    data = uploaded.read()
    if not data:
        raise _refuse(_("文件是空的。"))
    return name, data


def _mark_paragraph(paragraph):
    """Give a plain paragraph with centred/right/justified alignment or a first-line indent
    a style name the style map turns into marker classes (headings and list items keep
    theirs)."""
    import mammoth.documents

    if paragraph.numbering is not None or (paragraph.style_name or "").lower() in _HEADINGS:
        return paragraph
    marks = []
    align = _ALIGN.get((paragraph.alignment or "").lower())
    if align:
        marks.append(align)
    first_line = (paragraph.indent.first_line if paragraph.indent else None) or "0"
    if first_line.lstrip("-").isdigit() and int(first_line) > 0:
        marks.append("indent")
    if not marks:
        return paragraph
    return mammoth.documents.paragraph(
        paragraph.children, style_id=None, style_name=_MARK + "-".join(marks),
        numbering=None, alignment=paragraph.alignment, indent=paragraph.indent)


def _styles(match) -> str:
    names = match.group(1).split()
    style = ";".join(_STYLES[n.removeprefix(_MARK)] for n in names
                     if n.removeprefix(_MARK) in _STYLES)
    return f'<p style="{style}">' if style else "<p>"


def convert_docx(uploaded, *, limits) -> ImportedDocument:
    """The body, title and images of a .docx; InvalidInput (field "docx") if it cannot be
    imported. Writes nothing."""
    import mammoth
    import mammoth.transforms

    name, data = _read(uploaded)
    try:
        check_package(data, Budget(limits), ".docx")
    except TooLarge as error:
        raise _refuse(_("文件解压后过大或结构过于复杂，不能导入。")) from error
    except UnreadableAttachment as error:
        raise _refuse(_("不是有效的 .docx 文件，或文件已损坏、已加密，不能导入。")) from error

    images: list[Image] = []
    skipped: list[str] = []

    def keep_image(image):
        number = len(images) + len(skipped) + 1
        suffix = _IMAGE_TYPES.get((image.content_type or "").lower())
        label = _("图片%d") % number
        with image.open() as handle:
            content = handle.read()
        if suffix and suffix in settings.ATTACHMENT_ALLOWED_EXTENSIONS:
            images.append(Image(f"{label}.{suffix}", image.content_type, content))
        else:
            skipped.append(label)
        return {"src": f"docx-image:{number}"}

    try:
        result = mammoth.convert_to_html(
            io.BytesIO(data), style_map=_STYLE_MAP, include_embedded_style_map=False,
            transform_document=mammoth.transforms.paragraph(_mark_paragraph),
            convert_image=mammoth.images.img_element(keep_image))
    except Exception as error:  # mammoth/zipfile/XML raise many types on damaged files
        raise _refuse(_("不是有效的 .docx 文件，或文件已损坏、已加密，不能导入。")) from error

    named = {str(n): label for n, label in enumerate(
        [image.name for image in images] + skipped, start=1)}
    attached = {image.name for image in images}

    def image_note(match) -> str:
        label = named.get(match.group(1), "")
        if label in attached:
            return html.escape(_("〔%(name)s，见附件〕") % {"name": label})
        return html.escape(_("〔%(name)s，格式不能作为附件，请另行处理〕") % {"name": label})

    marked = _MARKED.sub(_styles, result.value)
    body = sanitise_html(_IMAGE.sub(image_note, marked)).strip()
    if not _TAG.sub("", body).strip() and not images:
        raise _refuse(_("文档中没有可导入的内容。"))
    heading = _HEADING_TEXT.search(body)
    title = html.unescape(_TAG.sub("", heading.group(1))).strip() if heading else ""
    if heading and heading.start() == 0 and body.startswith("<h1>"):
        body = body[heading.end():].lstrip()  # the page shows the title above the body
    title = " ".join((title or os.path.splitext(name)[0]).split())[:TITLE_MAX]
    # images in document order, as numbered in the text
    return ImportedDocument(body=body, title=title, images=tuple(images),
                            skipped_images=tuple(skipped))


def import_docx(*, user, publication_id: int, uploaded, replace: bool = False,
                limits) -> ImportedDocument:
    """Replace a draft's body by the .docx's (`replace` must confirm it when the draft has a
    body) and add its images as attachments, in one transaction, audited as `docx_imported`
    with the file's name and hash."""
    from publications.services import add_attachment, update_publication

    document = convert_docx(uploaded, limits=limits)
    uploaded.seek(0)
    digest = hashlib.sha256(uploaded.read()).hexdigest()
    with transaction.atomic():
        publication = visible_publication(user, publication_id, lock=True)
        if publication.drafter_id != user.pk:
            raise NotPermitted(_("只有起草该信息的经办人可以导入 Word 文档。"))
        if _TAG.sub("", publication.body or "").strip() and not replace:
            raise InvalidInput(_("请确认用导入的内容替换现有正文。"), fields={
                "replace": [_("当前正文不为空：勾选确认后，导入的内容将替换现有正文。")]})
        if document.body == publication.body:  # imported already: its images are attached
            raise Conflict(_("导入的内容与当前正文相同，没有改动。"))
        update_publication(
            user=user, publication_id=publication.pk, data={"body": document.body},
            action=AuditAction.DOCX_IMPORTED,
            extra={"file": os.path.basename(uploaded.name), "sha256": digest,
                   "images": [image.name for image in document.images],
                   "skipped_images": list(document.skipped_images)})
        for image in document.images:
            add_attachment(user=user, publication_id=publication.pk, uploaded=SimpleUploadedFile(
                image.name, image.data, content_type=image.content_type))
    return document
