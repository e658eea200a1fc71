"""Generators of valid personal data and small attachment files for the scanning tests."""

import datetime as dt
import io
import zlib

from hypothesis import assume
from hypothesis import strategies as st

from scanning.detectors import id18_status, id_check_char, luhn_ok

PROVINCES = ("11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
             "50 51 52 53 54 61 62 63 64 65").split()
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
PUNCTUATION = st.sampled_from(list("，。、；：“”（）《》！？ \n"))
# Right next to a number these make it an amount, a date part or a document number
# (tested on their own); random text must not put them there by chance.
CONTEXT_CHARS = set("元万亿块年月日号第")
FILLER = st.text(alphabet=st.one_of(CJK, PUNCTUATION).filter(lambda c: c not in CONTEXT_CHARS),
                 max_size=40)


def digits(n):
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


@st.composite
def id_numbers(draw, *, valid=True):
    """An 18-digit resident ID: real province, random county, birth date, sequence."""
    body = (draw(st.sampled_from(PROVINCES)) + draw(digits(4))
            + draw(st.dates(dt.date(1900, 1, 1), dt.date.today())).strftime("%Y%m%d")
            + draw(digits(3)))
    check = id_check_char(body)
    if not valid:
        check = draw(st.sampled_from([c for c in "0123456789X" if c != check]))
    return body + check


def luhn_complete(body):
    for check in "0123456789":
        if luhn_ok(body + check):
            return body + check
    raise AssertionError("unreachable")


@st.composite
def card_numbers(draw):
    """A 16–19 digit Luhn-valid card number with a real issuer prefix (3, 4, 5, 6x)."""
    length = draw(st.integers(16, 19))
    prefix = draw(st.sampled_from(["62", "60", "4", "5", "3"]))
    number = luhn_complete(prefix + draw(digits(length - 1 - len(prefix))))
    assume(id18_status(number) is None)  # an ID-shaped 18-digit number is read as an ID
    return number


@st.composite
def mobile_numbers(draw):
    return "1" + draw(st.sampled_from("3456789")) + draw(digits(9))


def spaced(number, groups):
    out, i = [], 0
    for size in groups:
        out.append(number[i:i + size])
        i += size
    if i < len(number):
        out.append(number[i:])
    return " ".join(out)


def make_pdf(pages):
    """A minimal PDF whose pages show the given ASCII lines in Helvetica (None: blank page)."""
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>",
               3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}
    kids = []
    number = 4
    for lines in pages:
        page, content = number, number + 1
        number += 2
        kids.append(f"{page} 0 R")
        stream = b""
        if lines is not None:
            ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
            for line in lines:
                escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
                ops.append(f"({escaped}) Tj T*")
            ops.append("ET")
            stream = "\n".join(ops).encode("latin-1")
        stream = zlib.compress(stream)
        objects[page] = (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                         f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content} 0 R >>"
                         ).encode()
        objects[content] = (f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n"
                            .encode() + stream + b"\nendstream")
    objects[2] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for key in sorted(objects):
        offsets[key] = out.tell()
        out.write(f"{key} 0 obj\n".encode() + objects[key] + b"\nendobj\n")
    xref = out.tell()
    size = max(objects) + 1
    out.write(f"xref\n0 {size}\n0000000000 65535 f \n".encode())
    for key in range(1, size):
        out.write(f"{offsets[key]:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()
