"""The letters the system writes to applicants and third parties, as .docx.

Six kinds (`LetterKind`): the reply (答复书/告知书, worded per outcome group, Art. 36), the
correction notice (补正告知书, Art. 30), the extension notice (延期答复告知书, Art. 33),
the letter asking a third party's opinion (征求第三方意见书, Art. 32), the fee notice
(收费通知书, Art. 42 and 国办函〔2020〕109号) and the receipt of an online application
(申请回执, Art. 31).

Each letter is a title and a body in Django's template language over the variables of a
`LetterContext` (`TEMPLATE_VARIABLES`). The platform's wording is `DEFAULT_TEMPLATES`, in
code; a `LetterTemplate` row replaces it: a row of no agency for the whole platform, a
row of an agency for that agency only. `validate_template` refuses a template that would
not render or names a variable that does not exist, before it is saved.

Letters are Chinese legal documents: they are rendered in Chinese whatever language the
person asking for them uses, and their wording is not in the translation catalogue.
"""

import datetime as dt
import difflib
import io
import re
import zipfile
from dataclasses import dataclass, fields
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import FilterExpression, TextNode, Variable, VariableNode
from django.template.defaulttags import (
    CommentNode,
    FirstOfNode,
    ForNode,
    IfNode,
    TemplateLiteral,
    TemplateTagNode,
    VerbatimNode,
    WithNode,
)
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from core.errors import Conflict

from .fees import BASIS as FEE_BASIS
from .fees import FeeComputation, FeeMethod, compute_fee, yuan
from .outcomes import (
    OUTCOME_GROUP,
    OUTCOME_WORDING,
    REGULATION,
    Outcome,
    OutcomeGroup,
    Wording,
    default_basis,
)


class LetterKind(models.TextChoices):
    REPLY = "reply", _("答复书（告知书）")
    CORRECTION = "correction", _("补正告知书")
    EXTENSION = "extension", _("延期答复告知书")
    CONSULTATION = "consultation", _("征求第三方意见书")
    FEE = "fee", _("收费通知书")
    RECEIPT = "receipt", _("申请回执")


def chinese_date(day: dt.date | None) -> str:
    """2026年12月2日 (Arabic numerals, as GB/T 9704-2012 writes dates in official documents)."""
    return "" if day is None else f"{day.year}年{day.month}月{day.day}日"


def wording_for(outcome: str, *, competent_agency: str = "") -> Wording:
    """The reply's finding and decision. “Not held” reads differently when the information
    is another agency's (36(五): name it) than when it does not exist (36(四))."""
    if outcome == Outcome.UNABLE_NOT_HELD:
        if competent_agency:
            return Wording(
                "经审查，您申请获取的政府信息不属于本机关负责公开，负责公开该政府信息的行政机关为"
                + competent_agency,
                "请您向该机关咨询或者提出申请")
        return Wording("经检索，本机关没有您申请获取的政府信息，该政府信息不存在",
                       "本机关无法提供")
    return OUTCOME_WORDING[outcome]


@dataclass(frozen=True, kw_only=True)
class LetterContext:
    """Everything a letter may say. Only the issuing agency, the tracking code, the
    applicant and the date of issue are always needed; a letter leaves out what it lacks.

    The outcome's label, wording and (when `basis` is blank) its default basis follow from
    `outcome`. Dates are `datetime.date`; templates get them written out in Chinese.
    """

    agency_name: str
    tracking_code: str
    applicant_name: str
    issued_on: dt.date
    section_name: str = ""
    agency_contact: str = ""
    submitted_on: dt.date | None = None
    received_on: dt.date | None = None
    content: str = ""
    deadline: dt.date | None = None
    outcome: str = ""
    outcome_label: str = ""
    basis: str = ""
    reply_text: str = ""
    reply_on: dt.date | None = None
    competent_agency: str = ""
    competent_agency_contact: str = ""
    correction_items: tuple[str, ...] | str = ()
    correction_due_on: dt.date | None = None
    extension_reason: str = ""
    new_deadline: dt.date | None = None
    third_party_name: str = ""
    consultation_due_on: dt.date | None = None
    fee: FeeComputation | None = None
    fee_pay_by: dt.date | None = None
    payment_instructions: str = ""
    status_url: str = ""
    reconsideration_body: str = ""
    court: str = ""

    def __post_init__(self):
        if self.outcome and self.outcome not in Outcome.values:
            raise ValueError(f"unknown outcome {self.outcome!r}")

    def variables(self) -> dict:
        """The template's variables: strings (dates written out), lists for loops."""
        values = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, dt.date):
                value = chinese_date(value)
            values[f.name] = "" if value is None else value
        items = self.correction_items
        if isinstance(items, str):
            items = [line.strip() for line in items.splitlines() if line.strip()]
        values["correction_items"] = list(items)
        values["regulation"] = REGULATION
        values["fee_basis"] = FEE_BASIS
        values.update(self._outcome_variables())
        values.update(self._fee_variables())
        return values

    def _outcome_variables(self) -> dict:
        if not self.outcome:
            return {"outcome_group": "", "outcome_finding": "", "outcome_decision": ""}
        wording = wording_for(self.outcome, competent_agency=self.competent_agency)
        return {
            "outcome_label": self.outcome_label or str(Outcome(self.outcome).label),
            "outcome_group": OUTCOME_GROUP[self.outcome],
            "outcome_finding": wording.finding,
            "outcome_decision": wording.decision,
            "basis": self.basis or default_basis(
                self.outcome, competent_agency=self.competent_agency),
        }

    def _fee_variables(self) -> dict:
        fee = self.fee
        if fee is None:
            return {"fee": "", "fee_method": "", "fee_unit": "", "fee_quantity": "",
                    "fee_amount": "", "fee_lines": []}
        return {"fee": fee, "fee_method": fee.method_label,
                "fee_unit": "件" if fee.method == FeeMethod.PER_ITEM else "页",
                "fee_quantity": fee.quantity, "fee_amount": yuan(fee.amount),
                "fee_lines": fee.lines}


# What an agency admin may write in a template, shown next to the editor.
TEMPLATE_VARIABLES: dict[str, str] = {
    "agency_name": _("发文机关名称"),
    "section_name": _("承办科室"),
    "agency_contact": _("机关联系方式（电话、地址）"),
    "tracking_code": _("申请编号（查询码）"),
    "applicant_name": _("申请人姓名或名称"),
    "submitted_on": _("网上提交日期"),
    "received_on": _("收到申请日期"),
    "content": _("申请获取的政府信息（申请内容）"),
    "deadline": _("答复期限（最后一日）"),
    "outcome": _("办理结果代码"),
    "outcome_label": _("办理结果（年报表三的行名）"),
    "outcome_group": _("办理结果类别代码"),
    "outcome_finding": _("办理结果的认定（“经审查，……”）"),
    "outcome_decision": _("办理结果的处理决定（“本机关……”）"),
    "basis": _("法律依据，如“《中华人民共和国政府信息公开条例》第十四条”"),
    "reply_text": _("答复正文（承办人撰写）"),
    "reply_on": _("答复日期"),
    "competent_agency": _("负责公开该信息的行政机关（非本机关信息时）"),
    "competent_agency_contact": _("负责公开该信息的行政机关的联系方式"),
    "correction_items": _("需要补正的事项（列表，用 for 逐项列出）"),
    "correction_due_on": _("补正期限（最后一日）"),
    "extension_reason": _("延期理由"),
    "new_deadline": _("延期后的答复期限"),
    "third_party_name": _("第三方名称"),
    "consultation_due_on": _("第三方提出意见的期限"),
    "fee": _("是否收费（有收费时为真）"),
    "fee_method": _("计收方式（按件计收或按量计收）"),
    "fee_unit": _("计费单位（件或页）"),
    "fee_quantity": _("计费数量"),
    "fee_amount": _("应缴金额（元）"),
    "fee_lines": _("收费计算明细（列表，用 for 逐行列出）"),
    "fee_pay_by": _("缴费期限（最后一日）"),
    "fee_basis": _("收费依据（国办函〔2020〕109号）"),
    "payment_instructions": _("缴费方式"),
    "status_url": _("办理进度查询网址"),
    "reconsideration_body": _("行政复议机关"),
    "court": _("有管辖权的人民法院"),
    "regulation": _("《中华人民共和国政府信息公开条例》"),
    "issued_on": _("发文日期"),
}
# Attributes of Django's loop variable a template may use.
FORLOOP_ATTRIBUTES = {"counter", "counter0", "revcounter", "revcounter0", "first", "last",
                      "parentloop"}
ALLOWED_TAGS = (IfNode, ForNode, WithNode, CommentNode, FirstOfNode, TemplateTagNode,
                VerbatimNode)
ALLOWED_TAG_NAMES = "if、for、with、comment、firstof、templatetag、verbatim"


class LetterDefault(NamedTuple):
    title: str
    body: str


_HEAD = (
    "{{ applicant_name }}：\n\n"
    "本机关于{{ received_on }}收到您提出的政府信息公开申请（申请编号：{{ tracking_code }}），"
    "申请获取：“{{ content }}”。")
_FINDING = (
    "{{ outcome_finding }}。{% if basis %}根据{{ basis }}的规定，{% endif %}"
    "{{ outcome_decision }}。")
_REPLY_TEXT = "{% if reply_text %}{{ reply_text }}{% endif %}"
_REMEDY = (
    "如对本答复不服，可以自收到本答复之日起六十日内"
    "{% if reconsideration_body %}向{{ reconsideration_body }}{% else %}依法{% endif %}"
    "申请行政复议，或者自收到本答复之日起六个月内"
    "{% if court %}向{{ court }}{% else %}依法向人民法院{% endif %}提起行政诉讼。")
_CONTACT = (
    "{% if section_name or agency_contact %}联系方式：{{ section_name }}"
    "{% if section_name and agency_contact %}，{% endif %}{{ agency_contact }}。{% endif %}")


def _reply(*middle: str) -> str:
    return "\n\n".join([_HEAD + "现答复如下：", *middle, _REMEDY, _CONTACT])


DEFAULT_TEMPLATES: dict[tuple[str, str], LetterDefault] = {
    # Art. 36(一)(二): provided, or where and how it is published.
    (LetterKind.REPLY, OutcomeGroup.DISCLOSED): LetterDefault(
        "政府信息公开申请答复书",
        _reply(_FINDING, _REPLY_TEXT)),
    # Art. 37: the disclosable part provided, the rest withheld with reasons.
    (LetterKind.REPLY, OutcomeGroup.PARTLY): LetterDefault(
        "政府信息部分公开答复书",
        _reply(_FINDING, "{% if reply_text %}具体如下：\n{{ reply_text }}{% endif %}")),
    # Art. 36(三): withheld, with the reasons.
    (LetterKind.REPLY, OutcomeGroup.WITHHELD): LetterDefault(
        "政府信息不予公开告知书",
        _reply(_FINDING, "{% if reply_text %}理由如下：{{ reply_text }}{% endif %}")),
    # Art. 36(四)(五), 38 and 30: nothing to provide; another agency named where known.
    (LetterKind.REPLY, OutcomeGroup.UNABLE): LetterDefault(
        "政府信息公开申请告知书",
        _reply(_FINDING,
               "{% if competent_agency and competent_agency_contact %}{{ competent_agency }}"
               "的联系方式：{{ competent_agency_contact }}。{% endif %}",
               _REPLY_TEXT)),
    # Art. 35, 36(六), 39: not handled as an application for disclosure.
    (LetterKind.REPLY, OutcomeGroup.NOT_PROCESSED): LetterDefault(
        "政府信息公开申请不予处理告知书",
        _reply(_FINDING, _REPLY_TEXT)),
    # Art. 30 and 109号: abandoned; or another outcome the handler explains.
    (LetterKind.REPLY, OutcomeGroup.OTHER): LetterDefault(
        "政府信息公开申请处理告知书",
        _reply(_FINDING, _REPLY_TEXT)),
    (LetterKind.CORRECTION, ""): LetterDefault(
        "政府信息公开申请补正告知书",
        "\n\n".join([
            _HEAD + "经审查，您的申请内容不明确，本机关无法确定您所需要的政府信息。根据"
            "《中华人民共和国政府信息公开条例》第三十条的规定，现一次性告知您对下列事项作出补正：",
            "{% for item in correction_items %}{{ forloop.counter }}. {{ item }}\n{% endfor %}",
            "请您{% if correction_due_on %}于{{ correction_due_on }}前{% endif %}"
            "向本机关提交补正后的申请。答复期限自本机关收到补正的申请之日起计算。"
            "您无正当理由逾期不补正的，视为放弃申请，本机关将不再处理您的该政府信息公开申请。",
            "如您在补正中需要指导和释明，可以与本机关联系。",
            _CONTACT,
        ])),
    (LetterKind.EXTENSION, ""): LetterDefault(
        "政府信息公开申请延期答复告知书",
        "\n\n".join([
            _HEAD + "{% if extension_reason %}因{{ extension_reason }}，{% endif %}"
            "本机关不能在{% if deadline %}{{ deadline }}前{% else %}法定期限内{% endif %}作出答复。"
            "根据《中华人民共和国政府信息公开条例》第三十三条第二款的规定，经本机关政府信息公开"
            "工作机构负责人同意，延长答复期限，延长的期限不超过二十个工作日"
            "{% if new_deadline %}，本机关将于{{ new_deadline }}前作出答复{% endif %}。",
            "特此告知。",
            _CONTACT,
        ])),
    # To the third party, not the applicant: “你方”.
    (LetterKind.CONSULTATION, ""): LetterDefault(
        "征求第三方意见书",
        "\n\n".join([
            "{{ third_party_name }}：",
            "本机关于{{ received_on }}收到{{ applicant_name }}提出的政府信息公开申请"
            "（申请编号：{{ tracking_code }}），申请获取：“{{ content }}”。经审查，该政府信息"
            "涉及你方的商业秘密、个人隐私等合法权益，公开可能损害你方合法权益。根据"
            "《中华人民共和国政府信息公开条例》第三十二条的规定，现书面征求你方意见。",
            "请你方自收到本意见书之日起十五个工作日内"
            "{% if consultation_due_on %}（{{ consultation_due_on }}前）{% endif %}"
            "以书面形式向本机关提出是否同意公开的意见；不同意公开的，请说明理由。",
            "你方逾期未提出意见的，由本机关依照《中华人民共和国政府信息公开条例》的规定决定是否公开。"
            "你方不同意公开且有合理理由的，本机关不予公开；本机关认为不公开可能对公共利益造成重大"
            "影响的，可以决定予以公开，并将决定公开的政府信息内容和理由书面告知你方。",
            _CONTACT,
        ])),
    (LetterKind.FEE, ""): LetterDefault(
        "政府信息公开信息处理费收费通知书",
        "\n\n".join([
            _HEAD + "经审查，您申请公开政府信息的数量、频次明显超过合理范围。根据"
            "《中华人民共和国政府信息公开条例》第四十二条和{{ fee_basis }}的规定，本机关依法"
            "收取信息处理费。",
            "计收方式：{{ fee_method }}，计费数量 {{ fee_quantity }} {{ fee_unit }}。计算如下：\n"
            "{% for line in fee_lines %}{{ line }}\n{% endfor %}"
            "应缴信息处理费：人民币{{ fee_amount }}元。",
            "请您{% if fee_pay_by %}于{{ fee_pay_by }}前{% endif %}缴纳上述费用。"
            "{% if payment_instructions %}缴费方式：{{ payment_instructions }}"
            "{% else %}缴费方式请与本机关联系。{% endif %}",
            "自本机关发出本通知之日至您缴纳费用之日的期间，不计算在答复期限内。"
            "您逾期未缴纳的，视为放弃申请，本机关将不再处理您的该政府信息公开申请。",
            _CONTACT,
        ])),
    (LetterKind.RECEIPT, ""): LetterDefault(
        "政府信息公开申请回执",
        "\n\n".join([
            "{{ applicant_name }}：",
            "您通过互联网提交的政府信息公开申请已于{{ submitted_on }}提交成功。"
            "申请编号（查询码）：{{ tracking_code }}。",
            "申请内容：{{ content }}",
            "接下来：本机关工作人员将核对并确认收到您的申请。根据"
            "《中华人民共和国政府信息公开条例》第三十一条的规定，通过互联网提交的申请，以双方确认"
            "之日为收到申请之日{% if received_on %}；本机关已于{{ received_on }}确认收到您的申请"
            "{% endif %}。本机关将自收到申请之日起二十个工作日内答复"
            "{% if deadline %}（{{ deadline }}前）{% endif %}；需要延长答复期限的，本机关将告知您，"
            "延长的期限最长不超过二十个工作日。申请内容不明确的，本机关将自收到申请之日起七个工作日内"
            "一次性告知您作出补正。",
            "查询办理进度：{% if status_url %}请访问 {{ status_url }} ，"
            "{% else %}请在本机关政府信息公开申请页面，{% endif %}"
            "输入申请编号和您填写的联系电话的后四位。",
            "请妥善保存本回执。",
            _CONTACT,
        ])),
}


def default_for(kind: str, outcome_group: str = "") -> LetterDefault:
    return DEFAULT_TEMPLATES[(kind, outcome_group if kind == LetterKind.REPLY else "")]


class LetterTemplate(models.Model):
    """An agency's wording of one kind of letter (or, with no agency, the platform's),
    replacing `DEFAULT_TEMPLATES`. Replies have one per outcome group."""

    agency = models.ForeignKey(
        "agencies.Agency", models.PROTECT, null=True, blank=True,
        related_name="letter_templates", verbose_name=_("机关"),
        help_text=_("留空为全平台通用的模板"))
    kind = models.CharField(_("文书类型"), max_length=16, choices=LetterKind.choices)
    outcome_group = models.CharField(
        _("办理结果类别"), max_length=16, choices=OutcomeGroup.choices, blank=True,
        help_text=_("仅答复书（告知书）填写：每个办理结果类别一份模板"))
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(
        _("正文"), help_text=_("Django 模板语言，变量写作 {{ applicant_name }}；段落之间空一行。"))
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("文书模板")
        verbose_name_plural = _("文书模板")
        ordering = ["agency", "kind", "outcome_group"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "kind", "outcome_group"], condition=Q(agency__isnull=False),
                name="letter_template_one_per_agency",
                violation_error_message=_("该机关已有这一文书的模板，请修改已有的模板。")),
            models.UniqueConstraint(
                fields=["kind", "outcome_group"], condition=Q(agency__isnull=True),
                name="letter_template_one_per_platform",
                violation_error_message=_("全平台已有这一文书的模板，请修改已有的模板。")),
            models.CheckConstraint(
                condition=(Q(kind=LetterKind.REPLY) & ~Q(outcome_group=""))
                | (~Q(kind=LetterKind.REPLY) & Q(outcome_group="")),
                name="letter_template_group_for_replies_only",
                violation_error_message=_("答复书（告知书）须选择办理结果类别，其他文书不选。")),
        ]

    def __str__(self):
        kind = LetterKind(self.kind).label
        if self.outcome_group:
            return f"{kind}·{OutcomeGroup(self.outcome_group).label}"
        return str(kind)

    def clean(self):
        super().clean()
        errors = {}
        if self.kind == LetterKind.REPLY and not self.outcome_group:
            errors["outcome_group"] = _("答复书（告知书）按办理结果类别分别设置，请选择类别。")
        elif self.kind and self.kind != LetterKind.REPLY and self.outcome_group:
            errors["outcome_group"] = _("只有答复书（告知书）按办理结果类别设置，请留空。")
        for name in ("title", "body"):
            try:
                validate_template(getattr(self, name))
            except ValidationError as error:
                errors[name] = error.messages
        if errors:
            raise ValidationError(errors)


# No loaders (no {% include %} or {% extends %} of files), no tag libraries to {% load %};
# debug for the line number of a syntax error.
_ENGINE = Engine(debug=True, libraries={}, autoescape=False)


def validate_template(body: str) -> None:
    """Refuse text that does not compile, uses a tag we do not allow, or names a variable
    a letter does not have (Django would print nothing for it, silently)."""
    try:
        template = _ENGINE.from_string(body)
    except TemplateSyntaxError as error:
        line = getattr(error, "template_debug", {}).get("line")
        raise ValidationError(
            _("模板第 %(line)s 行有语法错误（%(error)s）。请检查 {{ }} 与 {%% %%} 是否成对、"
              "标签名是否写对、每个 if、for、with 是否有对应的 endif、endfor、endwith。"),
            code="syntax", params={"line": line or "?", "error": error}) from error
    problems = []
    _check_nodes(template.nodelist, set(), problems)
    if problems:
        raise ValidationError(problems)


def _check_nodes(nodelist, scope: set, problems: list) -> None:
    for node in nodelist:
        line = getattr(getattr(node, "token", None), "lineno", "?")
        if isinstance(node, TextNode | CommentNode | TemplateTagNode | VerbatimNode):
            continue
        if isinstance(node, VariableNode):
            _check_expression(node.filter_expression, scope, line, problems)
        elif isinstance(node, IfNode):
            for condition, branch in node.conditions_nodelists:
                for expression in _condition_expressions(condition):
                    _check_expression(expression, scope, line, problems)
                _check_nodes(branch, scope, problems)
        elif isinstance(node, ForNode):
            _check_expression(node.sequence, scope, line, problems)
            inner = scope | set(node.loopvars) | {"forloop"}
            _check_nodes(node.nodelist_loop, inner, problems)
            _check_nodes(node.nodelist_empty, scope, problems)
        elif isinstance(node, WithNode):
            for expression in node.extra_context.values():
                _check_expression(expression, scope, line, problems)
            _check_nodes(node.nodelist, scope | set(node.extra_context), problems)
        elif isinstance(node, FirstOfNode):
            for expression in node.vars:
                _check_expression(expression, scope, line, problems)
            if node.asvar:
                scope.add(node.asvar)
        else:
            tag = node.token.contents.split()[0] if getattr(node, "token", None) else "?"
            problems.append(ValidationError(
                _("第 %(line)s 行的标签 {%% %(tag)s %%} 不能用于文书模板。"
                  "可以使用的标签：%(tags)s。"),
                code="tag", params={"line": line, "tag": tag, "tags": ALLOWED_TAG_NAMES}))


def _condition_expressions(condition):
    """The expressions an {% if %} condition tests (operators nest them)."""
    if condition is None:
        return
    if isinstance(condition, TemplateLiteral):
        yield condition.value
        return
    for part in (condition.first, condition.second):
        if part is not None:
            yield from _condition_expressions(part)


def _check_expression(expression: FilterExpression, scope: set, line, problems: list):
    variables = [expression.var] + [arg for _filter, args in expression.filters
                                    for is_variable, arg in args if is_variable]
    for variable in variables:
        if not isinstance(variable, Variable) or variable.lookups is None:
            continue  # a literal
        name, *attributes = variable.lookups
        if name == "forloop" and name in scope:
            unknown = [a for a in attributes if a not in FORLOOP_ATTRIBUTES]
            if not unknown:
                continue
            shown = f"forloop.{unknown[0]}"
        elif name in scope or (name in TEMPLATE_VARIABLES and not attributes):
            continue
        else:
            # Our variables are strings and lists: an attribute of one is a typo.
            shown = ".".join(variable.lookups)
        known = [*TEMPLATE_VARIABLES, *sorted(scope - {"forloop"})]
        if "forloop" in scope:
            known += [f"forloop.{a}" for a in sorted(FORLOOP_ATTRIBUTES)]
        close = difflib.get_close_matches(shown, known, n=1)
        if close:
            problems.append(ValidationError(
                _("第 %(line)s 行的变量 “%(name)s” 不存在，是否应为 “%(close)s”？"),
                code="variable", params={"line": line, "name": shown, "close": close[0]}))
        else:
            problems.append(ValidationError(
                _("第 %(line)s 行的变量 “%(name)s” 不存在，请改用下列变量之一：%(names)s。"),
                code="variable", params={"line": line, "name": shown, "names": "、".join(known)}))


class LetterText(NamedTuple):
    title: str
    paragraphs: list[str]


# Characters XML 1.0 (and so Word) cannot hold, and C1 controls nobody means to write.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def clean_text(text: str) -> str:
    return _UNWRITABLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def render_text(*, title: str, body: str, context: LetterContext) -> LetterText:
    """The letter's title and paragraphs: blank lines part paragraphs, a single line break
    stays a line break within its paragraph."""
    with translation.override("zh-hans"):
        variables = Context(context.variables(), autoescape=False)
        title = _ENGINE.from_string(title).render(variables)
        body = _ENGINE.from_string(body).render(variables)
    title = " ".join(clean_text(title).split())
    paragraphs = []
    for paragraph in _PARAGRAPH_BREAK.split(clean_text(body)):
        lines = [line.rstrip() for line in paragraph.strip("\n").split("\n")]
        text = "\n".join(lines).strip().lstrip("\u3000")
        if text:
            paragraphs.append(text)
    return LetterText(title, paragraphs)


def template_for(*, kind: str, agency=None, outcome_group: str = "") -> LetterDefault:
    """The wording in force for `agency` (an Agency, its id, or None for the platform's):
    the agency's own template, else the platform's, else the default in code."""
    kind = LetterKind(kind)
    group = outcome_group if kind == LetterKind.REPLY else ""
    if kind == LetterKind.REPLY:
        OutcomeGroup(group)  # ValueError for a missing or unknown group
    agency_id = getattr(agency, "pk", agency)
    scope = Q(agency__isnull=True)
    if agency_id is not None:
        scope |= Q(agency_id=agency_id)
    rows = {row.agency_id: row for row in LetterTemplate.objects.filter(
        scope, kind=kind, outcome_group=group)}
    row = rows.get(agency_id) or rows.get(None)
    if row is not None:
        return LetterDefault(row.title, row.body)
    return default_for(kind, group)


def render_letter(*, kind: str, context: LetterContext, agency=None,
                  outcome_group: str = "") -> bytes:
    """The letter as .docx bytes, in the agency's wording (see `template_for`).

    A reply's group follows from `context.outcome` when not given. The same letter gives
    the same bytes: the document's dates are the date of issue, its zip entries undated.
    """
    kind = LetterKind(kind)
    if kind == LetterKind.REPLY:
        if not context.outcome:
            raise ValueError("a reply letter needs the context's outcome")
        derived = OUTCOME_GROUP[context.outcome]
        if outcome_group and outcome_group != derived:
            raise ValueError(f"outcome {context.outcome} is in group {derived}, "
                             f"not {outcome_group}")
        outcome_group = derived
    wording = template_for(kind=kind, agency=agency, outcome_group=outcome_group)
    try:
        text = render_text(title=wording.title, body=wording.body, context=context)
    except TemplateSyntaxError as error:
        # Saved templates are validated; one that no longer compiles is the agency's to fix.
        raise Conflict(_("“%(kind)s”的文书模板有错误，请机关管理员在后台修改：%(error)s")
                       % {"kind": kind.label, "error": error}) from error
    return build_docx(agency_name=context.agency_name, text=text,
                      tracking_code=context.tracking_code, issued_on=context.issued_on)


# GB/T 9704-2012: A4, 仿宋 三号 (16 pt) body, the title in a bold 宋体 二号 (22 pt).
BODY_FONT, TITLE_FONT, LATIN_FONT = "仿宋", "宋体", "Times New Roman"
BODY_SIZE, TITLE_SIZE, AGENCY_SIZE = Pt(16), Pt(22), Pt(18)
LINE_PITCH = Pt(28)
_EPOCH = (1980, 1, 1, 0, 0, 0)


def _fonts(target, east_asia: str) -> None:
    target.font.name = LATIN_FONT
    target.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asia)


def _run(paragraph, text: str, *, font=BODY_FONT, size=BODY_SIZE, bold=False):
    lines = text.split("\n")
    run = paragraph.add_run(lines[0])
    for line in lines[1:]:
        run.add_break()
        run.add_text(line)
    run.font.size, run.font.bold = size, bold
    _fonts(run, font)
    return run


def _paragraph(document, text="", *, align=None, first_line_indent=None, right_indent=None,
               **run_options):
    paragraph = document.add_paragraph()
    layout = paragraph.paragraph_format
    layout.line_spacing_rule, layout.line_spacing = WD_LINE_SPACING.EXACTLY, LINE_PITCH
    layout.space_before = layout.space_after = Pt(0)
    if align is not None:
        paragraph.alignment = align
    if first_line_indent is not None:
        layout.first_line_indent = first_line_indent
    if right_indent is not None:
        layout.right_indent = right_indent
    if text:
        _run(paragraph, text, **run_options)
    return paragraph


def build_docx(*, agency_name: str, text: LetterText, tracking_code: str,
               issued_on: dt.date) -> bytes:
    agency_name, tracking_code = clean_text(agency_name), clean_text(tracking_code)
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    normal = document.styles["Normal"]
    normal.font.size = BODY_SIZE
    _fonts(normal, BODY_FONT)

    centre = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(document, agency_name, align=centre, font=TITLE_FONT, size=AGENCY_SIZE,
               bold=True)
    _paragraph(document, text.title, align=centre, font=TITLE_FONT, size=TITLE_SIZE, bold=True)
    _paragraph(document, f"申请编号：{tracking_code}", align=centre)
    _paragraph(document)
    for index, paragraph in enumerate(text.paragraphs):
        salutation = index == 0 and paragraph.endswith(("：", ":"))
        _paragraph(document, paragraph,
                   first_line_indent=None if salutation else BODY_SIZE * 2)
    _paragraph(document)
    right = WD_ALIGN_PARAGRAPH.RIGHT
    _paragraph(document, agency_name, align=right, right_indent=BODY_SIZE * 2)
    _paragraph(document, chinese_date(issued_on), align=right, right_indent=BODY_SIZE * 2)

    properties = document.core_properties
    properties.title, properties.author = text.title, agency_name
    properties.last_modified_by, properties.comments = agency_name, ""
    properties.revision = 1
    issued = dt.datetime(issued_on.year, issued_on.month, issued_on.day, tzinfo=dt.UTC)
    properties.created = properties.modified = issued

    out = io.BytesIO()
    document.save(out)
    return _undated_zip(out.getvalue())


def _undated_zip(data: bytes) -> bytes:
    """The same package with every entry dated 1980-01-01, so equal letters are equal bytes
    (a zip entry otherwise carries the moment it was written)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()


# For the admin's preview: one representative outcome per reply group.
SAMPLE_OUTCOMES = {
    OutcomeGroup.DISCLOSED: Outcome.DISCLOSED,
    OutcomeGroup.PARTLY: Outcome.PARTLY_DISCLOSED,
    OutcomeGroup.WITHHELD: Outcome.WITHHELD_THIRD_PARTY,
    OutcomeGroup.UNABLE: Outcome.UNABLE_NOT_HELD,
    OutcomeGroup.NOT_PROCESSED: Outcome.NOT_PROCESSED_REPEAT,
    OutcomeGroup.OTHER: Outcome.OTHER_NO_CORRECTION,
}


def sample_context(*, kind: str, outcome_group: str = "",
                   agency_name: str = "") -> LetterContext:
    """Made-up data that fills every part of a letter, to see how a template reads."""
    outcome = SAMPLE_OUTCOMES.get(outcome_group, "") if kind == LetterKind.REPLY else ""
    day = timezone.localdate()
    return LetterContext(
        agency_name=agency_name or "某县住房和城乡建设局", section_name="办公室",
        agency_contact="0391-0000000", tracking_code="YSQ-2026-7K3QXD",
        applicant_name="张三", submitted_on=day, received_on=day,
        content="本县2025年保障性租赁住房项目的建设计划及资金安排", deadline=day,
        outcome=outcome, reply_text="（此处为承办人撰写的答复正文。）", reply_on=day,
        competent_agency="某县发展和改革委员会" if outcome == Outcome.UNABLE_NOT_HELD else "",
        competent_agency_contact="0391-1111111",
        correction_items=("请写明所需信息的名称或文号", "请写明所需信息的形成时间"),
        correction_due_on=day, extension_reason="所申请信息涉及多个科室，需要调取档案核查",
        new_deadline=day, third_party_name="某建筑工程有限公司", consultation_due_on=day,
        fee=compute_fee(FeeMethod.PER_PAGE, 120) if kind == LetterKind.FEE else None,
        fee_pay_by=day, payment_instructions="（此处为缴费方式。）",
        status_url="https://www.example.gov.cn/gk/agency/apply/status/",
        reconsideration_body="某县人民政府", court="某县人民法院", issued_on=day)
