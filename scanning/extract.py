"""Text of an attachment, or the reason it cannot be read.

An attachment that cannot be read must never pass as clean: every failure (unknown
type, corrupt file, encrypted PDF, a PDF without a text layer) raises
`UnreadableAttachment` with a reason a reviewer can act on. Parts of a readable file
that could not be read (PDF pages without text, e.g. a scanned annex) are listed in
`Extracted.gaps` next to the text of the rest.

Supported:
* .docx (python-docx): body paragraphs and tables in order, nested tables, text boxes,
  headers and footers; not footnotes or comments;
* .xlsx/.xlsm (openpyxl): every sheet, hidden ones too, sheet names and cell values;
  cells separated by tabs, rows by newlines;
* .pdf (pypdf): the text layer, page by page;
* .txt/.csv: UTF-8 with or without BOM, UTF-16 with BOM, else GB 18030.
Images embedded in documents are not looked at.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath


class UnreadableAttachment(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Extracted:
    text: str
    gaps: tuple[str, ...] = field(default=())


_LEGACY = {".doc": ".docx", ".wps": ".docx", ".xls": ".xlsx", ".et": ".xlsx"}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def extension(filename: str) -> str:
    return PurePosixPath(filename.replace("\\", "/")).suffix.lower()


def extract_text(filename: str, data: bytes) -> Extracted:
    ext = extension(filename)
    reader = _READERS.get(ext)
    if reader is None:
        if ext in _LEGACY:
            raise UnreadableAttachment(
                f"legacy {ext} format cannot be scanned; convert it to {_LEGACY[ext]}")
        if not ext:
            raise UnreadableAttachment("file has no extension; type unknown")
        raise UnreadableAttachment(f"unsupported file type {ext}")
    if not data:
        raise UnreadableAttachment("file is empty")
    return reader(data)


# --- .docx -----------------------------------------------------------------------------

def _docx(data: bytes) -> Extracted:
    if data.startswith(_OLE_MAGIC):
        raise UnreadableAttachment(
            "not a .docx package (password-protected, or a legacy .doc renamed)")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnreadableAttachment("not a valid .docx file (not a zip package)")
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        _docx_blocks(document, lines)
        _docx_text_boxes(document.element.body, lines)
        for section in document.sections:
            for part in (section.header, section.first_page_header, section.even_page_header,
                         section.footer, section.first_page_footer, section.even_page_footer):
                if not part.is_linked_to_previous:
                    _docx_blocks(part, lines)
                    _docx_text_boxes(part._element, lines)
    except UnreadableAttachment:
        raise
    except Exception as exc:  # python-docx/lxml raise many types on damaged packages
        raise UnreadableAttachment(f"damaged .docx file ({type(exc).__name__}: {exc})") from exc
    return Extracted("\n".join(lines))


def _docx_blocks(container, lines: list[str]) -> None:
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            seen = set()
            for row in block.rows:
                cells = []
                for cell in row.cells:
                    if cell._tc in seen:  # a merged cell repeats over its columns and rows
                        cells.append("")
                        continue
                    seen.add(cell._tc)
                    inner: list[str] = []
                    _docx_blocks(cell, inner)
                    cells.append(" ".join(inner))
                lines.append("\t".join(cells))
        else:
            lines.append(block.text)


def _docx_text_boxes(element, lines: list[str]) -> None:
    """Text boxes (a 红头 title, a stamp-like marking) are not in python-docx's text."""
    from docx.oxml.ns import qn

    seen = set()
    for box in element.iter(qn("w:txbxContent")):
        text = "\n".join("".join(t.text or "" for t in p.iter(qn("w:t")))
                         for p in box.iter(qn("w:p")))
        if text.strip() and text not in seen:  # Word stores a box twice (DrawingML + VML)
            seen.add(text)
            lines.append(text)


# --- .xlsx -----------------------------------------------------------------------------

def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime) and not (value.hour or value.minute or value.second):
        return value.date().isoformat()
    return str(value)


def _xlsx(data: bytes) -> Extracted:
    if data.startswith(_OLE_MAGIC):
        raise UnreadableAttachment(
            "not an .xlsx package (password-protected, or a legacy .xls renamed)")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnreadableAttachment("not a valid .xlsx file (not a zip package)")
    try:
        import openpyxl

        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        lines: list[str] = []
        try:
            for sheet in workbook.worksheets:
                lines.append(sheet.title)
                for row in sheet.iter_rows(values_only=True):
                    cells = [_cell(v) for v in row]
                    while cells and not cells[-1]:
                        cells.pop()
                    if cells:
                        lines.append("\t".join(cells))
        finally:
            workbook.close()
    except Exception as exc:
        raise UnreadableAttachment(f"damaged .xlsx file ({type(exc).__name__}: {exc})") from exc
    return Extracted("\n".join(lines))


# --- .pdf ------------------------------------------------------------------------------

def _pdf(data: bytes) -> Extracted:
    if b"%PDF-" not in data[:1024]:  # readers accept a header within the first 1 KB
        raise UnreadableAttachment("not a PDF file (no %PDF header)")
    try:
        import pypdf

        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            # An owner password alone still lets anyone open the file: try the empty one.
            try:
                opened = reader.decrypt("")
            except Exception as exc:
                raise UnreadableAttachment(
                    f"encrypted PDF ({type(exc).__name__}: {exc})") from exc
            if not opened:
                raise UnreadableAttachment("encrypted PDF (needs a password)")
        pages = []
        empty = []
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            if not text.strip():
                empty.append(number)
            pages.append(text)
    except UnreadableAttachment:
        raise
    except Exception as exc:
        raise UnreadableAttachment(f"damaged PDF ({type(exc).__name__}: {exc})") from exc
    if not pages:
        raise UnreadableAttachment("PDF has no pages")
    if len(empty) == len(pages):
        raise UnreadableAttachment("PDF has no text layer (scanned images?); check it by eye")
    gaps = ()
    if empty:
        listed = ", ".join(str(n) for n in empty[:20]) + (" …" if len(empty) > 20 else "")
        gaps = (f"PDF pages without a text layer (scanned images?): {listed}",)
    return Extracted("\n".join(pages), gaps)


# --- .txt ------------------------------------------------------------------------------

def _txt(data: bytes) -> Extracted:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            raise UnreadableAttachment("binary content in a text file")
        return Extracted(text)
    raise UnreadableAttachment(f"text file in an unknown encoding (tried {', '.join(encodings)})")


_READERS = {".docx": _docx, ".xlsx": _xlsx, ".xlsm": _xlsx, ".pdf": _pdf, ".txt": _txt,
            ".csv": _txt}
