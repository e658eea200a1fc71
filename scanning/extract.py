"""Text of an attachment, or the reason it cannot be read.

An attachment that cannot be read must never pass as clean: every failure (unknown
type, corrupt file, encrypted PDF, a PDF without a text layer, a file over the limits)
raises `UnreadableAttachment` with a reason a reviewer can act on. Parts of a readable file
that could not be read (PDF pages without text, e.g. a scanned annex) are listed in
`Extracted.gaps` next to the text of the rest.

Supported:
* .docx (python-docx): body paragraphs and tables in order, nested tables, text boxes,
  headers and footers; not footnotes or comments;
* .xlsx/.xlsm (openpyxl): every sheet, hidden ones too, sheet names and cell values;
  cells separated by tabs, rows by newlines;
* .ofd (GB/T 33190, the national e-document format: a zip of XML): the ``TextCode``
  elements of every page of every document, in page order;
* .pdf (pypdf): the text layer, page by page;
* .txt/.csv: UTF-8 with or without BOM, UTF-16 with BOM, else GB 18030;
* .doc/.wps/.xls/.et (legacy Office and WPS) only through LibreOffice (`soffice`) when it
  is installed (see `scanning.legacy`); otherwise listed unscanned.
Images embedded in documents are not looked at.

Limits (`Limits`): a small upload can expand enormously (a 60 KB .docx whose document.xml
is 40 MB of empty paragraphs). Before any reader parses a zip package (.docx, .xlsx,
.ofd) every member is decompressed as a stream and counted — the sizes the zip headers
declare are checked but never trusted — and every XML member is run through expat
counting elements and refusing DTDs (no entity expansion); readers check the deadline as
they go. Any limit hit raises `TooLarge` ("unscanned: too large"). These are cooperative
limits in the process that reads; `scanning.sandbox` adds the hard ones (address-space and
CPU limits, a wall-clock kill) around it in the worker.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from xml.parsers import expat

from .limits import (  # noqa: F401 (the exceptions and limits are part of this module's API)
    DEFAULT_LIMITS,
    PARTIAL,
    TOO_LARGE,
    UNREADABLE,
    Budget,
    Limits,
    TooLarge,
    UnreadableAttachment,
)


@dataclass(frozen=True)
class Extracted:
    text: str
    gaps: tuple[str, ...] = field(default=())


_LEGACY = {".doc": ".docx", ".wps": ".docx", ".xls": ".xlsx", ".et": ".xlsx"}
LEGACY_EXTENSIONS = frozenset(_LEGACY)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def extension(filename: str) -> str:
    return PurePosixPath(filename.replace("\\", "/")).suffix.lower()


def extract_text(filename: str, data: bytes, limits: Limits = DEFAULT_LIMITS) -> Extracted:
    ext = extension(filename)
    reader = _READERS.get(ext)
    if reader is None:
        if ext in _LEGACY:
            from .legacy import convert_legacy

            if not data:
                raise UnreadableAttachment("file is empty")
            converted_ext, converted = convert_legacy(ext, data, limits)
            return _READERS[converted_ext](converted, Budget(limits))
        if not ext:
            raise UnreadableAttachment("file has no extension; type unknown")
        raise UnreadableAttachment(f"unsupported file type {ext}")
    if not data:
        raise UnreadableAttachment("file is empty")
    return reader(data, Budget(limits))


# --- zip packages ----------------------------------------------------------------------

_CHUNK = 64 * 1024
_XML_SUFFIXES = (".xml", ".rels", ".vml")


class _RefusedXml(Exception):
    pass


def _refuse_dtd(*_args):
    raise _RefusedXml("XML with a DTD or entity declarations (refused, as defusedxml does)")


def xml_parser(budget: Budget):
    """An expat parser that counts elements against the budget and refuses DTDs."""
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd

    def start(_name, _attrs):
        budget.add_elements(1)
    parser.StartElementHandler = start
    return parser


def stream_member(data: bytes, info: zipfile.ZipInfo, budget: Budget):
    """The member's bytes in chunks, inflated here and counted against the budget.

    Not through zipfile's reader: it trusts the declared size (cutting a member off there)
    and at the end of the input flushes whatever zlib still holds, in one piece — for a
    bomb, hundreds of megabytes. Here input goes in small pieces with a bound on each
    output, and the CRC and the declared size are checked against what came out.
    """
    if info.flag_bits & 0x1:
        raise UnreadableAttachment("encrypted zip member (needs a password)")
    local = info.header_offset
    if data[local:local + 4] != b"PK\x03\x04":
        raise UnreadableAttachment(f"damaged zip package (no header for {info.filename})")
    name_length, extra_length = struct.unpack_from("<HH", data, local + 26)
    start = local + 30 + name_length + extra_length
    raw = memoryview(data)[start:start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        pieces = (bytes(raw[i:i + _CHUNK]) for i in range(0, len(raw), _CHUNK))
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        pieces = _inflate(raw)
    else:
        raise UnreadableAttachment(
            f"zip member {info.filename} uses an unsupported compression method")
    produced = 0
    crc = 0
    for chunk in pieces:
        produced += len(chunk)
        budget.add_bytes(len(chunk))
        budget.check()
        crc = zlib.crc32(chunk, crc)
        yield chunk
    if produced != info.file_size or crc != info.CRC:
        raise UnreadableAttachment(
            f"damaged zip package: {info.filename} holds {produced} bytes, "
            f"its header declares {info.file_size} (or its checksum differs)")


def _inflate(raw: memoryview):
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    for i in range(0, len(raw), 1024):
        pending = bytes(raw[i:i + 1024])
        while pending:
            chunk = inflater.decompress(pending, _CHUNK)
            pending = inflater.unconsumed_tail
            if chunk:
                yield chunk
            if inflater.eof:
                return
    while not inflater.eof:  # input used up; zlib may still hold output
        chunk = inflater.decompress(b"", _CHUNK)
        if not chunk:
            raise UnreadableAttachment("damaged zip package (a member is cut short)")
        yield chunk


def check_package(data: bytes, budget: Budget, kind: str) -> zipfile.ZipFile:
    """Open the zip package, and measure every member (bytes, XML elements) within limits."""
    if data.startswith(_OLE_MAGIC):
        raise UnreadableAttachment(
            f"not a {kind} package (password-protected, or a legacy file renamed)")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnreadableAttachment(f"not a valid {kind} file (not a zip package)")
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        members = package.infolist()
        declared = sum(info.file_size for info in members)
        if declared > budget.limits.max_bytes:
            raise TooLarge(f"declares {declared} bytes uncompressed, more than "
                           f"{budget.limits.max_bytes}")
        for info in members:
            if info.is_dir():
                continue
            if info.filename.lower().endswith(_XML_SUFFIXES):
                parser = xml_parser(budget)
                for chunk in stream_member(data, info, budget):
                    parser.Parse(chunk, False)
                parser.Parse(b"", True)
            else:
                for _chunk in stream_member(data, info, budget):
                    pass
    except UnreadableAttachment:
        raise
    except _RefusedXml as exc:
        raise UnreadableAttachment(f"damaged {kind} file ({exc})") from exc
    except Exception as exc:  # zipfile, zlib and expat raise many types on damaged files
        raise UnreadableAttachment(f"damaged {kind} file ({type(exc).__name__}: {exc})") from exc
    return package


# --- .docx -----------------------------------------------------------------------------

def _docx(data: bytes, budget: Budget) -> Extracted:
    check_package(data, budget, ".docx")
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        _docx_blocks(document, lines, budget)
        _docx_text_boxes(document.element.body, lines)
        for section in document.sections:
            for part in (section.header, section.first_page_header, section.even_page_header,
                         section.footer, section.first_page_footer, section.even_page_footer):
                if not part.is_linked_to_previous:
                    _docx_blocks(part, lines, budget)
                    _docx_text_boxes(part._element, lines)
    except UnreadableAttachment:
        raise
    except Exception as exc:  # python-docx/lxml raise many types on damaged packages
        raise UnreadableAttachment(f"damaged .docx file ({type(exc).__name__}: {exc})") from exc
    return Extracted("\n".join(lines))


def _docx_blocks(container, lines: list[str], budget: Budget) -> None:
    from docx.table import Table

    for count, block in enumerate(container.iter_inner_content()):
        if not count % 1000:
            budget.check()
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
                    _docx_blocks(cell, inner, budget)
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


def _xlsx(data: bytes, budget: Budget) -> Extracted:
    check_package(data, budget, ".xlsx")
    try:
        import openpyxl

        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        lines: list[str] = []
        try:
            for sheet in workbook.worksheets:
                lines.append(sheet.title)
                for count, row in enumerate(sheet.iter_rows(values_only=True)):
                    if not count % 1000:
                        budget.check()
                    cells = [_cell(v) for v in row]
                    while cells and not cells[-1]:
                        cells.pop()
                    if cells:
                        lines.append("\t".join(cells))
        finally:
            workbook.close()
    except UnreadableAttachment:
        raise
    except Exception as exc:
        raise UnreadableAttachment(f"damaged .xlsx file ({type(exc).__name__}: {exc})") from exc
    return Extracted("\n".join(lines))


# --- .ofd ------------------------------------------------------------------------------

def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _ofd_xml(package, name: str, budget: Budget, on_start=None, on_end=None, on_text=None):
    """Parse one member with the counting expat parser (already measured by check_package)."""
    parser = xml_parser(budget)
    count_start = parser.StartElementHandler

    def start(tag, attrs):
        count_start(tag, attrs)
        if on_start:
            on_start(_local(tag), attrs)
    parser.StartElementHandler = start
    if on_end:
        parser.EndElementHandler = lambda tag: on_end(_local(tag))
    if on_text:
        parser.CharacterDataHandler = on_text
    budget.elements = 0  # each member was counted once already; count this parse afresh
    with package.open(name) as member:
        while chunk := member.read(_CHUNK):
            parser.Parse(chunk, False)
            budget.check()
    parser.Parse(b"", True)


def _member(names: dict, base: str, location: str) -> str | None:
    """A path in an OFD package, relative to `base` (a folder) unless absolute."""
    location = location.strip().replace("\\", "/")
    path = location.lstrip("/") if location.startswith("/") else f"{base}{location}"
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part and part != ".":
            parts.append(part)
    return names.get("/".join(parts).lower())


def _ofd(data: bytes, budget: Budget) -> Extracted:
    package = check_package(data, budget, ".ofd")
    names = {info.filename.lower(): info.filename for info in package.infolist()}
    if "ofd.xml" not in names:
        raise UnreadableAttachment("not a valid .ofd file (no OFD.xml)")
    try:
        return _ofd_text(package, names, budget)
    except UnreadableAttachment:
        raise
    except Exception as exc:
        raise UnreadableAttachment(f"damaged .ofd file ({type(exc).__name__}: {exc})") from exc


def _ofd_text(package, names: dict, budget: Budget) -> Extracted:
    roots: list[str] = []
    current: list[str] | None = None

    def root_start(tag, _attrs):
        nonlocal current
        if tag == "DocRoot":
            current = []

    def root_end(tag):
        nonlocal current
        if tag == "DocRoot" and current is not None:
            roots.append("".join(current))
            current = None

    def root_text(text):
        if current is not None:
            current.append(text)
    _ofd_xml(package, names["ofd.xml"], budget, on_start=root_start, on_end=root_end,
             on_text=root_text)
    pages: list[str] = []
    for root in roots:
        document = _member(names, "", root)
        if document is None:
            raise UnreadableAttachment(f"damaged .ofd file (missing {root.strip()})")
        base = document.rpartition("/")[0] + "/" if "/" in document else ""
        locations: list[tuple[str, str]] = []  # (kind, path)

        def page_start(tag, attrs, base=base, locations=locations):
            if tag in ("Page", "TemplatePage") and attrs.get("BaseLoc"):
                found = _member(names, base, attrs["BaseLoc"])
                if found:
                    locations.append((tag, found))
        _ofd_xml(package, document, budget, on_start=page_start)
        pages.extend(path for tag, path in locations if tag == "Page")
        pages.extend(path for tag, path in locations if tag == "TemplatePage")
    if not pages:
        raise UnreadableAttachment("damaged .ofd file (no pages)")
    chunks: list[str] = []
    empty: list[int] = []
    for number, page in enumerate(pages, start=1):
        lines: list[list[str]] = []
        inside = {"code": False}

        def start(tag, _attrs, lines=lines, inside=inside):
            if tag == "TextObject":
                lines.append([])
            elif tag == "TextCode":
                inside["code"] = True
                if not lines:
                    lines.append([])

        def end(tag, inside=inside):
            if tag == "TextCode":
                inside["code"] = False

        def text(t, lines=lines, inside=inside):
            if inside["code"]:
                lines[-1].append(t)
        _ofd_xml(package, page, budget, on_start=start, on_end=end, on_text=text)
        page_text = "\n".join("".join(line) for line in lines if line)
        if not page_text.strip():
            empty.append(number)
        chunks.append(page_text)
    if len(empty) == len(chunks):
        raise UnreadableAttachment("OFD has no text (scanned images?); check it by eye")
    gaps = ()
    if empty:
        listed = ", ".join(str(n) for n in empty[:20]) + (" …" if len(empty) > 20 else "")
        gaps = (f"OFD pages without text (scanned images?): {listed}",)
    return Extracted("\n".join(chunks), gaps)


# --- .pdf ------------------------------------------------------------------------------

def _pdf(data: bytes, budget: Budget) -> Extracted:
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
            budget.check()
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

def _txt(data: bytes, budget: Budget) -> Extracted:
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


_READERS = {".docx": _docx, ".xlsx": _xlsx, ".xlsm": _xlsx, ".ofd": _ofd, ".pdf": _pdf,
            ".txt": _txt, ".csv": _txt}
