"""The detectors' rules, one behaviour per test (see scanning/detectors.py for the why)."""

import pytest

from scanning.detectors import id_check_char, luhn_ok
from scanning.engine import Finding, Scanner, WordList

SCANNER = Scanner(public_numbers=["0391-6172345", "(0391)6172300", "13900001111",
                                  "xxgk@example.gov.cn"])
ID_BODY = "41082319900307123"
ID = ID_BODY + id_check_char(ID_BODY)


def kinds(text, scanner=SCANNER):
    return [(f.kind, f.text, f.severity) for f in scanner.scan_text(text, "body")]


# --- ID numbers ------------------------------------------------------------------------

def test_valid_id_number_is_blocking():
    assert kinds(f"申请人身份证号：{ID}。") == [("id_number", ID, "blocking")]


def test_id_with_x_check_digit_in_either_case():
    body = "11010519491231002"
    assert id_check_char(body) == "X"
    assert kinds(f"身份证{body}X")[0][:2] == ("id_number", body + "X")
    assert kinds(f"身份证{body}x")[0][:2] == ("id_number", body + "x")


@pytest.mark.parametrize("number", [
    "990823199003071234",                          # no such region
    "410823199013071236",                          # month 13
    "410823" + "2999" + "0307123" + "5",           # born in the future
])
def test_not_an_id_number(number):
    assert [k for k in kinds(f"号码{number}号码") if k[0] == "id_number"] == []


def test_id_with_a_wrong_check_digit_is_a_warning_and_never_a_card():
    """Observed on main: 17 correct digits (with a real birth date) and a wrong 18th were
    neither reported nor masked."""
    for wrong in (ID[:-1] + next(c for c in "0123456789" if c != ID[-1]), ID[:-1] + "X"):
        if wrong == ID:
            continue
        assert kinds(f"号码{wrong}。") == [("id_number", wrong, "warning")]


def test_id_with_a_wrong_check_digit_is_masked_like_a_valid_one():
    from scanning.engine import Scanner

    wrong = ID[:-1] + next(c for c in "0123456789" if c != ID[-1])
    [finding] = Scanner().scan_text(f"身份证{wrong}", "title")
    assert finding.masked == wrong[:2] + "*" * 13 + wrong[-3:]
    assert "check digit wrong" in finding.detail


def test_legacy_15_digit_id_with_valid_birth_date():
    assert kinds("身份证410823900307123，") == [("id_number", "410823900307123", "blocking")]
    assert kinds("编号410823901307123，") == []  # month 13


def test_id_inside_a_longer_digit_run_is_not_reported():
    assert kinds(f"流水号9{ID}1") == []
    assert [k for k in kinds(f"流水号{ID}7") if k[0] == "id_number"] == []


def test_id_written_in_groups():
    written = f"{ID[:6]} {ID[6:14]} {ID[14:]}"
    assert kinds(f"身份证 {written} ") == [("id_number", written, "blocking")]


@pytest.mark.parametrize("masked", [
    "41*************123", "410823********1234", "4108231990****1234", "410823199003071***"])
def test_masked_ids_are_not_reported(masked):
    assert kinds(f"身份证号{masked}，") == []


def test_full_width_digits_are_read():
    full = ID.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    assert kinds(f"身份证{full}。") == [("id_number", full, "blocking")]


# --- phones ----------------------------------------------------------------------------

@pytest.mark.parametrize("written", [
    "13812345678", "138-1234-5678", "138 1234 5678", "+8613812345678", "+86 138 1234 5678",
    "0086-13812345678", "(+86)13812345678"])
def test_mobile_numbers_in_their_written_forms(written):
    assert kinds(f"联系电话：{written}；") == [("mobile", written, "warning")]


@pytest.mark.parametrize("written", [
    "0391-6172346", "(0391)6172346", "（0391）6172346", "0391 6172346", "010-12345678",
    "021-62345678", "03916172346", "01062345678"])
def test_landlines_with_area_code(written):
    assert kinds(f"电话{written}，") == [("landline", written, "warning")]


@pytest.mark.parametrize("written", ["0391-0234567", "019-12345678", "12-34567890",
                                     "03911234567"])
def test_not_landlines(written):
    assert kinds(f"编号{written}，") == []


@pytest.mark.parametrize("written", [
    "0391-6172345", "(0391)6172345", "0391 6172345", "03916172345", "（0391）6172300",
    "13900001111", "139-0000-1111", "+86 139 0000 1111"])
def test_agency_public_numbers_are_not_personal_data(written):
    assert kinds(f"监督电话：{written}。") == []


def test_public_number_without_area_code_matches_the_local_part():
    scanner = Scanner(public_numbers=["6172345"])
    assert kinds("电话0391-6172345", scanner) == []


def test_a_published_account_number_on_the_allow_list_is_not_a_card():
    scanner = Scanner(public_numbers=["6222 0212 3456 7890 128"])
    assert kinds("非税收入缴款账号：6222021234567890128", scanner) == []


def test_mobile_in_a_longer_digit_run_is_not_reported():
    assert kinds("订单号113812345678，") == []


# --- bank cards ------------------------------------------------------------------------

CARD = "6222021234567890128"  # Luhn valid, 19 digits


def test_luhn_valid_card_is_blocking_bare_and_grouped():
    assert kinds(f"账号{CARD}，") == [("bank_card", CARD, "blocking")]
    grouped = "6222 0212 3456 7890 128"
    assert kinds(f"卡号：{grouped}。") == [("bank_card", grouped, "blocking")]


def test_luhn_invalid_card_is_not_reported():
    assert kinds(f"账号{CARD[:-1]}9，") == []


def test_long_serial_starting_with_a_date_is_not_a_card():
    serial = next(f"2024030112304{x:03d}" for x in range(1000)
                  if luhn_ok(f"2024030112304{x:03d}"))
    assert kinds(f"流水号{serial}。") == []


def test_numbers_inside_urls_are_not_personal_data_but_ids_are():
    url = f"http://www.example.gov.cn/art/2024/3/1/art_1229_{CARD}.html"
    assert kinds(f"详见{url}。") == []
    assert kinds(f"见http://x.gov.cn/q?sfz={ID} 。")[0][0] == "id_number"


# --- exclusions ------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "合计13812345678元", "合计13812345678.50元", "合计 6222021234567890128 万元",
    "总投资138123456789012亿元", "￥6222021234567890128", "¥ 13812345678", "人民币13812345678",
    "温建〔2024〕13812345678号", "[2023]13812345678号", "第13812345678号", "比例0.13812345678",
    "13812345678.5吨", "13812345678%", "13812345678年",
    "2024年3月1日", "2024-03-01", "20240301", "2024.03.01", "2024/03/01 12:30",
])
def test_amounts_document_numbers_and_dates_are_not_personal_data(text):
    assert kinds(text) == []


# --- e-mail ----------------------------------------------------------------------------

def test_email_address_is_a_warning_and_public_ones_are_not_reported():
    assert kinds("邮箱：zhang.san_01@mail.example.com.cn。") == [
        ("email", "zhang.san_01@mail.example.com.cn", "warning")]
    assert kinds("信箱 xxgk@example.gov.cn") == []
    assert kinds("版本 a@b 或 @某人") == []


# --- secrecy markings ------------------------------------------------------------------

@pytest.mark.parametrize("text, marked", [
    ("秘密★1年\n关于……的通知", "秘密★1年"),
    ("机密★长期", "机密★长期"),
    ("绝密 ★ 10年", "绝密 ★ 10年"),
    ("★机密", "★机密"),
    ("本文件定为机密级", "机密级"),
    ("密级：秘密\n", "秘密"),
    ("秘密\n关于……", "秘密"),
    ("（机密）", "机密"),
    ("第一页 绝密。", "绝密"),
    ("内部资料 注意保存", "内部资料"),
    ("请注意保密", "注意保密"),
    ("不得外传", "不得外传"),
    ("仅供内部使用", "仅供内部使用"),
    ("此为内部文件", "内部文件"),
    ("内部参考，严禁外传", "内部参考"),
    ("秘 密★1年", "秘 密★1年"),
    ("内　部　资　料", "内　部　资　料"),
])
def test_secrecy_markings_are_blocking(text, marked):
    found = [f for f in SCANNER.scan_text(text, "body") if f.kind == "secrecy_marking"]
    assert (found[0].text, found[0].severity) == (marked, "blocking")
    assert found[0].masked is None


@pytest.mark.parametrize("text", [
    "涉及国家秘密、商业秘密、个人隐私的政府信息不予公开。",
    "工作人员应当保守工作秘密。",
    "国家秘密的密级分为绝密、机密、秘密三级。",
    "分为绝密级、机密级和秘密级",
    "不得泄露国家机密",
    "这是一个秘密。",
    "秘密通道已关闭",
])
def test_ordinary_words_are_not_markings(text):
    assert [f for f in SCANNER.scan_text(text, "body") if f.severity == "blocking"] == []
    assert [f for f in SCANNER.scan_text(text, "body") if f.kind == "secrecy_marking"] == []


def test_jimi_or_juemi_in_prose_is_a_warning():
    found = SCANNER.scan_text("关于加强机密文件管理的意见", "title")
    assert [(f.kind, f.text, f.severity) for f in found] == [
        ("secrecy_marking", "机密", "warning")]


# --- word lists ------------------------------------------------------------------------

def test_words_take_their_lists_severity_and_name():
    scanner = Scanner([WordList("拆迁", "blocking", ("补偿明细", "拆迁户")),
                       WordList("提示", "warning", ("补偿", "信访"))])
    found = scanner.scan_text("公布拆迁户补偿明细和信访人", "body")
    assert [(f.text, f.severity, f.detail) for f in found] == [
        ("拆迁户", "blocking", "拆迁"), ("补偿", "warning", "提示"),
        ("补偿明细", "blocking", "拆迁"), ("信访", "warning", "提示")]
    assert all(f.kind == "sensitive_word" and f.masked is None for f in found)


def test_a_word_in_two_lists_is_reported_for_each():
    scanner = Scanner([WordList("a", "warning", ("内参",)), WordList("b", "blocking", ("内参",))])
    assert sorted(f.detail for f in scanner.scan_text("内参", "t")) == ["a", "b"]


def test_word_list_severity_is_checked():
    with pytest.raises(ValueError):
        WordList("x", "high", ("a",))


def test_findings_are_sorted_by_field_then_start_and_frozen():
    scanner = Scanner([WordList("w", "warning", ("公示",))])
    result = scanner.scan(title="公示 13812345678", body_html="<p>13812345678 公示</p>")
    assert [(f.field, f.start) for f in result.findings] == sorted(
        (f.field, f.start) for f in result.findings)
    assert {f.field for f in result.findings} == {"title", "body"}
    with pytest.raises(AttributeError):
        result.findings[0].start = 3
    assert isinstance(result.findings[0], Finding)
