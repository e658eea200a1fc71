"""Masked forms, applying them to a title and to an HTML body, and re-scanning the result."""

from types import SimpleNamespace

import pytest

from scanning.detectors import PERSONAL_DATA_KINDS
from scanning.engine import Scanner
from scanning.masking import (
    apply_masks,
    mask_bank_card,
    mask_email,
    mask_id,
    mask_landline,
    mask_mobile,
)

SCANNER = Scanner()
ID = "35010219900307104X"


@pytest.mark.parametrize("mask, value, expected", [
    (mask_id, ID, "35*************04X"),
    (mask_id, "350102900307123", "35**********123"),
    (mask_id, "350102 19900307 104X", "35**** ******** *04X"),
    (mask_mobile, "13812341234", "138****1234"),
    (mask_mobile, "138-1234-5678", "138-****-5678"),
    (mask_mobile, "+86 138 1234 5678", "+86 138 **** 5678"),
    (mask_mobile, "0086-13812345678", "0086-138****5678"),
    (mask_bank_card, "6222021234567891234", "***************1234"),
    (mask_bank_card, "6222 0212 3456 7890", "**** **** **** 7890"),
    (mask_landline, "0391-6172345", "0391-*****45"),
    (mask_landline, "(0391)6172345", "(0391)*****45"),
    (mask_landline, "010-12345678", "010-******78"),
    (mask_landline, "03916172345", "0391*****45"),
    (mask_landline, "01062345678", "010******78"),
    (mask_email, "zhangsan@example.com", "z***@example.com"),
])
def test_masked_forms(mask, value, expected):
    assert mask(value) == expected


def personal(findings):
    return [f for f in findings if f.kind in PERSONAL_DATA_KINDS]


def test_apply_masks_on_a_title():
    title = f"关于张三（身份证{ID}，电话13812345678，邮箱zs@qq.com）的公示"
    masked = apply_masks(title, SCANNER.scan_text(title, "title"))
    assert masked == "关于张三（身份证35*************04X，电话138****5678，邮箱z***@qq.com）的公示"
    assert personal(SCANNER.scan_text(masked, "title")) == []


def test_apply_masks_on_html_keeps_the_markup():
    body = ('<p>申请人：张三&nbsp;身份证：<span class="id">' + ID + '</span></p>'
            '<table><tr><td>卡号</td><td>6222&nbsp;0212&nbsp;3456&nbsp;7890&nbsp;128</td></tr>'
            '<tr><td>电话</td><td>0391-2345678 转 8，手机 138<b>1234</b>5678</td></tr></table>'
            '<p><a href="mailto:zhangsan@example.com">zhangsan&#64;example.com</a></p>')
    found = SCANNER.scan_html(body)
    assert sorted(f.kind for f in found) == [
        "bank_card", "email", "email", "id_number", "landline", "mobile"]
    masked = apply_masks(body, found)
    assert masked == (
        '<p>申请人：张三&nbsp;身份证：<span class="id">35*************04X</span></p>'
        '<table><tr><td>卡号</td><td>****&nbsp;****&nbsp;****&nbsp;***0&nbsp;128</td></tr>'
        '<tr><td>电话</td><td>0391-*****78 转 8，手机 138<b>****</b>5678</td></tr></table>'
        '<p><a href="mailto:z***@example.com">z***@example.com</a></p>')
    assert personal(SCANNER.scan_html(masked)) == []


def test_apply_masks_only_uses_findings_of_the_given_field():
    result = SCANNER.scan(title="电话13812345678", body_html="<p>电话13912345678</p>")
    assert apply_masks("电话13812345678", result.findings, field="title") == "电话138****5678"


def test_apply_masks_skips_findings_without_mask_and_accepts_stored_rows():
    text = "内部资料 13812345678"
    rows = [SimpleNamespace(start=0, end=4, text="内部资料", masked=""),
            SimpleNamespace(start=5, end=16, text="13812345678", masked="138****5678")]
    assert apply_masks(text, rows) == "内部资料 138****5678"


def test_apply_masks_refuses_findings_from_other_content():
    finding = SCANNER.scan_text("电话13812345678", "title")[0]
    with pytest.raises(ValueError, match="scan again"):
        apply_masks("电话：13812345678", [finding])
