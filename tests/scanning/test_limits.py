"""Zip bombs and other files over the limits are "unscanned: too large", never clean.

Observed on main: a 60 KB .docx whose document.xml expands to ~40 MB of empty paragraphs
kept a web worker busy ~6 minutes at ~1.6 GB and was then reported clean.
"""

import io
import zipfile

import docx
import pytest

from scanning.engine import Scanner
from scanning.extract import Limits, TooLarge, extract_text
from scanning.sandbox import run_child

from .bombs import empty_paragraphs_bomb, lying_header_bomb

SCANNER = Scanner()


@pytest.fixture(scope="module")
def paragraphs_bomb():
    return empty_paragraphs_bomb()


@pytest.fixture(scope="module")
def lying_bomb():
    return lying_header_bomb()


def test_the_bombs_are_small_uploads(paragraphs_bomb, lying_bomb):
    assert len(paragraphs_bomb) < 200_000 and len(lying_bomb) < 200_000
    with zipfile.ZipFile(io.BytesIO(lying_bomb)) as package:
        assert package.getinfo("word/document.xml").file_size == 1000  # the lie


def test_empty_paragraphs_bomb_is_unscanned_too_large_not_clean(paragraphs_bomb):
    result = SCANNER.scan(title="", body_html="", attachments=[("bomb.docx", paragraphs_bomb)])
    assert result.unscanned == [{
        "field": "attachment:bomb.docx", "code": "too_large",
        "reason": "unscanned: too large (more than 1000000 XML elements)"}]


def test_lying_zip_header_is_measured_not_believed(lying_bomb):
    with pytest.raises(TooLarge, match="expands to more than 52428800 bytes"):
        extract_text("bomb.docx", lying_bomb)


def test_declared_size_over_the_limit_is_refused_before_inflating(paragraphs_bomb):
    with pytest.raises(TooLarge, match="declares .* bytes uncompressed"):
        extract_text("bomb.docx", paragraphs_bomb, Limits(max_bytes=10 * 1024 * 1024))


def test_limits_are_settings_per_call():
    document = docx.Document()
    for n in range(50):
        document.add_paragraph(f"第{n}段")
    out = io.BytesIO()
    document.save(out)
    assert "第49段" in extract_text("ok.docx", out.getvalue()).text
    with pytest.raises(TooLarge, match="more than 100 XML elements"):
        extract_text("ok.docx", out.getvalue(), Limits(max_elements=100))
    with pytest.raises(TooLarge, match="not read within"):
        extract_text("ok.docx", out.getvalue(), Limits(max_seconds=-1))


def test_a_dtd_in_a_package_is_refused():
    xml = (b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa">]>'
           b'<w:document xmlns:w="x"><w:body><w:p>&a;</w:p></w:body></w:document>')
    from .bombs import _docx_with

    result = SCANNER.scan(title="", body_html="", attachments=[("dtd.docx", _docx_with(xml))])
    assert result.unscanned[0]["code"] == "unreadable"
    assert "DTD" in result.unscanned[0]["reason"]


@pytest.mark.parametrize("bomb", ["paragraphs", "lying"])
def test_bombs_in_the_sandbox_stay_within_a_memory_bound(bomb, paragraphs_bomb, lying_bomb):
    """The worker's extractor: a child process under RLIMIT_AS, whose peak resident memory
    (getrusage in the child) stays far below what main used on this file (1.6 GB)."""
    data = paragraphs_bomb if bomb == "paragraphs" else lying_bomb
    with pytest.raises(TooLarge) as refused:
        run_child("bomb.docx", data, Limits(), memory_bytes=768 * 1024 * 1024)
    assert refused.value.code == "too_large"
    assert refused.value.peak_rss_kb < 100 * 1024
    extracted, peak_kb = run_child("fine.txt", "身份证号".encode(), Limits())
    assert extracted.text == "身份证号" and peak_kb < 100 * 1024


def test_a_child_that_runs_past_the_time_limit_is_killed_and_too_large(monkeypatch):
    import sys

    import scanning.sandbox

    monkeypatch.setattr(scanning.sandbox, "COMMAND",
                        [sys.executable, "-c", "import time; time.sleep(60)"])
    monkeypatch.setattr(scanning.sandbox, "STARTUP_SECONDS", 0)
    result = SCANNER.scan_attachments([("slow.txt", b"x")], limits=Limits(max_seconds=0.5),
                                      extractor=scanning.sandbox.extract_in_child)
    assert result.unscanned == [{"field": "attachment:slow.txt", "code": "too_large",
                                 "reason": "unscanned: too large (not read within 0.5 s)"}]
