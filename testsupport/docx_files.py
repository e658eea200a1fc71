"""Word files for the import tests, written with python-docx: a heading, a centred
paragraph, a first-line indent, a table with a merged cell and an image; and broken ones."""

import io
import struct
import zipfile
import zlib

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

TITLE = "关于2024年度住房保障资金分配情况的公示"


def png(width=2, height=2) -> bytes:
    """A small valid PNG (red pixels), without Pillow."""
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                              0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def word_document(*, image=True, table=True, rows=(), contact="") -> bytes:
    """`rows`: more (乡镇, 户数, 金额) rows of the table; `contact`: a last paragraph
    "联系人电话：…" (personal data the pre-scan finds)."""
    document = Document()
    document.add_heading(TITLE, level=1)
    document.add_heading("一、分配原则", level=2)
    centred = document.add_paragraph("温县住房和城乡建设局")
    centred.alignment = WD_ALIGN_PARAGRAPH.CENTER
    indented = document.add_paragraph("现将2024年度住房保障资金分配情况予以公示。")
    indented.paragraph_format.first_line_indent = Pt(32)
    if table:
        grid = document.add_table(rows=3 + len(rows), cols=3)
        grid.style = "Table Grid"
        merged = grid.cell(0, 0).merge(grid.cell(0, 2))
        merged.text = "资金分配表"
        for col, text in enumerate(("乡镇", "户数", "金额")):
            grid.cell(1, col).text = text
        for row, cells in enumerate((("城关镇", "12", "120万元"), *rows), start=2):
            for col, text in enumerate(cells):
                grid.cell(row, col).text = text
    if image:
        document.add_picture(io.BytesIO(png()))
    document.add_paragraph("公示期为5个工作日。")
    if contact:
        document.add_paragraph(f"联系人电话：{contact}")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_bomb() -> bytes:
    """A valid .docx whose document.xml inflates to more than the limits allow."""
    source = zipfile.ZipFile(io.BytesIO(word_document(image=False, table=False)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                data = data.replace(b"</w:body>", b"<w:p/>" * 2_000_000 + b"</w:body>")
            bomb.writestr(info.filename, data)
    return out.getvalue()


LEGACY_DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
