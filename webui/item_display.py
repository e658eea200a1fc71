"""How the item, review and form pages show the figures table 二 of the annual report
counts: the Art. 20 item with what it covers, the document's 文号 and dates, the documents
it abolishes, decisions and fees.

A field the chosen Art. 20 item would count but that is empty is shown as missing, so a
reviewer sees that the item will count as nothing in table 二 before passing it.
"""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _

from publications.article20 import DECISION_TYPES_BY_ITEM, DOCUMENT_ITEM, FEE_ITEM, TOPICS
from publications.models import ARTICLE20_ITEMS
from publications.selectors import can_see

ARTICLE20_LABELS = dict(ARTICLE20_ITEMS)


def article20_text(item) -> str:
    if item is None:
        return _("不属于第二十条事项")
    return f"{ARTICLE20_LABELS[item]}　{TOPICS[item]}"


@dataclass
class Fact:
    name: str
    label: str
    value: str
    missing: bool = False


@dataclass
class AbolishedDocument:
    number: str
    title: str
    url: str | None


@dataclass
class Table2Facts:
    article20: str
    facts: list = field(default_factory=list)
    abolishes: list = field(default_factory=list)
    shows_abolishes: bool = False

    @property
    def missing(self) -> bool:
        return any(fact.missing for fact in self.facts)


def _date(value) -> str:
    return value.isoformat() if value else "—"


def table2_facts(publication, *, abolishes=(), user=None) -> Table2Facts:
    """The facts of `publication` for its pages; `abolishes` are the documents it abolishes
    (linked for `user` where they may open them)."""
    p = publication
    item = p.article20_item
    shown = Table2Facts(article20=article20_text(item))
    facts = shown.facts
    if item == DOCUMENT_ITEM or p.document_type or p.document_number or p.effective_on \
            or p.abolished_on or abolishes:
        facts.append(Fact("document_type", _("文件类型"),
                          p.get_document_type_display() if p.document_type
                          else _("未填写（不计入表二的规章、行政规范性文件）"),
                          missing=not p.document_type))
        facts.append(Fact("document_number", _("文号"), p.document_number or _("未填写"),
                          missing=bool(p.document_type) and not p.document_number))
        facts.append(Fact("effective_on", _("生效日期"), _date(p.effective_on)))
        facts.append(Fact("abolished_on", _("废止日期"), _date(p.abolished_on)))
        shown.shows_abolishes = True
        shown.abolishes = [AbolishedDocument(
            number=d.document_number or _("无文号"), title=d.title,
            url=reverse("webui:items:detail", args=[d.pk])
            if user is not None and can_see(user, d) else None) for d in abolishes]
    if item in DECISION_TYPES_BY_ITEM or p.decision_type:
        facts.append(Fact("decision_type", _("决定类型"),
                          p.get_decision_type_display() if p.decision_type
                          else _("未填写（不计入表二的处理决定数量）"),
                          missing=not p.decision_type))
        if p.decision_type:
            facts.append(Fact("decision_count", _("决定数量"), str(p.decision_count)))
    if item == FEE_ITEM or p.fee_amount_yuan is not None:
        facts.append(Fact("fee_amount_yuan", _("收费金额（元）"),
                          str(p.fee_amount_yuan) if p.fee_amount_yuan is not None
                          else _("未填写（不计入表二的收费金额）"),
                          missing=p.fee_amount_yuan is None))
    return shown
