"""The body sanitiser keeps Word/WPS tables, alignment and indents, nothing more."""

import pytest

from publications.services import sanitise_html


def test_table_with_merged_cells_is_kept():
    html = ('<table class="MsoTableGrid" border="1" cellpadding="0"><thead><tr>'
            '<th colspan="2">标题</th></tr></thead><tbody><tr><td rowspan="2">a</td>'
            '<td>b</td></tr><tr><td>c</td></tr></tbody></table>')
    out = sanitise_html(html)
    assert '<th colspan="2">标题</th>' in out
    assert '<td rowspan="2">a</td>' in out
    assert "<thead>" in out and "<tbody>" in out
    assert "MsoTableGrid" not in out and "cellpadding" not in out


def test_bad_colspan_is_dropped():
    out = sanitise_html('<table><tr><td colspan="999999">x</td><td colspan="x">y</td></tr></table>')
    assert "colspan" not in out


def test_text_align_and_indent_are_kept():
    out = sanitise_html('<p style="text-indent:2em;text-align:center">正文</p>')
    assert out == '<p style="text-indent:2em;text-align:center">正文</p>'


def test_other_style_properties_are_stripped():
    out = sanitise_html('<p style="color:red;position:fixed;text-align:justify;'
                        'font-family:宋体">x</p>')
    assert out == '<p style="text-align:justify">x</p>'


@pytest.mark.parametrize("style", [
    "text-align:expression(alert(1))",
    "text-indent:url(javascript:alert(1))",
    "text-align:}body{display:none",
    "text-indent:calc(1000000em)",
])
def test_invalid_values_are_stripped(style):
    out = sanitise_html(f'<p style="{style}">x</p>')
    assert out == "<p>x</p>"


def test_style_only_on_block_elements():
    assert sanitise_html('<span style="text-align:center">x</span>') == "<span>x</span>"
    assert sanitise_html('<img src="a.png" style="text-indent:2em">') == '<img src="a.png">'


def test_script_event_handlers_and_javascript_urls_still_stripped():
    out = sanitise_html('<p onclick="x()">a</p><script>alert(1)</script>'
                        '<img src="x" onerror="alert(1)"><a href="javascript:alert(1)">l</a>'
                        '<td onmouseover="x">')
    assert "script" not in out and "alert" not in out
    assert "onclick" not in out and "onerror" not in out and "javascript" not in out


def test_junk_after_a_valid_declaration_is_dropped():
    out = sanitise_html('<p style="text-align:center;}body{display:none">x</p>')
    assert out == '<p style="text-align:center">x</p>'
