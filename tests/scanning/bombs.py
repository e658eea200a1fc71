"""Zip bombs, generated in the test: small uploads that expand to tens of megabytes."""

import io
import struct
import zipfile

import docx


def _docx_with(document_xml: bytes) -> bytes:
    """A real .docx package whose word/document.xml is replaced by `document_xml`."""
    plain = io.BytesIO()
    docx.Document().save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                data = document_xml
            target.writestr(info.filename, data)
    return out.getvalue()


_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
         b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
         b'<w:body>')
_TAIL = b"</w:body></w:document>"


def empty_paragraphs_bomb(megabytes=40) -> bytes:
    """~60 KB; document.xml expands to `megabytes` MB of empty paragraphs."""
    return _docx_with(_HEAD + b"<w:p/>" * (megabytes * 1024 * 1024 // 6) + _TAIL)


def lying_header_bomb(megabytes=60, declared=1000) -> bytes:
    """A .docx whose document.xml holds one paragraph of `megabytes` MB of spaces, while
    both zip headers (local and central) declare it `declared` bytes long."""
    xml = (_HEAD + b"<w:p><w:r><w:t xml:space=\"preserve\">" + b" " * (megabytes << 20)
           + b"</w:t></w:r></w:p>" + _TAIL)
    data = bytearray(_docx_with(xml))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as package:
        info = package.getinfo("word/document.xml")
        local = info.header_offset
    assert data[local:local + 4] == b"PK\x03\x04"
    struct.pack_into("<I", data, local + 22, declared)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46:central + 46 + name_length] == b"word/document.xml":
            struct.pack_into("<I", data, central + 24, declared)
            break
        central = data.find(b"PK\x01\x02", central + 4)
    else:
        raise AssertionError("central directory entry not found")
    return bytes(data)
