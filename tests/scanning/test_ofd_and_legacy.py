""".ofd text is read (a zip of XML, with the same limits); legacy Office files through
LibreOffice when `soffice` is on PATH, otherwise listed unscanned.

The installed path is tested with a fake `soffice` script written here (CI has no
LibreOffice), which converts the way the real one does: `--convert-to`, `--outdir`.
"""

import io
import os
import stat
import zipfile

import openpyxl
import pytest

from scanning.engine import Scanner
from scanning.extract import Limits, TooLarge, extract_text

ID = "11010519491231002X"
NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'
SCANNER = Scanner()


def ofd_bytes(pages, *, template=None):
    """An .ofd package: OFD.xml → Doc_0/Document.xml → one Content.xml per page, each
    page a list of text objects (lists of TextCode strings); None for an image-only page."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("OFD.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {NS} '
                         f'Version="1.1" DocType="OFD"><ofd:DocBody><ofd:DocInfo>'
                         f'<ofd:DocID>x</ofd:DocID></ofd:DocInfo>'
                         f'<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody>'
                         f'</ofd:OFD>')
        page_refs = "".join(f'<ofd:Page ID="{n + 10}" BaseLoc="Pages/Page_{n}/Content.xml"/>'
                            for n in range(len(pages)))
        templates = ('<ofd:TemplatePage ID="2" BaseLoc="Tpls/Tpl_0/Content.xml"/>'
                     if template else "")
        package.writestr("Doc_0/Document.xml", f'<ofd:Document {NS}><ofd:CommonData>'
                         f'<ofd:MaxUnitID>99</ofd:MaxUnitID>{templates}</ofd:CommonData>'
                         f'<ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>')

        def content(objects):
            layer = "".join(
                '<ofd:TextObject ID="1" Boundary="0 0 100 10" Font="3" Size="3.5">'
                + "".join(f'<ofd:TextCode X="0" Y="3">{code}</ofd:TextCode>' for code in codes)
                + "</ofd:TextObject>" for codes in objects)
            return (f'<ofd:Page {NS}><ofd:Content><ofd:Layer ID="5">{layer}'
                    f'<ofd:ImageObject ID="6" ResourceID="7" Boundary="0 0 1 1"/>'
                    f'</ofd:Layer></ofd:Content></ofd:Page>')
        for n, objects in enumerate(pages):
            package.writestr(f"Doc_0/Pages/Page_{n}/Content.xml", content(objects or []))
        if template:
            package.writestr("Doc_0/Tpls/Tpl_0/Content.xml", content(template))
    return out.getvalue()


def test_ofd_text_of_every_page_and_template_is_scanned():
    data = ofd_bytes([[["关于张三的公示"], ["身份证号：", ID]], [["第二页"]]],
                     template=[["秘密★1年"]])
    text = extract_text("公示.ofd", data).text
    assert text.splitlines() == ["关于张三的公示", f"身份证号：{ID}", "第二页", "秘密★1年"]
    result = SCANNER.scan(title="", body_html="", attachments=[("公示.ofd", data)])
    assert sorted((f.kind, f.text) for f in result.findings
                  if f.field == "attachment:公示.ofd") == [
        ("id_number", ID), ("secrecy_marking", "秘密★1年")]
    assert result.unscanned == []


def test_ofd_pages_without_text_are_listed_and_an_image_only_ofd_is_unscanned():
    result = SCANNER.scan(title="", body_html="", attachments=[
        ("mixed.ofd", ofd_bytes([[["正文"]], None])), ("scan.ofd", ofd_bytes([None, None]))])
    assert result.unscanned == [
        {"field": "attachment:mixed.ofd", "code": "partial",
         "reason": "OFD pages without text (scanned images?): 2"},
        {"field": "attachment:scan.ofd", "code": "unreadable",
         "reason": "OFD has no text (scanned images?); check it by eye"}]


def test_ofd_has_the_same_limits_as_office_packages():
    many = ofd_bytes([[["字"]] * 3000])
    with pytest.raises(TooLarge, match="more than 1000 XML elements"):
        extract_text("big.ofd", many, Limits(max_elements=1000))
    assert "字" in extract_text("big.ofd", many).text


def test_a_zip_that_is_not_an_ofd_is_unscanned():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("readme.txt", "hello")
    result = SCANNER.scan(title="", body_html="", attachments=[("x.ofd", out.getvalue())])
    assert result.unscanned[0]["reason"] == "not a valid .ofd file (no OFD.xml)"


# --- legacy Office through LibreOffice -------------------------------------------------

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600


@pytest.fixture
def no_soffice(monkeypatch, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


@pytest.mark.parametrize("name", ["纪要.doc", "纪要.wps", "名单.xls", "名单.et"])
def test_legacy_office_without_libreoffice_is_listed_unscanned(no_soffice, name):
    result = SCANNER.scan(title="", body_html="", attachments=[(name, OLE)])
    [entry] = result.unscanned
    assert entry["code"] == "unreadable"
    assert "LibreOffice is not installed" in entry["reason"]


def fake_soffice(tmp_path, monkeypatch, *, text=None, xlsx=None, hang=False, fail=False):
    """A `soffice` on PATH that writes `<outdir>/<stem>.<ext>` like the real converter."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    payload = tmp_path / "payload"
    if text is not None:
        payload.write_text(text, encoding="utf-8")
    if xlsx is not None:
        payload.write_bytes(xlsx)
    script = bin_dir / "soffice"
    script.write_text(f"""#!/bin/sh
echo "$@" > "{tmp_path}/args"
{"sleep 30" if hang else ""}
{"exit 1" if fail else ""}
while [ $# -gt 0 ]; do
  case "$1" in
    --convert-to) shift; target="$1" ;;
    --outdir) shift; outdir="$1" ;;
    -*) ;;
    *) source="$1" ;;
  esac
  shift
done
stem=$(basename "$source"); stem="${{stem%.*}}"
ext="${{target%%:*}}"
mkdir -p "$outdir"
cp "{payload}" "$outdir/$stem.$ext"
""")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return tmp_path / "args"


def test_legacy_doc_is_converted_by_libreoffice_and_scanned(tmp_path, monkeypatch):
    args = fake_soffice(tmp_path, monkeypatch, text=f"内部资料\n申请人身份证号：{ID}\n")
    result = SCANNER.scan(title="", body_html="", attachments=[("纪要.doc", OLE)])
    assert result.unscanned == []
    assert sorted(f.kind for f in result.findings if f.field == "attachment:纪要.doc") == [
        "id_number", "secrecy_marking"]
    called = args.read_text()
    assert "--headless" in called and "--convert-to txt:Text (encoded):UTF8" in called


def test_legacy_xls_is_converted_to_xlsx_and_read_with_the_limits(tmp_path, monkeypatch):
    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名", "身份证号"])
    workbook.active.append(["张三", ID])
    out = io.BytesIO()
    workbook.save(out)
    fake_soffice(tmp_path, monkeypatch, xlsx=out.getvalue())
    assert ID in extract_text("名单.et", OLE).text
    with pytest.raises(TooLarge):
        extract_text("名单.xls", OLE, Limits(max_elements=5))


def test_a_conversion_that_fails_or_hangs_is_unscanned(tmp_path, monkeypatch):
    fake_soffice(tmp_path, monkeypatch, fail=True)
    result = SCANNER.scan(title="", body_html="", attachments=[("坏.doc", OLE)])
    assert "could not be converted by LibreOffice" in result.unscanned[0]["reason"]


def test_a_conversion_past_the_time_limit_is_killed_and_too_large(tmp_path, monkeypatch):
    fake_soffice(tmp_path, monkeypatch, text="x", hang=True)
    result = SCANNER.scan_attachments([("慢.doc", OLE)], limits=Limits(max_seconds=0.5))
    assert result.unscanned[0]["code"] == "too_large"
