"""Attachments of each type are read and scanned; one that cannot be read is reported."""

import io
import zipfile

import docx
import openpyxl
import pypdf
import pytest

from scanning.engine import Scanner
from scanning.extract import UnreadableAttachment, extract_text
from tests.scanning.helpers import make_pdf

ID = "11010519491231002X"
MOBILE = "13812345678"
CARD = "6222021234567890128"
SCANNER = Scanner()


def kinds(result, field):
    return sorted((f.kind, f.text) for f in result.findings if f.field == field)


def scan_one(name, data):
    return SCANNER.scan(title="", body_html="", attachments=[(name, data)])


def docx_bytes():
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "内部资料"
    document.add_paragraph("关于公租房分配结果的公示")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).text = "姓名"
    table.cell(0, 1).text = "身份证号"
    table.cell(1, 0).text = "张三"
    table.cell(1, 1).text = ID
    table.cell(0, 2).merge(table.cell(1, 2)).text = f"电话{MOBILE}"
    document.add_paragraph("以上名单公示7天。")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_bytes():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "公示名单"
    sheet.append(["序号", "姓名", "身份证号", "补贴（元）"])
    sheet.append([1, "张三", ID, 1200.5])
    hidden = workbook.create_sheet("备用")
    hidden.sheet_state = "hidden"
    # Excel keeps 15 significant digits, so card numbers are entered as text; an
    # 11-digit mobile fits in a number cell.
    hidden.append(["银行卡号", CARD, "手机", int(MOBILE)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_docx_paragraphs_tables_and_header_are_scanned():
    result = scan_one("名单.docx", docx_bytes())
    assert result.unscanned == []
    assert kinds(result, "attachment:名单.docx") == [
        ("id_number", ID), ("mobile", MOBILE), ("secrecy_marking", "内部资料")]


def test_docx_text_box_is_scanned():
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    paragraph = document.add_paragraph("正文")
    paragraph._p.append(parse_xml(
        f'<w:r {nsdecls("w")} xmlns:v="urn:schemas-microsoft-com:vml">'
        '<w:pict><v:shape><v:textbox><w:txbxContent>'
        '<w:p><w:r><w:t>秘密★1年</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape>'
        '</w:pict></w:r>'))
    out = io.BytesIO()
    document.save(out)
    result = scan_one("红头.docx", out.getvalue())
    assert kinds(result, "attachment:红头.docx") == [("secrecy_marking", "秘密★1年")]


def test_docx_merged_cell_is_read_once():
    text = extract_text("名单.docx", docx_bytes()).text
    assert text.count(MOBILE) == 1


def test_xlsx_all_sheets_including_hidden_ones_are_scanned():
    result = scan_one("名单.xlsx", xlsx_bytes())
    assert result.unscanned == []
    assert kinds(result, "attachment:名单.xlsx") == [
        ("bank_card", CARD), ("id_number", ID), ("mobile", MOBILE)]


def test_pdf_text_is_scanned_with_positions_into_the_extracted_text():
    data = make_pdf([[f"Applicant ID {ID}", f"Mobile {MOBILE}"], ["Card: " + CARD]])
    result = scan_one("scan.pdf", data)
    assert result.unscanned == []
    assert kinds(result, "attachment:scan.pdf") == [
        ("bank_card", CARD), ("id_number", ID), ("mobile", MOBILE)]
    text = extract_text("scan.pdf", data).text
    for f in result.findings:
        assert text[f.start:f.end] == f.text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_txt_in_common_encodings(encoding):
    content = f"秘密★1年\n申请人身份证号：{ID}，电话：{MOBILE}。\n"
    result = scan_one("名单.txt", content.encode(encoding))
    assert result.unscanned == []
    assert kinds(result, "attachment:名单.txt") == [
        ("id_number", ID), ("mobile", MOBILE), ("secrecy_marking", "秘密★1年")]


def encrypted_pdf():
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(make_pdf([["secret"]]))))
    writer.encrypt(user_password="geheim", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_without_document():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("hello.txt", "not a word document")
    return out.getvalue()


@pytest.mark.parametrize("name, data, reason", [
    ("garbage.pdf", bytes(range(256)) * 8, "not a PDF"),
    ("broken.pdf", b"%PDF-1.4\n" + bytes(range(256)) * 8, "damaged PDF"),
    ("scanned.pdf", make_pdf([None, None]), "no text layer"),
    ("locked.pdf", encrypted_pdf(), "encrypted PDF"),
    ("notzip.docx", "这不是压缩包".encode() * 50, "not a zip"),
    ("other.docx", zip_without_document(), "damaged .docx"),
    ("ole.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "password-protected"),
    ("notzip.xlsx", b"PK\x03\x04 broken", "not a zip"),
    ("other.xlsx", zip_without_document(), "damaged .xlsx"),
    ("binary.txt", b"MZ\x00\x03\x00\x00\x00" * 20, "binary"),
    ("undecodable.txt", b"\xff\xfe\xfd" * 3 + b"\x80\x80", "unknown encoding"),
    ("setup.exe", b"MZ\x90\x00", "unsupported file type .exe"),
    ("old.doc", b"\xd0\xcf\x11\xe0", "legacy .doc"),
    ("README", b"text", "no extension"),
    ("empty.pdf", b"", "empty"),
])
def test_unreadable_attachment_is_reported_as_unscanned(name, data, reason):
    if name == "undecodable.txt":
        data = b"\x81\x30" + b"\xa0" * 3  # neither UTF-8 nor GB 18030, no BOM
    result = scan_one(name, data)
    assert [u["field"] for u in result.unscanned] == [f"attachment:{name}"]
    assert reason in result.unscanned[0]["reason"]
    assert [f for f in result.findings if f.field == f"attachment:{name}"] == []
    with pytest.raises(UnreadableAttachment):
        extract_text(name, data)


def test_pdf_pages_without_text_are_reported_while_the_rest_is_scanned():
    result = scan_one("mixed.pdf", make_pdf([[f"ID {ID}"], None, None]))
    assert kinds(result, "attachment:mixed.pdf") == [("id_number", ID)]
    assert result.unscanned == [{
        "field": "attachment:mixed.pdf",
        "reason": "PDF pages without a text layer (scanned images?): 2, 3", "code": "partial"}]


def test_an_unreadable_attachment_does_not_stop_the_others():
    result = SCANNER.scan(title=f"公示{MOBILE}", body_html="<p>正文</p>", attachments=[
        ("a.exe", b"MZ"), ("b.txt", f"{ID}".encode()), ("c.pdf", b"junk")])
    assert [u["field"] for u in result.unscanned] == ["attachment:a.exe", "attachment:c.pdf"]
    assert [(f.field, f.kind) for f in result.findings] == [
        ("attachment:b.txt", "id_number"), ("title", "mobile")]


def test_a_reader_crash_is_reported_not_raised(monkeypatch):
    import scanning.extract

    def boom(data, budget):
        raise RuntimeError("bug")
    monkeypatch.setitem(scanning.extract._READERS, ".txt", boom)
    result = scan_one("a.txt", b"abc")
    assert result.unscanned == [{"field": "attachment:a.txt", "code": "unreadable",
                                 "reason": "could not be read (RuntimeError: bug)"}]
