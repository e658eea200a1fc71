"""HTML body → text with positions mapped back into the HTML source."""

from scanning.engine import Scanner
from scanning.text import html_to_text

SCANNER = Scanner()


def test_every_text_character_maps_into_the_source():
    source = "<p>甲&amp;乙&nbsp;丙&#20025;</p><div>丁<br/>戊</div>"
    mapped = html_to_text(source)
    assert mapped.text == "甲&乙\xa0丙丹\n丁\n戊\n"
    for i, char in enumerate(mapped.text):
        raw = source[mapped.starts[i]:mapped.ends[i]]
        assert raw == char or raw.startswith(("&", "<"))


def test_paragraphs_and_cells_do_not_run_together():
    assert SCANNER.scan_html("<p>内部</p><p>资料</p>") == []
    assert SCANNER.scan_html("<table><tr><td>1381234</td><td>5678</td></tr></table>") == []
    assert SCANNER.scan_html("<p>6222 0212</p><p>3456 7890 128</p>") == []


def test_inline_tags_do_not_split_words():
    found = SCANNER.scan_html("<p>内部<b>资料</b></p>")
    assert [(f.kind, f.text) for f in found] == [("secrecy_marking", "内部<b>资料")]


def test_entities_inside_a_number_map_to_the_whole_reference():
    body = "<p>手机&#49;38&#x31;2345678。</p>"
    [found] = SCANNER.scan_html(body)
    assert found.kind == "mobile" and found.text == "&#49;38&#x31;2345678"
    assert found.masked == "&#49;38****5678"


def test_script_style_and_comments_are_not_text():
    body = ("<script>var id='13812345678';</script><style>.a{content:'内部资料'}</style>"
            "<!-- 13812345678 --><p>正文</p>")
    assert SCANNER.scan_html(body) == []


def test_published_attributes_are_scanned_at_their_source_position():
    body = ('<p><a href="mailto:zhang@example.com">写信</a>'
            '<a href="tel:13812345678">电话</a>'
            '<img alt="身份证 11010519491231002X" src="a.png">'
            '<a href="/art/2024/3/1/art_1229_6222021234567890128.html">链接</a></p>')
    found = SCANNER.scan_html(body)
    assert [(f.kind, f.text) for f in found] == [
        ("email", "zhang@example.com"), ("mobile", "13812345678"),
        ("id_number", "11010519491231002X")]
    for f in found:
        assert body[f.start:f.end] == f.text


def test_unclosed_tags_and_stray_ampersands_are_tolerated():
    body = "<p>A & B <span>电话 13812345678 &unknown; 13912345678"
    found = SCANNER.scan_html(body)
    assert [body[f.start:f.end] for f in found] == ["13812345678", "13912345678"]
