"""信息公开审核审签单: an item's review sign-off sheet, which agencies print and file in their
paper archive — who drafted it, what each tier decided, with its comment and time, and where
it was released. Built from the audit trail (the record of who did what), so the paper copy
says what the system proves; the content fingerprint ties the two together."""

from dataclasses import dataclass, field

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AuditAction
from audit.selectors import timeline
from publications.lifecycle import ReviewStep
from workflow.models import WithholdBasis

from .templatetags.webui import actor_name

DECISIONS = (AuditAction.APPROVE, AuditAction.REJECT, AuditAction.WITHHOLD)
SUBMITTED = AuditAction.SUBMIT


@dataclass
class TierRow:
    step: str          # ReviewStep value
    title: str         # 科室审核意见, 保密审查意见, 领导审签意见
    decision: str = ""  # 通过, 退回, 不予公开; "" while not decided
    comment: str = ""
    basis: str = ""
    reviewer: str = ""
    at: object = None


@dataclass
class SignOff:
    publication: object
    round: int
    submitted_by: str = ""
    submitted_at: object = None
    tiers: list = field(default_factory=list)
    channels: list = field(default_factory=list)
    complete: bool = False
    printed_at: object = None


TITLES = {ReviewStep.SECTION_HEAD_REVIEW: _("科室审核意见"),
          ReviewStep.SECRECY_REVIEW: _("保密审查意见"),
          ReviewStep.LEADERSHIP_REVIEW: _("领导审签意见")}


def _name(event) -> str:
    return actor_name(event)  # 李强 代 王敏 for a substitute's decision


def sign_off(publication) -> SignOff:
    """The sheet of the item's latest round (the one its current content was reviewed in):
    two queries (the round's events with who acted, the channels)."""
    number = publication.round
    sheet = SignOff(publication=publication, round=number, printed_at=timezone.now())
    rows = {step: TierRow(step=step, title=str(TITLES[step])) for step in ReviewStep.values}
    labels = dict(AuditAction.choices)
    bases = dict(WithholdBasis.choices)
    events = timeline(subject=publication).filter(round=number,
                                                  action__in=(SUBMITTED, *DECISIONS))
    for event in events:
        if event.action == SUBMITTED:
            sheet.submitted_by, sheet.submitted_at = _name(event), event.at
            continue
        row = rows.get(event.tier)
        if row is None:
            continue
        basis = (event.data or {}).get("basis") or ""
        row.decision = str(labels.get(event.action, event.action))
        row.comment, row.reviewer, row.at = event.comment, _name(event), event.at
        row.basis = str(bases.get(basis, basis)) if basis else ""
    sheet.tiers = [rows[step] for step in ReviewStep.values]
    sheet.complete = all(row.decision == labels[AuditAction.APPROVE] for row in sheet.tiers)
    sheet.channels = [channel.name for channel in publication.channels.all()]
    return sheet


def sign_off_pdf(sheet: SignOff) -> bytes:
    """The sheet printed to A4 by WeasyPrint (fonts installed here only; nothing fetched)."""
    from weasyprint import HTML  # loads Pango: only PDFs need it

    from disclosure.report_exports import local_only_fetcher

    html = render_to_string("webui/sign_off/document.html", {"sheet": sheet, "for_pdf": True})
    root = settings.BASE_DIR
    return HTML(string=html, base_url=root.as_uri() + "/",
                url_fetcher=local_only_fetcher(root)).write_pdf()
