"""The outcome of an application: one code per result row of table 三 of the annual report
(国办公开办函〔2021〕30号), its group, the rows in the format's order, and the legal
basis and wording a reply for it rests on.

Articles are those of 《中华人民共和国政府信息公开条例》 (2019 revision, 国务院令第711号).
The row labels and the legal texts are fixed wording of the report format and of the law:
they are printed in Chinese whatever language the person uses, so they are plain strings;
only the codes' labels, shown in the user interface, are translatable.
"""

from typing import NamedTuple

from django.db import models
from django.utils.translation import gettext_lazy as _

REGULATION = "《中华人民共和国政府信息公开条例》"


class Outcome(models.TextChoices):
    DISCLOSED = "disclosed", _("予以公开")
    PARTLY_DISCLOSED = "partly_disclosed", _("部分公开")
    WITHHELD_STATE_SECRET = "withheld_state_secret", _("属于国家秘密")
    WITHHELD_PROHIBITED_BY_LAW = "withheld_prohibited_by_law", _("其他法律行政法规禁止公开")
    WITHHELD_THREE_SECURITIES = "withheld_three_securities", _("危及“三安全一稳定”")
    WITHHELD_THIRD_PARTY = "withheld_third_party", _("保护第三方合法权益")
    WITHHELD_INTERNAL_AFFAIRS = "withheld_internal_affairs", _("属于三类内部事务信息")
    WITHHELD_PROCESS_INFO = "withheld_process_info", _("属于四类过程性信息")
    WITHHELD_ENFORCEMENT_FILE = "withheld_enforcement_file", _("属于行政执法案卷")
    WITHHELD_QUERY_MATTER = "withheld_query_matter", _("属于行政查询事项")
    UNABLE_NOT_HELD = "unable_not_held", _("本机关不掌握相关政府信息")
    UNABLE_NEEDS_CREATION = "unable_needs_creation", _("没有现成信息需要另行制作")
    UNABLE_UNCLEAR = "unable_unclear", _("补正后申请内容仍不明确")
    NOT_PROCESSED_PETITION = "not_processed_petition", _("信访举报投诉类申请")
    NOT_PROCESSED_REPEAT = "not_processed_repeat", _("重复申请")
    NOT_PROCESSED_PUBLICATION = "not_processed_publication", _("要求提供公开出版物")
    NOT_PROCESSED_EXCESSIVE = "not_processed_excessive", _("无正当理由大量反复申请")
    NOT_PROCESSED_CONFIRMATION = "not_processed_confirmation", _(
        "要求行政机关确认或重新出具已获取信息")
    OTHER_NO_CORRECTION = "other_no_correction", _(
        "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请")
    OTHER_NO_FEE = "other_no_fee", _(
        "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请")
    OTHER = "other", _("其他")


class OutcomeGroup(models.TextChoices):
    """The first-level result rows of table 三; a reply letter is worded per group."""

    DISCLOSED = "disclosed", _("予以公开")
    PARTLY = "partly", _("部分公开")
    WITHHELD = "withheld", _("不予公开")
    UNABLE = "unable", _("无法提供")
    NOT_PROCESSED = "not_processed", _("不予处理")
    OTHER = "other", _("其他处理")


class Table3Row(NamedTuple):
    """One printed row of 三、本年度办理结果. A group heading has no outcome (its figure is
    the sum of the rows under it); (一) and (二) are rows of their own."""

    label: str
    outcome: str | None
    group: str
    is_heading: bool = False


# (group, its heading row or None, its rows) in the format's order.
_TABLE3 = [
    (OutcomeGroup.DISCLOSED, None, [("（一）予以公开", Outcome.DISCLOSED)]),
    (OutcomeGroup.PARTLY, None, [
        ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", Outcome.PARTLY_DISCLOSED)]),
    (OutcomeGroup.WITHHELD, "（三）不予公开", [
        ("1.属于国家秘密", Outcome.WITHHELD_STATE_SECRET),
        ("2.其他法律行政法规禁止公开", Outcome.WITHHELD_PROHIBITED_BY_LAW),
        ("3.危及“三安全一稳定”", Outcome.WITHHELD_THREE_SECURITIES),
        ("4.保护第三方合法权益", Outcome.WITHHELD_THIRD_PARTY),
        ("5.属于三类内部事务信息", Outcome.WITHHELD_INTERNAL_AFFAIRS),
        ("6.属于四类过程性信息", Outcome.WITHHELD_PROCESS_INFO),
        ("7.属于行政执法案卷", Outcome.WITHHELD_ENFORCEMENT_FILE),
        ("8.属于行政查询事项", Outcome.WITHHELD_QUERY_MATTER)]),
    (OutcomeGroup.UNABLE, "（四）无法提供", [
        ("1.本机关不掌握相关政府信息", Outcome.UNABLE_NOT_HELD),
        ("2.没有现成信息需要另行制作", Outcome.UNABLE_NEEDS_CREATION),
        ("3.补正后申请内容仍不明确", Outcome.UNABLE_UNCLEAR)]),
    (OutcomeGroup.NOT_PROCESSED, "（五）不予处理", [
        ("1.信访举报投诉类申请", Outcome.NOT_PROCESSED_PETITION),
        ("2.重复申请", Outcome.NOT_PROCESSED_REPEAT),
        ("3.要求提供公开出版物", Outcome.NOT_PROCESSED_PUBLICATION),
        ("4.无正当理由大量反复申请", Outcome.NOT_PROCESSED_EXCESSIVE),
        ("5.要求行政机关确认或重新出具已获取信息", Outcome.NOT_PROCESSED_CONFIRMATION)]),
    (OutcomeGroup.OTHER, "（六）其他处理", [
        ("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
         Outcome.OTHER_NO_CORRECTION),
        ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
         Outcome.OTHER_NO_FEE),
        ("3.其他", Outcome.OTHER)]),
]

TABLE3_ROWS: list[Table3Row] = [
    row
    for group, heading, rows in _TABLE3
    for row in ([Table3Row(heading, None, group, True)] if heading else [])
    + [Table3Row(label, outcome, group) for label, outcome in rows]
]
# Not an outcome: the report sums (一) to (六) into it.
TABLE3_TOTAL_LABEL = "（七）总计"

OUTCOME_GROUP: dict[str, str] = {
    row.outcome: row.group for row in TABLE3_ROWS if row.outcome is not None}


def grouped_choices() -> list:
    """The outcomes as choices under their group's name, for a select with optgroups."""
    return [(group.label, [(code, Outcome(code).label) for code in Outcome.values
                           if OUTCOME_GROUP[code] == group])
            for group in OutcomeGroup]


def _art(text: str) -> str:
    return f"{REGULATION}{text}"


# The article(s) a reply with this outcome rests on, as printed after “根据”. The handler may
# write another basis; this is what the reply form offers first.
DEFAULT_BASIS: dict[str, str] = {
    # 36(一) already public: how to obtain it; 36(二) can be disclosed: provided.
    Outcome.DISCLOSED: _art("第三十六条第（一）项、第（二）项"),
    # 37: what can be separated is provided, the rest is withheld with reasons (36(三)).
    Outcome.PARTLY_DISCLOSED: _art("第三十七条、第三十六条第（三）项"),
    # 14: state secrets, disclosure forbidden by law or administrative regulation, and
    # endangering national, public, economic security or social stability.
    Outcome.WITHHELD_STATE_SECRET: _art("第十四条"),
    Outcome.WITHHELD_PROHIBITED_BY_LAW: _art("第十四条"),
    Outcome.WITHHELD_THREE_SECURITIES: _art("第十四条"),
    # 15: trade secrets and personal privacy; 32: the third party was consulted.
    Outcome.WITHHELD_THIRD_PARTY: _art("第十五条、第三十二条"),
    # 16(1): personnel, logistics and internal procedures.
    Outcome.WITHHELD_INTERNAL_AFFAIRS: _art("第十六条第一款"),
    # 16(2): discussion records, drafts, consultation letters, requests for instructions;
    # the same paragraph covers law-enforcement case files.
    Outcome.WITHHELD_PROCESS_INFO: _art("第十六条第二款"),
    Outcome.WITHHELD_ENFORCEMENT_FILE: _art("第十六条第二款"),
    # Unsure: the 2019 regulation has no article named 行政查询; replies commonly rest on
    # 36(七) (registration records such as 工商、不动产登记资料 that a special law makes
    # obtainable through its own query procedure). Check with the agency's legal office.
    Outcome.WITHHELD_QUERY_MATTER: _art("第三十六条第（七）项"),
    # 36(四) does not exist; 36(五) not this agency's to disclose. `default_basis` picks
    # the one that applies when the competent agency is known.
    Outcome.UNABLE_NOT_HELD: _art("第三十六条第（四）项、第（五）项"),
    # 38: only information already made or obtained; no processing or analysis.
    Outcome.UNABLE_NEEDS_CREATION: _art("第三十八条"),
    # 30: the one correction notice; the regulation has no separate article for “still
    # unclear after correction”, and 30 is what replies cite.
    Outcome.UNABLE_UNCLEAR: _art("第三十条"),
    Outcome.NOT_PROCESSED_PETITION: _art("第三十九条第一款"),
    Outcome.NOT_PROCESSED_REPEAT: _art("第三十六条第（六）项"),
    Outcome.NOT_PROCESSED_PUBLICATION: _art("第三十九条第二款"),
    Outcome.NOT_PROCESSED_EXCESSIVE: _art("第三十五条"),
    # Unsure: no article of the 2019 regulation names this case. A request to confirm or
    # re-issue information the applicant already holds is not a request for government
    # information as 第二条 defines it (国办发〔2010〕5号 said so under the 2007 text).
    Outcome.NOT_PROCESSED_CONFIRMATION: _art("第二条"),
    Outcome.OTHER_NO_CORRECTION: _art("第三十条"),
    # 42 and the fee rules' own provision that non-payment counts as abandonment.
    Outcome.OTHER_NO_FEE: _art("第四十二条")
    + "、《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）",
    Outcome.OTHER: "",
}


def default_basis(outcome: str, *, competent_agency: str = "") -> str:
    """The basis a reply offers for `outcome`; for information that is not this agency's
    (a competent agency named) only 36(五), for information that does not exist 36(四)."""
    if outcome == Outcome.UNABLE_NOT_HELD:
        return _art("第三十六条第（五）项" if competent_agency else "第三十六条第（四）项")
    return DEFAULT_BASIS[outcome]


class Wording(NamedTuple):
    """What a reply states: the finding (经审查，…) and the decision (本机关…), each a
    clause without final punctuation."""

    finding: str
    decision: str


# The reply letters' legal wording, after the regulation's own phrases (Art. 36 and the
# articles above).
OUTCOME_WORDING: dict[str, Wording] = {
    Outcome.DISCLOSED: Wording(
        "经审查，您申请获取的政府信息属于可以公开的政府信息",
        "本机关予以公开"),
    Outcome.PARTLY_DISCLOSED: Wording(
        "经审查，您申请获取的政府信息中含有不应当公开或者不属于政府信息的内容，但能够作区分处理",
        "本机关向您提供可以公开的政府信息内容，对不予公开的内容说明理由"),
    Outcome.WITHHELD_STATE_SECRET: Wording(
        "经审查，您申请获取的政府信息属于依法确定为国家秘密的政府信息",
        "本机关决定不予公开"),
    Outcome.WITHHELD_PROHIBITED_BY_LAW: Wording(
        "经审查，您申请获取的政府信息属于法律、行政法规禁止公开的政府信息",
        "本机关决定不予公开"),
    Outcome.WITHHELD_THREE_SECURITIES: Wording(
        "经审查，您申请获取的政府信息公开后可能危及国家安全、公共安全、经济安全、社会稳定",
        "本机关决定不予公开"),
    Outcome.WITHHELD_THIRD_PARTY: Wording(
        "经审查，您申请获取的政府信息涉及商业秘密、个人隐私等，公开会对第三方合法权益造成损害",
        "本机关决定不予公开"),
    Outcome.WITHHELD_INTERNAL_AFFAIRS: Wording(
        "经审查，您申请获取的政府信息属于行政机关的内部事务信息"
        "（人事管理、后勤管理、内部工作流程等方面的信息）",
        "本机关决定不予公开"),
    Outcome.WITHHELD_PROCESS_INFO: Wording(
        "经审查，您申请获取的政府信息属于行政机关在履行行政管理职能过程中形成的讨论记录、过程稿、"
        "磋商信函、请示报告等过程性信息",
        "本机关决定不予公开"),
    Outcome.WITHHELD_ENFORCEMENT_FILE: Wording(
        "经审查，您申请获取的政府信息属于行政执法案卷信息",
        "本机关决定不予公开"),
    Outcome.WITHHELD_QUERY_MATTER: Wording(
        "经审查，您申请获取的信息属于行政查询事项，有关法律、行政法规对该信息的获取有特别规定",
        "本机关不作为政府信息公开申请提供，请您依照有关法律、行政法规的规定办理"),
    Outcome.UNABLE_NOT_HELD: Wording(
        "经检索，本机关不掌握您申请获取的政府信息",
        "本机关无法提供"),
    Outcome.UNABLE_NEEDS_CREATION: Wording(
        "经审查，本机关没有您申请获取的现成信息，"
        "提供该信息需要对现有政府信息进行加工、分析或者另行制作",
        "本机关不予提供"),
    Outcome.UNABLE_UNCLEAR: Wording(
        "经审查，您补正后的申请内容仍不明确，本机关无法确定您所申请的政府信息",
        "本机关无法提供"),
    Outcome.NOT_PROCESSED_PETITION: Wording(
        "经审查，您以政府信息公开申请的形式进行信访、投诉、举报等活动",
        "本机关不作为政府信息公开申请处理，您可以通过信访、投诉、举报等相应渠道提出"),
    Outcome.NOT_PROCESSED_REPEAT: Wording(
        "经审查，本机关已就您提出的政府信息公开申请作出答复，您重复申请公开相同政府信息",
        "本机关不予重复处理"),
    Outcome.NOT_PROCESSED_PUBLICATION: Wording(
        "经审查，您申请获取的是政府公报、报刊、书籍等公开出版物",
        "本机关不作为政府信息公开申请处理，并告知您获取的途径"),
    Outcome.NOT_PROCESSED_EXCESSIVE: Wording(
        "经审查，您申请公开政府信息的数量、频次明显超过合理范围，"
        "经本机关要求说明理由，本机关认为申请理由不合理",
        "本机关不予处理"),
    Outcome.NOT_PROCESSED_CONFIRMATION: Wording(
        "经审查，您的申请是要求本机关确认或者重新出具您已获取的信息，不属于申请获取政府信息",
        "本机关不作为政府信息公开申请处理"),
    Outcome.OTHER_NO_CORRECTION: Wording(
        "本机关已一次性告知您作出补正，您无正当理由逾期未补正，视为放弃申请",
        "本机关不再处理您的该政府信息公开申请"),
    Outcome.OTHER_NO_FEE: Wording(
        "本机关已向您发出收费通知，您逾期未按收费通知要求缴纳信息处理费，视为放弃申请",
        "本机关不再处理您的该政府信息公开申请"),
    Outcome.OTHER: Wording(
        "经审查，本机关对您的政府信息公开申请作出处理",
        "处理情况如下"),
}
