"""The letters of an application as .docx: what each letter says is taken from the
application, its clock events and its reply, and rendered with the agency's template
(applications.letters). Generating one is audited: letters carry the applicant's data."""

from urllib.parse import quote

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import Conflict, NotFound

from . import services
from .fees import FeeComputation
from .letters import LetterContext, LetterKind, render_letter
from .models import ClockEventKind as K
from .models import ReplyStatus

#: which clock event a letter is about (None: the application itself)
_EVENT_OF = {LetterKind.CORRECTION: K.CORRECTION_REQUESTED, LetterKind.EXTENSION: K.EXTENDED,
             LetterKind.CONSULTATION: K.CONSULTATION_SENT, LetterKind.FEE: K.FEE_NOTICE}

_MISSING = {
    LetterKind.CORRECTION: gettext_lazy("该申请没有发出补正告知，无法生成补正告知书。"),
    LetterKind.EXTENSION: gettext_lazy("该申请没有延期，无法生成延期答复告知书。"),
    LetterKind.CONSULTATION: gettext_lazy("该申请没有征求第三方意见，无法生成征求第三方意见书。"),
    LetterKind.FEE: gettext_lazy("该申请没有发出收费通知，无法生成收费通知书。"),
    LetterKind.REPLY: gettext_lazy("该申请还没有拟写答复，无法生成答复书。"),
}


def letter_for(*, user, application, kind: str) -> tuple[str, bytes]:
    """(file name, .docx bytes) of the `kind` letter of `application` (prefetched clock
    events and replies, as selectors.application_for gives it)."""
    if kind not in LetterKind.values:
        raise NotFound(_("没有这种文书。"))
    kind = LetterKind(kind)
    context = _context(application, kind)
    content = render_letter(kind=kind, context=context, agency=application.agency)
    services.record_letter(user=user, application=application, kind=kind)
    return quote(f"{application.tracking_code}-{kind.label}.docx"), content


def _context(application, kind) -> LetterContext:
    events = list(application.clock_events.all())
    clock = services.clock_of(application, events=events)
    event = None
    if kind in _EVENT_OF:
        event = next((e for e in reversed(events) if e.kind == _EVENT_OF[kind]), None)
        if event is None:
            raise Conflict(_MISSING[kind])
    reply = None
    if kind == LetterKind.REPLY:
        replies = [r for r in application.replies.all()
                   if r.status in (ReplyStatus.APPROVED, ReplyStatus.PENDING)]
        if not replies:
            raise Conflict(_MISSING[kind])
        reply = replies[0]
    issued_on = (event.on if event is not None
                 else application.replied_on or services.today())
    fields = {
        "agency_name": application.agency.name, "tracking_code": application.tracking_code,
        "applicant_name": application.applicant_name, "issued_on": issued_on,
        "section_name": application.section.name if application.section_id else "",
        "submitted_on": application.submitted_at.date() if application.submitted_at else None,
        "received_on": application.received_on, "content": application.content,
        "deadline": None if clock.beyond_known else clock.deadline,
        "status_url": f"{settings.SITE_URL}/gk/{application.agency.code}/apply/status/",
    }
    if reply is not None:
        fields.update(outcome=reply.outcome, basis=reply.basis, reply_text=reply.text,
                      competent_agency=reply.competent_agency,
                      reply_on=application.replied_on or reply.proposed_on or services.today())
    if kind == LetterKind.CORRECTION:
        fields.update(correction_items=event.data.get("items", ""),
                      correction_due_on=clock.correction_due_on)
    elif kind == LetterKind.EXTENSION:
        fields.update(extension_reason=event.data.get("reason", ""),
                      new_deadline=None if clock.beyond_known else clock.deadline)
    elif kind == LetterKind.CONSULTATION:
        fields.update(third_party_name=event.data.get("third_party", ""),
                      consultation_due_on=services.consultation_due_on(event.on))
    elif kind == LetterKind.FEE:
        fields.update(fee=FeeComputation.from_data(event.data["fee"]),
                      fee_pay_by=clock.fee_pay_by)
    return LetterContext(**fields)

