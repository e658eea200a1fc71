"""Outcome codes: exactly the 21 result rows of table 三, in the format's order, each with
the group it is summed under and the legal basis its reply offers."""

from applications.outcomes import (
    DEFAULT_BASIS,
    OUTCOME_GROUP,
    OUTCOME_WORDING,
    TABLE3_ROWS,
    Outcome,
    OutcomeGroup,
    default_basis,
    grouped_choices,
)

CODES = [
    "disclosed", "partly_disclosed",
    "withheld_state_secret", "withheld_prohibited_by_law", "withheld_three_securities",
    "withheld_third_party", "withheld_internal_affairs", "withheld_process_info",
    "withheld_enforcement_file", "withheld_query_matter",
    "unable_not_held", "unable_needs_creation", "unable_unclear",
    "not_processed_petition", "not_processed_repeat", "not_processed_publication",
    "not_processed_excessive", "not_processed_confirmation",
    "other_no_correction", "other_no_fee", "other",
]

# 三、本年度办理结果 of 国办公开办函〔2021〕30号, as printed.
FORMAT_ROWS = [
    "（一）予以公开",
    "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "（三）不予公开",
    "1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”",
    "4.保护第三方合法权益", "5.属于三类内部事务信息", "6.属于四类过程性信息",
    "7.属于行政执法案卷", "8.属于行政查询事项",
    "（四）无法提供",
    "1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确",
    "（五）不予处理",
    "1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物", "4.无正当理由大量反复申请",
    "5.要求行政机关确认或重新出具已获取信息",
    "（六）其他处理",
    "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "3.其他",
]


def test_there_are_exactly_the_21_outcome_codes():
    assert Outcome.values == CODES


def test_every_outcome_is_on_exactly_one_row_of_table_3_in_the_formats_order():
    assert [row.label for row in TABLE3_ROWS] == FORMAT_ROWS
    on_rows = [row.outcome for row in TABLE3_ROWS if row.outcome is not None]
    assert sorted(on_rows) == sorted(CODES) and len(on_rows) == len(set(on_rows))
    # the codes run in the same order as the rows
    assert on_rows == CODES


def test_group_headings_carry_no_outcome_and_head_their_groups_rows():
    headings = [row for row in TABLE3_ROWS if row.is_heading]
    assert [row.label for row in headings] == ["（三）不予公开", "（四）无法提供", "（五）不予处理",
                                               "（六）其他处理"]
    assert all(row.outcome is None for row in headings)
    current = None
    for row in TABLE3_ROWS:
        if row.is_heading:
            current = row.group
        elif row.label[0].isdigit():
            assert row.group == current, row.label


def test_each_outcomes_label_is_its_rows_wording():
    for row in TABLE3_ROWS:
        if row.outcome is not None:
            assert str(Outcome(row.outcome).label) in row.label, row.label


def test_each_outcome_belongs_to_one_group():
    assert set(OUTCOME_GROUP) == set(CODES)
    assert OUTCOME_GROUP["partly_disclosed"] == OutcomeGroup.PARTLY
    assert {code for code, group in OUTCOME_GROUP.items() if group == "withheld"} == {
        c for c in CODES if c.startswith("withheld_")}
    assert {code for code, group in OUTCOME_GROUP.items() if group == "not_processed"} == {
        c for c in CODES if c.startswith("not_processed_")}
    assert [code for group, choices in grouped_choices() for code, _label in choices] == CODES


def test_every_outcome_but_other_rests_on_an_article_of_the_regulation():
    for code in CODES:
        if code == "other":
            assert DEFAULT_BASIS[code] == ""
        else:
            assert DEFAULT_BASIS[code].startswith("《中华人民共和国政府信息公开条例》第"), code
    assert DEFAULT_BASIS["withheld_state_secret"].endswith("第十四条")
    assert DEFAULT_BASIS["withheld_third_party"].endswith("第十五条、第三十二条")
    assert DEFAULT_BASIS["withheld_process_info"].endswith("第十六条第二款")
    assert DEFAULT_BASIS["unable_needs_creation"].endswith("第三十八条")
    assert DEFAULT_BASIS["not_processed_petition"].endswith("第三十九条第一款")
    assert DEFAULT_BASIS["not_processed_repeat"].endswith("第三十六条第（六）项")
    assert DEFAULT_BASIS["not_processed_excessive"].endswith("第三十五条")


def test_not_held_cites_36_5_when_another_agency_is_competent_and_36_4_otherwise():
    assert default_basis("unable_not_held", competent_agency="某县自然资源局").endswith(
        "第三十六条第（五）项")
    assert default_basis("unable_not_held").endswith("第三十六条第（四）项")
    assert default_basis("withheld_state_secret", competent_agency="x") == DEFAULT_BASIS[
        "withheld_state_secret"]


def test_every_outcome_has_reply_wording():
    assert set(OUTCOME_WORDING) == set(CODES)
    assert all(w.finding and w.decision for w in OUTCOME_WORDING.values())
