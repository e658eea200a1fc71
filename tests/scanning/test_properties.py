"""Property-based: generated personal data in random Chinese text is found exactly."""

import html

from hypothesis import given, settings
from hypothesis import strategies as st

from scanning.detectors import PERSONAL_DATA_KINDS
from scanning.engine import Scanner
from scanning.masking import apply_masks, mask_bank_card, mask_id, mask_mobile
from tests.scanning.helpers import FILLER, card_numbers, id_numbers, mobile_numbers, spaced

SCANNER = Scanner()


def personal(findings):
    return [f for f in findings if f.kind in PERSONAL_DATA_KINDS]


@st.composite
def written_numbers(draw):
    """(kind, the number as written) in the forms people write them."""
    kind = draw(st.sampled_from(["id_number", "bank_card", "mobile"]))
    if kind == "id_number":
        number = draw(id_numbers())
        if number.endswith("X") and draw(st.booleans()):
            number = number[:-1] + "x"
        return kind, number
    if kind == "bank_card":
        number = draw(card_numbers())
        return kind, draw(st.sampled_from([number, spaced(number, [4, 4, 4, 4])]))
    number = draw(mobile_numbers())
    return kind, draw(st.sampled_from([
        number, f"{number[:3]}-{number[3:7]}-{number[7:]}", spaced(number, [3, 4, 4]),
        "+86" + number, "+86 " + number, "0086-" + number]))


@settings(max_examples=300)
@given(written_numbers(), FILLER, FILLER)
def test_number_in_random_chinese_text_is_found_at_its_position(written, before, after):
    kind, number = written
    text = before + number + after
    found = personal(SCANNER.scan_text(text, "body"))
    assert [(f.kind, f.start, f.end, f.text) for f in found] == [
        (kind, len(before), len(before) + len(number), number)]
    expected = "warning" if kind == "mobile" else "blocking"
    assert found[0].severity == expected


@settings(max_examples=200)
@given(id_numbers(valid=False), FILLER, FILLER)
def test_id_with_wrong_check_digit_is_an_id_warning_with_its_mask(number, before, after):
    found = SCANNER.scan_text(before + number + after, "title")
    assert [(f.kind, f.severity, f.text, f.masked) for f in found] == [
        ("id_number", "warning", number, number[:2] + "*" * 13 + number[-3:])]


@settings(max_examples=200)
@given(id_numbers(), card_numbers(), mobile_numbers(), st.integers(1, 6), st.integers(1, 4),
       FILLER, FILLER)
def test_masked_forms_are_not_reported(id_number, card, mobile, keep_first, keep_last,
                                       before, after):
    other_id_mask = (id_number[:keep_first] + "*" * (18 - keep_first - keep_last)
                     + id_number[-keep_last:])
    text = "，".join([before, mask_id(id_number), other_id_mask, mask_bank_card(card),
                     mask_mobile(mobile), mobile[:3] + "****" + mobile[7:], after])
    assert personal(SCANNER.scan_text(text, "body")) == []


MARKUP = st.sampled_from(["<p>", "</p>", "<span>", "</span>", "<span class=\"x\">", "&nbsp;",
                          "&amp;", "<br>", "<br/>", "<b>", "</b>", "<div>", "</div>"])


@st.composite
def html_around(draw, number):
    """Filler text with random markup inserted, the number kept whole in the source."""
    def fragment():
        parts = draw(st.lists(st.one_of(FILLER, MARKUP), max_size=8))
        return "".join(parts)
    return fragment(), fragment()


@settings(max_examples=200)
@given(written_numbers(), st.data())
def test_positions_map_through_html_markup(written, data):
    kind, number = written
    before, after = data.draw(html_around(number))
    body = before + number + after
    found = personal(SCANNER.scan_html(body))
    assert [(f.kind, body[f.start:f.end]) for f in found] == [(kind, number)]
    assert found[0].start == len(before)


@settings(max_examples=100)
@given(mobile_numbers(), st.sampled_from(["b", "span", "em"]), FILLER)
def test_number_split_by_inline_tags_is_one_number_and_masks_around_them(mobile, tag, before):
    body = f"<p>{html.escape(before)}{mobile[:3]}<{tag}>{mobile[3:7]}</{tag}>{mobile[7:]}</p>"
    found = personal(SCANNER.scan_html(body))
    assert len(found) == 1 and found[0].kind == "mobile"
    assert found[0].text == f"{mobile[:3]}<{tag}>{mobile[3:7]}</{tag}>{mobile[7:]}"
    masked = apply_masks(body, found)
    assert f"{mobile[:3]}<{tag}>****</{tag}>{mobile[7:]}" in masked
    assert personal(SCANNER.scan_html(masked)) == []


@settings(max_examples=150)
@given(st.lists(written_numbers(), min_size=1, max_size=5), st.lists(FILLER, min_size=6,
                                                                       max_size=6))
def test_masking_everything_leaves_no_personal_data(numbers, fillers):
    text = fillers[0] + "".join(n + f + "，" for (_, n), f in zip(numbers, fillers[1:],
                                                                   strict=False))
    found = SCANNER.scan_text(text, "body")
    assert len(personal(found)) == len(numbers)
    masked = apply_masks(text, found)
    assert len(masked) == len(text)  # ID, card and mobile masks keep the length
    assert personal(SCANNER.scan_text(masked, "body")) == []


ANY_MARKUP = st.text(alphabet=st.one_of(
    st.characters(), st.sampled_from(list("<>&;#/=\"' 0123456789+-()*★秘密机内部资料@.x"))),
    max_size=200)


@settings(max_examples=300)
@given(ANY_MARKUP)
def test_any_input_scans_without_error_and_findings_point_at_their_text(source):
    for finding in SCANNER.scan_html(source) + SCANNER.scan_text(source, "title"):
        assert 0 <= finding.start < finding.end <= len(source)
        assert source[finding.start:finding.end] == finding.text
        if finding.masked is not None:
            apply_masks(source, [finding])
