"""Every change to an application or a case: one function per action, each in a
transaction, writing its audit event there, and naming what it triggers (notices).

Dates the staff enter (received, notice sent, correction received, …) may lie in the past —
paper arrives first and is registered after — but never in the future, and never before the
step they follow. After every clock event the stored deadline is recomputed
(`_refresh_clock`), so the queues and the reminder sweep read it in SQL.
"""

import datetime as dt
import os
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Role, Section, holding_role
from audit.models import AuditAction
from audit.services import Event, record
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from notifications.kinds import NotificationKind as NK
from notifications.services import notify_about_applications
from publications.services import check_attachment
from workdays.calendar import WorkingCalendar

from . import clock as clocks
from .fees import FeeMethod, compute_fee
from .models import (
    OPEN_STATUSES,
    Application,
    Case,
    CaseDocument,
    CaseKind,
    CaseResult,
    ClockEvent,
    ReceivedVia,
    Reply,
    ReplyAttachment,
    ReplyStatus,
    StopReason,
)
from .models import (
    ApplicationStatus as S,
)
from .models import (
    ClockEventKind as K,
)
from .outcomes import Outcome
from .permissions import covers, is_handler, leaders_covering, manages_cases, visible_applications

TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: read over the phone
TRACKING_LENGTH = 6
#: the revised Regulations (国务院令第711号) in force: the periods the clock counts are theirs,
#: so an earlier receipt date is a mistyped year
REVISED_REGULATIONS_IN_FORCE = dt.date(2019, 5, 15)
#: the Regulations first in force (国务院令第492号): no disclosure case is older
REGULATIONS_IN_FORCE = dt.date(2008, 5, 1)


def today() -> dt.date:
    return timezone.localdate()


# --- registering ----------------------------------------------------------------------------

def new_tracking_code(year: int) -> str:
    while True:
        suffix = "".join(secrets.choice(TRACKING_ALPHABET) for _i in range(TRACKING_LENGTH))
        code = f"YSQ-{year}-{suffix}"
        if not Application.objects.filter(tracking_code=code).exists():
            return code


APPLICANT_FIELDS = ("applicant_type", "applicant_name", "applicant_id_number", "contact_phone",
                    "contact_address", "contact_email", "content", "delivery_form",
                    "delivery_method")


def register_application(*, user, data: dict) -> Application:
    """A registrar enters an application received at the counter, by post, fax or e-mail
    (or online, confirmed at once). `data` is validated for shape by the API or form."""
    _require_handler(user)
    received_on = data["received_on"]
    _not_future(received_on, "received_on")
    _not_before_law(received_on, REVISED_REGULATIONS_IN_FORCE, "received_on",
                    _("收到日期不能早于 %(date)s：答复期限按该日起施行的现行条例计算。"))
    section = _section(user.agency_id, data["section"])
    handler = _handler(user.agency_id, data.get("handler"))
    with transaction.atomic():
        application = Application.objects.create(
            agency_id=user.agency_id, tracking_code=new_tracking_code(received_on.year),
            status=S.RECEIVED, received_via=data["received_via"], received_on=received_on,
            section=section, handler=handler, registered_by=user,
            **{f: data[f] for f in APPLICANT_FIELDS if data.get(f) not in (None, "")})
        ClockEvent.objects.create(application=application, kind=K.RECEIVED, on=received_on,
                                  actor=user)
        clock = _refresh_clock(application)
        record(agency_id=user.agency_id, events=[Event(
            AuditAction.APPLICATION_RECEIVED, subject=application, actor=user,
            data={"tracking_code": application.tracking_code, "received_on": str(received_on),
                  "received_via": application.received_via, "section": section.code,
                  "deemed_received_on": str(clock.start)})])
        if handler is not None:
            _notify_assigned(application, actor=user)
    return application


def submit_online_application(*, agency: Agency, data: dict) -> Application:
    """A citizen's or organisation's application from the public site. It waits for a
    registrar to confirm receipt (Art. 31: the receipt date for online applications is the
    date the agency confirms); the registrars of the agency are told."""
    with transaction.atomic():
        application = Application.objects.create(
            agency=agency, tracking_code=new_tracking_code(today().year),
            status=S.PENDING_CONFIRMATION, received_via=ReceivedVia.ONLINE,
            **{f: data[f] for f in APPLICANT_FIELDS if data.get(f) not in (None, "")})
        record(agency_id=agency.pk, events=[Event(
            AuditAction.APPLICATION_SUBMITTED, subject=application,
            data={"tracking_code": application.tracking_code})])
        # the registrars: everyone in the agency who handles applications
        notify_about_applications(
            get_user_model().objects.filter(holding_role(Role.APPLICATION_HANDLER),
                                            agency=agency, is_active=True),
            kind=NK.APPLICATION_ONLINE, recipient=F("pk"), agency_id=agency.pk,
            application_id=application.pk, title=_title(application))
    return application


def confirm_receipt(*, user, application_id: int, received_on: dt.date, section=None,
                    handler=None) -> Application:
    _require_handler(user)
    with transaction.atomic():
        application = _locked(user, application_id)
        if application.status != S.PENDING_CONFIRMATION:
            raise Conflict(_("该申请已确认收到，无需再次确认。"))
        _not_future(received_on, "received_on")
        submitted_on = timezone.localdate(application.submitted_at)
        if received_on < submitted_on:
            raise InvalidInput(_("确认收到日期不能早于申请提交日期（%(date)s）。")
                               % {"date": submitted_on}, fields={"received_on": [
                                   _("不能早于 %(date)s。") % {"date": submitted_on}]})
        if section is not None:
            application.section = _section(user.agency_id, section)
        elif application.section_id is None and user.section_id is not None:
            # the contract confirms with the date alone: the registrar's own section takes
            # it, and routes it on (`assign`) if another section holds the information
            application.section = user.section
        if application.section_id is None:
            raise InvalidInput(_("请选择承办科室。"), fields={"section": [_("必填。")]})
        if handler is not None:
            application.handler = _handler(user.agency_id, handler)
        application.status, application.received_on = S.RECEIVED, received_on
        application.registered_by = user
        application.save(update_fields=["status", "received_on", "section", "handler",
                                        "registered_by", "updated_at"])
        ClockEvent.objects.create(application=application, kind=K.RECEIVED, on=received_on,
                                  actor=user)
        clock = _refresh_clock(application)
        record(agency_id=application.agency_id, events=[Event(
            AuditAction.APPLICATION_RECEIVED, subject=application, actor=user,
            data={"tracking_code": application.tracking_code, "received_on": str(received_on),
                  "received_via": ReceivedVia.ONLINE, "section": application.section.code,
                  "deemed_received_on": str(clock.start)})])
        if application.handler_id is not None:
            _notify_assigned(application, actor=user)
    return application


def assign(*, user, application_id: int, section=None, handler=None) -> Application:
    """Route the application to a section and a handler."""
    _require_handler(user)
    with transaction.atomic():
        application = _locked(user, application_id)
        _require_open(application)
        before = (application.section_id, application.handler_id)
        if section is not None:
            application.section = _section(user.agency_id, section)
        if handler is not None:
            application.handler = _handler(user.agency_id, handler)
        if (application.section_id, application.handler_id) == before:
            return application
        application.save(update_fields=["section", "handler", "updated_at"])
        record(agency_id=application.agency_id, events=[Event(
            AuditAction.APPLICATION_ASSIGNED, subject=application, actor=user,
            data={"section": application.section.code if application.section else None,
                  "handler": application.handler.get_username() if application.handler
                  else None})])
        if application.handler_id is not None and application.handler_id != before[1]:
            _notify_assigned(application, actor=user)
    return application


# --- the clock's steps ----------------------------------------------------------------------

def request_correction(*, user, application_id: int, notice_on: dt.date, items: str,
                       period_days: int = clocks.CORRECTION_PERIOD_DEFAULT) -> Application:
    """Art. 30: one 补正 notice, within 7 working days of receipt; it stops the clock."""
    _require_handler(user)
    if not (items or "").strip():
        raise InvalidInput(_("请写明需要补正的事项。"), fields={"items": [_("必填。")]})
    _period(period_days, "period_days")
    with transaction.atomic():
        application = _locked(user, application_id)
        clock = clock_of(application)
        if clock.correction_requested:
            raise Conflict(_("补正告知只能发出一次（条例第三十条）。"))
        _require_status(application, S.RECEIVED, _("只有办理中的申请可以发出补正告知。"))
        _not_future(notice_on, "notice_on")
        _not_before(notice_on, application.received_on, "notice_on")
        if notice_on > clock.correction_notice_by:
            raise Conflict(_("补正告知须在收到申请之日起 7 个工作日内发出（最迟 %(date)s），"
                             "已超过期限。") % {"date": clock.correction_notice_by})
        return _step(application, user, K.CORRECTION_REQUESTED, notice_on,
                     S.AWAITING_CORRECTION, AuditAction.CORRECTION_REQUESTED,
                     {"items": items.strip(), "period_days": period_days})


def record_correction(*, user, application_id: int, received_on: dt.date) -> Application:
    """The applicant's correction arrived: the 20 working days start again from that date."""
    _require_handler(user)
    with transaction.atomic():
        application = _locked(user, application_id)
        _require_status(application, S.AWAITING_CORRECTION, _("该申请没有待补正的告知。"))
        _not_future(received_on, "received_on")
        _not_before(received_on, _last_event(application, K.CORRECTION_REQUESTED).on,
                    "received_on")
        return _step(application, user, K.CORRECTION_RECEIVED, received_on, S.RECEIVED,
                     AuditAction.CORRECTION_RECEIVED, {})


def request_extension(*, user, application_id: int, reason: str) -> Application:
    """The handler asks a leader covering the section for the one extension."""
    _require_handler(user)
    if not (reason or "").strip():
        raise InvalidInput(_("请写明延期理由。"), fields={"reason": [_("必填。")]})
    with transaction.atomic():
        application = _locked(user, application_id)
        _check_extendable(application)
        if application.extension_requested_by_id is not None:
            raise Conflict(_("已申请延期，等待领导审批。"))
        application.extension_requested_reason = reason.strip()
        application.extension_requested_by = user
        application.save(update_fields=["extension_requested_reason", "extension_requested_by",
                                        "updated_at"])
        record(agency_id=application.agency_id, events=[Event(
            AuditAction.EXTENSION_REQUESTED, subject=application, actor=user,
            comment=application.extension_requested_reason)])
        notify_about_applications(
            get_user_model().objects.filter(leaders_covering(application.section_id))
            .exclude(pk=user.pk).distinct(),
            kind=NK.EXTENSION_TO_APPROVE, recipient=F("pk"), agency_id=application.agency_id,
            application_id=application.pk, title=_title(application),
            message=application.extension_requested_reason)
    return application


def extend(*, user, application_id: int, reason: str, notice_on: dt.date) -> Application:
    """Art. 33: a leader covering the section extends the deadline, once, by 20 working days,
    before it passes; `notice_on` is the day the applicant is told."""
    with transaction.atomic():
        application = _locked(user, application_id)
        if not covers(user, application):
            raise NotPermitted(_("只有分管该科室的领导可以批准延期。"))
        reason = (reason or "").strip() or application.extension_requested_reason
        if not reason:
            raise InvalidInput(_("请写明延期理由。"), fields={"reason": [_("必填。")]})
        clock = _check_extendable(application)
        _not_future(notice_on, "notice_on")
        _not_before(notice_on, application.received_on, "notice_on")
        if clock.deadline is not None and notice_on > clock.deadline:
            raise Conflict(_("延期须在原答复期限（%(date)s）届满前告知申请人。")
                           % {"date": clock.deadline})
        application.extension_requested_reason, application.extension_requested_by = "", None
        application.save(update_fields=["extension_requested_reason", "extension_requested_by"])
        return _step(application, user, K.EXTENDED, notice_on, application.status,
                     AuditAction.APPLICATION_EXTENDED,
                     {"reason": reason, "days": clocks.MAX_EXTENSION,
                      "previous_deadline": str(clock.deadline) if clock.deadline else None})


def consult_third_party(*, user, application_id: int, sent_on: dt.date,
                        third_party: str = "") -> Application:
    """Art. 32: asking a third party; up to 15 working days until its reply do not count."""
    _require_handler(user)
    with transaction.atomic():
        application = _locked(user, application_id)
        _require_status(application, S.RECEIVED,
                        _("只有办理中的申请可以征求第三方意见。"))
        _not_future(sent_on, "sent_on")
        _not_before(sent_on, clock_of(application).start, "sent_on")
        return _step(application, user, K.CONSULTATION_SENT, sent_on,
                     S.CONSULTING_THIRD_PARTY, AuditAction.THIRD_PARTY_CONSULTED,
                     {"third_party": (third_party or "").strip()})


def record_third_party_reply(*, user, application_id: int, replied_on: dt.date) -> Application:
    _require_handler(user)
    with transaction.atomic():
        application = _locked(user, application_id)
        _require_status(application, S.CONSULTING_THIRD_PARTY,
                        _("该申请没有正在征求的第三方意见。"))
        _not_future(replied_on, "replied_on")
        _not_before(replied_on, _last_event(application, K.CONSULTATION_SENT).on, "replied_on")
        return _step(application, user, K.CONSULTATION_REPLIED, replied_on, S.RECEIVED,
                     AuditAction.THIRD_PARTY_REPLIED, {})


def send_fee_notice(*, user, application_id: int, notice_on: dt.date, method: str,
                    quantity: int, period_days: int = clocks.FEE_PERIOD_DEFAULT,
                    earlier_items: int = 0) -> Application:
    """国办函〔2020〕109号: a fee for excessive volume, by one method only; the clock stops
    until payment. The computation is stored with the notice."""
    _require_handler(user)
    if method not in FeeMethod.values:
        raise InvalidInput(_("收费方式只能是按件或按页。"), fields={"method": [_("无效的选项。")]})
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise InvalidInput(_("数量须为正整数。"), fields={"quantity": [_("须为正整数。")]})
    _period(period_days, "period_days")
    try:
        fee = compute_fee(method, quantity, earlier_items=earlier_items)
    except ValueError as error:
        # fees.py explains in English for programmers; the user reads which field is wrong
        if earlier_items and method == FeeMethod.PER_PAGE:
            fields = {"earlier_items": [_("按页计费时不计本月此前件数。")]}
        else:
            fields = {"quantity": [_("数量与本月此前件数合计须为 1 至 100000。")]}
        raise InvalidInput(_("数量须为 1 至 100000 的整数；按页计费时不计本月此前件数。"),
                           fields=fields) from error
    if fee.amount <= 0:
        raise InvalidInput(_("按此数量不收取信息处理费，无需发出收费通知。"),
                           fields={"quantity": [_("未达到收费标准。")]})
    with transaction.atomic():
        application = _locked(user, application_id)
        _require_status(application, S.RECEIVED, _("只有办理中的申请可以发出收费通知。"))
        if ClockEvent.objects.filter(application=application, kind=K.FEE_NOTICE).exists():
            raise Conflict(_("该申请已发出过收费通知。"))
        _not_future(notice_on, "notice_on")
        _not_before(notice_on, application.received_on, "notice_on")
        return _step(application, user, K.FEE_NOTICE, notice_on, S.AWAITING_FEE,
                     AuditAction.FEE_NOTICE_SENT,
                     {"fee": fee.to_data(), "period_days": period_days})


def record_fee_paid(*, user, application_id: int, paid_on: dt.date) -> Application:
    _require_handler(user)
    with transaction.atomic():
        application = _locked(user, application_id)
        _require_status(application, S.AWAITING_FEE, _("该申请没有待缴的费用。"))
        _not_future(paid_on, "paid_on")
        _not_before(paid_on, _last_event(application, K.FEE_NOTICE).on, "paid_on")
        return _step(application, user, K.FEE_PAID, paid_on, S.RECEIVED, AuditAction.FEE_PAID,
                     {})


def withdraw(*, user, application_id: int, on: dt.date, reason: str) -> Application:
    """The applicant withdrew the application (撤回): handling ends; it counts as 其他."""
    _require_handler(user)
    if not (reason or "").strip():
        raise InvalidInput(_("请写明撤回情况。"), fields={"reason": [_("必填。")]})
    with transaction.atomic():
        application = _locked(user, application_id)
        _require_open(application)
        _not_future(on, "on")
        _not_before(on, application.received_on, "on")
        Reply.objects.filter(application=application, status=ReplyStatus.PENDING).update(
            status=ReplyStatus.REJECTED, decision_comment=_("申请人已撤回申请"))
        application.outcome, application.closed_on = Outcome.OTHER, on
        application.save(update_fields=["outcome", "closed_on"])
        return _step(application, user, K.CLOSED, on, S.CLOSED,
                     AuditAction.APPLICATION_WITHDRAWN, {"reason": reason.strip()})


def discard_online_application(*, user, application_id: int, reason: str) -> Application:
    """An online application never confirmed as received — spam, a duplicate of one already
    registered, one the applicant took back at once — is closed without being received: it
    has no receipt date, so it counts in no table."""
    _require_handler(user)
    if not (reason or "").strip():
        raise InvalidInput(_("请写明不予登记的原因。"), fields={"reason": [_("必填。")]})
    with transaction.atomic():
        application = _locked(user, application_id)
        _require_status(application, S.PENDING_CONFIRMATION,
                        _("只有尚未确认收到的网上申请可以不予登记。"))
        application.status, application.closed_on = S.CLOSED, today()
        application.save(update_fields=["status", "closed_on", "updated_at"])
        record(agency_id=application.agency_id, events=[Event(
            AuditAction.APPLICATION_DISCARDED, subject=application, actor=user,
            comment=reason.strip())])
    return application


# --- the reply ----------------------------------------------------------------------------

#: outcomes that end an application whose applicant did not act, and when they may be used
_NO_ACTION = {Outcome.OTHER_NO_CORRECTION: S.AWAITING_CORRECTION,
              Outcome.OTHER_NO_FEE: S.AWAITING_FEE}


def draft_reply(*, user, application_id: int, outcome: str, basis: str, text: str,
                reply_on: dt.date | None = None, competent_agency: str = "") -> Reply:
    """The handler drafts the reply: one outcome, its legal basis, the text. It is issued
    when a leader covering the section approves it (`approve_reply`)."""
    _require_handler(user)
    if outcome not in Outcome.values:
        raise InvalidInput(_("请选择一种办理结果。"), fields={"outcome": [_("无效的选项。")]})
    for name, value in (("basis", basis), ("text", text)):
        if not (value or "").strip():
            raise InvalidInput(_("请填写法律依据和答复内容。"), fields={name: [_("必填。")]})
    with transaction.atomic():
        application = _locked(user, application_id)
        if application.status == S.REPLY_PENDING_APPROVAL:
            raise Conflict(_("已有待审批的答复，请等待审批或由领导退回后再拟写。"))
        _require_open(application)
        clock = clock_of(application)
        needed = _NO_ACTION.get(outcome)
        if needed is not None:
            _check_no_action(application, clock, outcome, needed)
        elif application.status in (S.AWAITING_CORRECTION, S.AWAITING_FEE):
            raise Conflict(_("申请人尚未补正或缴费，暂不能作出该答复。"))
        elif application.status == S.CONSULTING_THIRD_PARTY and clock.stopped_by:
            raise Conflict(_("正在征求第三方意见：请先登记第三方的回复，"
                             "或待征求意见期限届满后再答复。"))
        if reply_on is not None:
            _not_before(reply_on, application.received_on, "reply_on")
        reply = Reply.objects.create(
            application=application, outcome=outcome, basis=basis.strip(), text=text.strip(),
            competent_agency=(competent_agency or "").strip(), proposed_on=reply_on,
            from_status=application.status, drafted_by=user)
        application.status = S.REPLY_PENDING_APPROVAL
        application.save(update_fields=["status", "updated_at"])
        record(agency_id=application.agency_id, events=[Event(
            AuditAction.REPLY_DRAFTED, subject=application, actor=user,
            data={"reply": reply.pk, "outcome": outcome})])
        notify_about_applications(
            get_user_model().objects.filter(leaders_covering(application.section_id))
            .exclude(pk=user.pk).distinct(),
            kind=NK.REPLY_TO_APPROVE, recipient=F("pk"), agency_id=application.agency_id,
            application_id=application.pk, title=_title(application),
            message=Outcome(outcome).label)
    return reply


def approve_reply(*, user, application_id: int, comment: str = "") -> Application:
    """A leader covering the section approves the pending reply — never their own draft.
    The reply is issued that day: its date is the approval date."""
    with transaction.atomic():
        application = _locked(user, application_id)
        reply = _pending_reply(user, application)
        on = today()
        reply.status, reply.decided_by, reply.decided_at = ReplyStatus.APPROVED, user, \
            timezone.now()
        reply.decision_comment = (comment or "").strip()
        reply.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
        application.outcome, application.replied_on = reply.outcome, on
        application.save(update_fields=["outcome", "replied_on"])
        clock_before = clock_of(application)
        _step(application, user, K.REPLIED, on, S.REPLIED, AuditAction.REPLY_APPROVED,
              {"reply": reply.pk, "outcome": reply.outcome,
               "deadline": str(clock_before.deadline) if clock_before.deadline else None,
               "on_time": (not clock_before.overdue(on)) if clock_before.deadline else None},
              comment=reply.decision_comment)
    return application


def reject_reply(*, user, application_id: int, comment: str) -> Application:
    if not (comment or "").strip():
        raise InvalidInput(_("退回须写明意见。"), fields={"comment": [_("必填。")]})
    with transaction.atomic():
        application = _locked(user, application_id)
        reply = _pending_reply(user, application)
        reply.status, reply.decided_by, reply.decided_at = ReplyStatus.REJECTED, user, \
            timezone.now()
        reply.decision_comment = comment.strip()
        reply.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
        application.status = reply.from_status
        application.save(update_fields=["status", "updated_at"])
        record(agency_id=application.agency_id, events=[Event(
            AuditAction.REPLY_REJECTED, subject=application, actor=user,
            comment=reply.decision_comment, data={"reply": reply.pk})])
        notify_about_applications(
            get_user_model().objects.filter(pk=reply.drafted_by_id),
            kind=NK.REPLY_RETURNED, recipient=F("pk"), agency_id=application.agency_id,
            application_id=application.pk, title=_title(application),
            message=reply.decision_comment)
    return application


def _pending_reply(user, application) -> Reply:
    if not covers(user, application):
        raise NotPermitted(_("只有分管该科室的领导可以审批答复。"))
    if application.status != S.REPLY_PENDING_APPROVAL:
        raise Conflict(_("该申请没有待审批的答复。"))
    reply = Reply.objects.select_for_update().get(application=application,
                                                  status=ReplyStatus.PENDING)
    if reply.drafted_by_id == user.pk:
        raise Conflict(_("不能审批自己拟写的答复，请由分管该科室的其他领导审批。"))
    return reply


def _check_no_action(application, clock, outcome, needed) -> None:
    if application.status != needed:
        raise Conflict(_("只有申请人逾期未补正或未缴费的申请，才能按此结果终止办理。"))
    due = clock.correction_due_on if outcome == Outcome.OTHER_NO_CORRECTION else clock.fee_pay_by
    if due is None or today() <= due:
        raise Conflict(_("申请人的期限（至 %(date)s）尚未届满。") % {"date": due})


# --- files: the information provided with a reply, a case's documents -------------------

def add_reply_attachment(*, user, application_id: int, uploaded) -> ReplyAttachment:
    """A file the reply provides (the information disclosed), added while the reply awaits
    approval: the leader approves the reply with its files."""
    _require_handler(user)
    check_attachment(uploaded)
    with transaction.atomic():
        application = _locked(user, application_id)
        reply = _pending_draft(application)
        attachment = ReplyAttachment(reply=reply, name=_file_name(uploaded),
                                     size=uploaded.size, uploaded_by=user)
        attachment.file.save(attachment.name, uploaded, save=False)
        attachment.save()
        record(agency_id=application.agency_id, events=[Event(
            AuditAction.REPLY_ATTACHMENT_ADDED, subject=application, actor=user,
            data={"reply": reply.pk, "name": attachment.name, "size": attachment.size})])
    return attachment


def remove_reply_attachment(*, user, application_id: int, attachment_id: int) -> None:
    _require_handler(user)
    with transaction.atomic():
        application = _locked(user, application_id)
        reply = _pending_draft(application)
        attachment = reply.attachments.filter(pk=attachment_id).first()
        if attachment is None:
            raise NotFound(_("未找到该附件。"))
        name = attachment.name
        attachment.file.delete(save=False)
        attachment.delete()
        record(agency_id=application.agency_id, events=[Event(
            AuditAction.REPLY_ATTACHMENT_REMOVED, subject=application, actor=user,
            data={"reply": reply.pk, "name": name})])


def add_case_document(*, user, case_id: int, uploaded) -> CaseDocument:
    if not manages_cases(user):
        raise NotPermitted(_("只有依申请公开承办人或机关管理员可以修改案件。"))
    check_attachment(uploaded)
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id,
                                                       agency_id=user.agency_id).first()
        if case is None:
            raise NotFound(_("未找到该案件。"))
        document = CaseDocument(case=case, name=_file_name(uploaded), size=uploaded.size,
                                uploaded_by=user)
        document.file.save(document.name, uploaded, save=False)
        document.save()
        record(agency_id=case.agency_id, events=[Event(
            AuditAction.CASE_DOCUMENT_ADDED, subject=case, actor=user,
            data={"name": document.name, "size": document.size})])
    return document


def record_file_download(*, user, subject, agency_id: int, name: str) -> None:
    """Who downloaded which file of an application or case (its own transaction)."""
    with transaction.atomic():
        record(agency_id=agency_id, events=[Event(
            AuditAction.ATTACHMENT_DOWNLOADED, subject=subject, actor=user,
            data={"name": name})])


def _pending_draft(application) -> Reply:
    reply = application.replies.filter(status=ReplyStatus.PENDING).first()
    if reply is None:
        raise Conflict(_("只能为待审批的答复添加或删除附件：请先拟写答复。"))
    return reply


def _file_name(uploaded) -> str:
    return os.path.basename(uploaded.name or "")[:255] or "file"


# --- what everyone may read, written down -------------------------------------------------

def record_full_view(*, user, application) -> None:
    """Every view of an applicant's full record is in the trail (its own transaction)."""
    with transaction.atomic():
        record(agency_id=application.agency_id, events=[Event(
            AuditAction.APPLICATION_VIEWED, subject=application, actor=user)])


def record_letter(*, user, application, kind: str) -> None:
    with transaction.atomic():
        record(agency_id=application.agency_id, events=[Event(
            AuditAction.LETTER_GENERATED, subject=application, actor=user, data={"kind": kind})])


# --- the holiday table changed --------------------------------------------------------------

def recompute_open_deadlines(*, years=None, batch: int = 500) -> int:
    """Recompute the clock of every open application (whose counting may touch `years`, when
    given) with the current holiday table; where a deadline moved, write it, put it in the
    agency's trail and tell the handler. Returns the number of applications whose clock
    changed."""
    calendar, on, changed = WorkingCalendar(), today(), 0
    candidates = Application.objects.filter(status__in=OPEN_STATUSES)
    if years:
        first, last = dt.date(min(years), 1, 1), dt.date(max(years), 12, 31)
        # counting runs from receipt to the deadline; a stopped clock's deadline is unknown
        candidates = candidates.filter(received_on__lte=last).filter(
            Q(deadline__isnull=True) | Q(deadline__gte=first) | Q(deadline_beyond_known=True))
    ids = list(candidates.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        with transaction.atomic():
            rows = (Application.objects.select_for_update().filter(pk__in=ids[start:start + batch])
                    .prefetch_related("clock_events"))
            by_agency: dict[int, list] = {}
            for application in rows:
                before = (application.deadline, application.deadline_beyond_known)
                clock = _refresh_clock(application, calendar=calendar, today=on,
                                       events=list(application.clock_events.all()))
                after = (application.deadline, application.deadline_beyond_known)
                if before == after:
                    continue
                changed += 1
                by_agency.setdefault(application.agency_id, []).append(Event(
                    AuditAction.DEADLINE_RECOMPUTED, subject=application,
                    data={"before": str(before[0]) if before[0] else None,
                          "after": str(after[0]) if after[0] else None,
                          "beyond_known_data": clock.beyond_known}))
                if application.handler_id is not None:
                    notify_about_applications(
                        get_user_model().objects.filter(pk=application.handler_id),
                        kind=NK.DEADLINE_MOVED, recipient=F("pk"),
                        agency_id=application.agency_id, application_id=application.pk,
                        title=_title(application),
                        message=_("答复期限由 %(before)s 改为 %(after)s") % {
                            "before": _date_or_unknown(*before), "after": _date_or_unknown(*after)})
            for agency_id, events in by_agency.items():
                record(agency_id=agency_id, events=events)
    return changed


def refresh_lapsed_consultations(*, on: dt.date | None = None) -> int:
    """Art. 32: a consultation stops the clock for 15 working days at most; unanswered by
    then, the clock runs again by itself, with no event to recompute the stored deadline.
    The reminder sweep calls this first, so that such applications get their deadline back
    in the queues, the overdue list and the reminders. Rows someone is acting on right now
    are skipped (their action recomputes them). Returns the number whose clock runs again."""
    on = on or today()
    # 15 working days span at least 15 days: older consultations are the only candidates
    sent = ClockEvent.objects.filter(kind=K.CONSULTATION_SENT,
                                     on__lt=on - dt.timedelta(days=clocks.CONSULTATION_LIMIT))
    calendar, running = WorkingCalendar(), 0
    with transaction.atomic():
        rows = (Application.objects.select_for_update(of=("self",), skip_locked=True)
                .filter(status=S.CONSULTING_THIRD_PARTY, clock_stopped_by=StopReason.CONSULTATION,
                        pk__in=sent.values("application_id"))
                .prefetch_related("clock_events"))
        for application in rows:
            clock = _refresh_clock(application, calendar=calendar, today=on,
                                   events=list(application.clock_events.all()))
            running += not clock.stopped_by
    return running


def _date_or_unknown(day, beyond_known) -> str:
    if day is None:
        return _("暂停计时")
    return _("无法确定") if beyond_known else day.isoformat()


# --- cases ----------------------------------------------------------------------------------

def file_case(*, user, data: dict) -> Case:
    if not manages_cases(user):
        raise NotPermitted(_("只有依申请公开承办人或机关管理员可以登记案件。"))
    if data["kind"] not in CaseKind.values:
        raise InvalidInput(_("无效的案件类型。"), fields={"kind": [_("无效的选项。")]})
    _not_future(data["filed_on"], "filed_on")
    _not_before_law(data["filed_on"], REGULATIONS_IN_FORCE, "filed_on",
                    _("立案日期不能早于 %(date)s（政府信息公开条例施行之日）。"))
    application = None
    if data.get("application") is not None:
        application = Application.objects.filter(pk=data["application"],
                                                 agency_id=user.agency_id).first()
        if application is None:
            raise InvalidInput(_("未找到所涉申请。"), fields={"application": [_("未找到。")]})
    result = data.get("result") or CaseResult.PENDING
    decided_on = data.get("decided_on")
    _check_result(result, decided_on, data["filed_on"])
    with transaction.atomic():
        case = Case.objects.create(
            agency_id=user.agency_id, kind=data["kind"], application=application,
            filed_on=data["filed_on"], body=data["body"].strip(), result=result,
            decided_on=decided_on, note=(data.get("note") or "").strip(),
            co_defendant_as_reconsideration_body=bool(
                data.get("co_defendant_as_reconsideration_body")),
            created_by=user)
        record(agency_id=user.agency_id, events=[Event(
            AuditAction.CASE_FILED, subject=case, actor=user,
            data={"kind": case.kind, "filed_on": str(case.filed_on), "body": case.body,
                  "application": application.tracking_code if application else None})])
    return case


CASE_EDITABLE = ("result", "decided_on", "body", "note", "filed_on",
                 "co_defendant_as_reconsideration_body")


def update_case(*, user, case_id: int, data: dict) -> Case:
    if not manages_cases(user):
        raise NotPermitted(_("只有依申请公开承办人或机关管理员可以修改案件。"))
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id,
                                                       agency_id=user.agency_id).first()
        if case is None:
            raise NotFound(_("未找到该案件。"))
        changes = {}
        for name in CASE_EDITABLE:
            if name in data and getattr(case, name) != data[name]:
                changes[name] = data[name]
        if not changes:
            return case
        result = changes.get("result", case.result)
        decided_on = changes.get("decided_on", case.decided_on)
        if result == CaseResult.PENDING and "result" in changes and "decided_on" not in data:
            decided_on = changes["decided_on"] = None
        filed_on = changes.get("filed_on", case.filed_on)
        _not_future(filed_on, "filed_on")
        _not_before_law(filed_on, REGULATIONS_IN_FORCE, "filed_on",
                        _("立案日期不能早于 %(date)s（政府信息公开条例施行之日）。"))
        _check_result(result, decided_on, filed_on)
        for name, value in changes.items():
            setattr(case, name, value)
        case.save()
        action = (AuditAction.CASE_DECIDED if "result" in changes or "decided_on" in changes
                  else AuditAction.CASE_UPDATED)
        record(agency_id=case.agency_id, events=[Event(
            action, subject=case, actor=user,
            data={k: (str(v) if isinstance(v, dt.date) else v) for k, v in changes.items()})])
    return case


def _check_result(result, decided_on, filed_on) -> None:
    if result not in CaseResult.values:
        raise InvalidInput(_("无效的案件结果。"), fields={"result": [_("无效的选项。")]})
    if result == CaseResult.PENDING and decided_on is not None:
        raise InvalidInput(_("尚未审结的案件不能有审结日期。"),
                           fields={"decided_on": [_("尚未审结时须为空。")]})
    if result != CaseResult.PENDING and decided_on is None:
        raise InvalidInput(_("请填写审结日期。"), fields={"decided_on": [_("必填。")]})
    if decided_on is not None:
        _not_future(decided_on, "decided_on")
        _not_before(decided_on, filed_on, "decided_on")


# --- helpers --------------------------------------------------------------------------------

def _step(application, user, kind, on, status, action, data, *, comment=""):
    """Add a clock event, move the status, recompute the clock and write the trail."""
    ClockEvent.objects.create(application=application, kind=kind, on=on, actor=user,
                              data=data)
    application.status = status
    application.save(update_fields=["status", "updated_at"])
    clock = _refresh_clock(application)
    record(agency_id=application.agency_id, events=[Event(
        action, subject=application, actor=user, comment=comment,
        data={"on": str(on), **data,
              "deadline": str(clock.deadline) if clock.deadline else None,
              "clock_stopped_by": clock.stopped_by})])
    return application


def clock_of(application, *, calendar=None, on=None, events=None) -> clocks.Clock:
    """The application's clock as of `on` (today)."""
    if events is None:
        events = application.clock_events.order_by("on", "id")
    facts = [clocks.Fact(e.kind, e.on, e.data) for e in sorted(events, key=lambda e: (e.on, e.pk))]
    return clocks.compute(facts, calendar=calendar or WorkingCalendar(), today=on or today())



def _refresh_clock(application, *, calendar=None, today=None, events=None) -> clocks.Clock:
    clock = clock_of(application, calendar=calendar, on=today, events=events)
    stored = (clock.deadline, clock.beyond_known, clock.stopped_by, clock.extended)
    if stored != (application.deadline, application.deadline_beyond_known,
                  application.clock_stopped_by, application.extended):
        (application.deadline, application.deadline_beyond_known,
         application.clock_stopped_by, application.extended) = stored
        Application.objects.filter(pk=application.pk).update(
            deadline=clock.deadline, deadline_beyond_known=clock.beyond_known,
            clock_stopped_by=clock.stopped_by, extended=clock.extended)
    return clock


def consultation_due_on(sent_on: dt.date) -> dt.date:
    """The last day a third party may reply (Art. 32: 15 working days)."""
    return WorkingCalendar().add_working_days(sent_on, clocks.CONSULTATION_LIMIT).date


def _check_extendable(application) -> clocks.Clock:
    if application.extended:
        raise Conflict(_("答复期限只能延长一次（条例第三十三条）。"))
    if application.status not in (S.RECEIVED, S.CONSULTING_THIRD_PARTY, S.AWAITING_FEE):
        raise Conflict(_("该申请当前状态不能延期。"))
    clock = clock_of(application)
    if clock.deadline is not None and today() > clock.deadline and not clock.beyond_known:
        raise Conflict(_("原答复期限（%(date)s）已届满，不能再延期。") % {"date": clock.deadline})
    return clock


def _locked(user, application_id) -> Application:
    application = (visible_applications(user).select_for_update(of=("self",))
                   .select_related("section").filter(pk=application_id).first())
    if application is None:
        raise NotFound(_("未找到该申请。"))
    return application


def _last_event(application, kind) -> ClockEvent:
    return application.clock_events.filter(kind=kind).order_by("-on", "-id").first()


def _require_handler(user) -> None:
    if not is_handler(user):
        raise NotPermitted(_("只有依申请公开承办人可以执行此操作。"))


def _require_open(application) -> None:
    if application.status == S.PENDING_CONFIRMATION:
        raise Conflict(_("该申请尚未确认收到：请先确认收到，再办理。"))
    if application.status not in OPEN_STATUSES:
        raise Conflict(_("该申请已办结。"))


def _require_status(application, status, message) -> None:
    if application.status != status:
        raise Conflict(message + " " + _("当前状态：%(status)s。") % {
            "status": application.get_status_display()})


def _not_future(value, field) -> None:
    if value > today():
        raise InvalidInput(_("日期不能晚于今天。"), fields={field: [_("不能晚于今天。")]})


def _not_before(value, earliest, field) -> None:
    if earliest is not None and value < earliest:
        raise InvalidInput(_("日期不能早于 %(date)s。") % {"date": earliest},
                           fields={field: [_("不能早于 %(date)s。") % {"date": earliest}]})


def _not_before_law(value, first_day, field, message) -> None:
    if value < first_day:
        raise InvalidInput(message % {"date": first_day},
                           fields={field: [_("不能早于 %(date)s。") % {"date": first_day}]})


def _period(days, field) -> None:
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 60:
        raise InvalidInput(_("期限须为 1 至 60 个工作日。"), fields={field: [_("须为 1 至 60。")]})


def _section(agency_id, code_or_id) -> Section:
    qs = Section.objects.filter(agency_id=agency_id)
    section = (qs.filter(pk=code_or_id) if isinstance(code_or_id, int)
               else qs.filter(code=code_or_id)).first()
    if section is None:
        raise InvalidInput(_("本机关没有该科室。"), fields={"section": [_("未找到该科室。")]})
    return section


def _handler(agency_id, username_or_id):
    if username_or_id in (None, ""):
        return None
    people = get_user_model().objects.filter(agency_id=agency_id, is_active=True)
    person = (people.filter(pk=username_or_id) if isinstance(username_or_id, int)
              else people.filter(username=username_or_id)).first()
    if person is None or not person.has_role(Role.APPLICATION_HANDLER):
        raise InvalidInput(_("承办人须为本机关的依申请公开承办人。"),
                           fields={"handler": [_("不是本机关的依申请公开承办人。")]})
    return person


def _title(application) -> str:
    content = " ".join(application.content.split())
    return f"{application.tracking_code} {content[:80]}"


def _notify_assigned(application, *, actor) -> None:
    if application.handler_id == getattr(actor, "pk", None):
        return
    notify_about_applications(
        get_user_model().objects.filter(pk=application.handler_id),
        kind=NK.APPLICATION_ASSIGNED, recipient=F("pk"), agency_id=application.agency_id,
        application_id=application.pk, title=_title(application))

