"""The 依申请公开 pages: the register with its intake form and the online applications to
confirm, the handler's queue, the case page with a form per action its state allows, the
day-by-day account of the deadline, the leader's approvals and the case register.

Thin: reads come from applications.selectors, every change goes through
applications.services. Whoever may not see an application (another agency's, a section a
leader does not cover) gets 404; a service's refusal is a message on the page, never a 500.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from agencies.models import Role
from applications import clock as clocks
from applications import selectors, services
from applications.fees import compute_fee
from applications.models import OPEN_STATUSES, ApplicationStatus, ClockEventKind, ReplyStatus
from applications.permissions import covers, is_handler, manages_cases
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from core.pagination import ObjectWindowPaginator
from workdays.calendar import WorkingCalendar

from . import application_display as display
from .application_forms import (
    ApproveReplyForm,
    AssignForm,
    CaseForm,
    CaseUpdateForm,
    CaseYearForm,
    ConfirmReceiptForm,
    ConsultForm,
    CorrectionForm,
    CorrectionReceivedForm,
    DiscardForm,
    ExtendForm,
    ExtensionRequestForm,
    FeeNoticeForm,
    FeePaidForm,
    RegisterFilterForm,
    RegisterForm,
    RejectReplyForm,
    ReplyForm,
    ThirdPartyRepliedForm,
    WithdrawForm,
    routing_for,
)
from .forms import add_service_errors

PAGE_SIZE = 20
PENDING_SHOWN = 20
S = ApplicationStatus


# ---------------------------------------------------------------- helpers

def _application_or_404(user, pk):
    application = selectors.application_for(user, pk)
    if application is None:
        raise Http404
    return application


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _rows(applications) -> list[dict]:
    """List rows: the masked data, the application and its coloured deadline."""
    rows = []
    for item in selectors.listed(applications):
        data = selectors.application_data(item)
        rows.append({"data": data, "application": item.application,
                     "badge": display.deadline_badge(data)})
    return rows


def _page(request, queryset):
    return ObjectWindowPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# ---------------------------------------------------------------- the register

@login_required
def register(request):
    """Every application of the agency the person may see, newest first, with the online
    applications waiting for confirmation above."""
    user, today = request.user, services.today()
    form = RegisterFilterForm(request.GET or None, this_year=today.year)
    filters = form.filters()
    qs = selectors.applications_for(
        user, status=filters.get("status"), year=filters.get("year"),
        overdue=filters.get("overdue", False), search=filters.get("q", ""))
    page = _page(request, selectors.with_clock_events(qs))
    pending = list(selectors.with_clock_events(
        selectors.applications_for(user, status=S.PENDING_CONFIRMATION))[:PENDING_SHOWN + 1])
    handler = is_handler(user)
    routing = routing_for(user) if handler and pending else None
    pending_rows = _rows(pending[:PENDING_SHOWN])
    for row in pending_rows:
        row["confirm_form"] = (ConfirmReceiptForm(
            routing=routing, auto_id=f"confirm_{row['application'].pk}_%s",
            initial={"received_on": today}) if handler else None)
    return render(request, "webui/applications/register.html", {
        "form": form, "filtered": bool(filters), "page": page, "rows": _rows(page.object_list),
        "pending": pending_rows, "more_pending": len(pending) > PENDING_SHOWN,
        "is_handler": handler,
    })


@login_required
def new(request):
    """The registrar's intake form (登记申请)."""
    user = request.user
    _require(is_handler(user))
    initial = {"received_on": services.today(),
               "section": user.section.code if user.section_id else ""}
    form = RegisterForm(request.POST or None, routing=routing_for(user), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.register_application(user=user, data=form.service_data())
        except InvalidInput as error:
            add_service_errors(form, error)
        except (NotPermitted, Conflict) as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("已登记，申请编号 %(code)s。") % {
                "code": application.tracking_code})
            return redirect("webui:applications:detail", pk=application.pk)
    return render(request, "webui/applications/new.html", {"form": form},
                  status=422 if form.errors else 200)


# ---------------------------------------------------------------- the queues

@login_required
def queue(request):
    """The handler's open applications, nearest deadline first (stopped clocks last)."""
    user = request.user
    _require(is_handler(user))
    qs = selectors.applications_for(user, handler=user, order="deadline")
    page = _page(request, selectors.with_clock_events(qs))
    return render(request, "webui/applications/queue.html", {
        "page": page, "rows": _rows(page.object_list)})


@login_required
def approvals(request):
    """Replies and extension requests waiting for a leader covering their section."""
    user = request.user
    _require(user.has_role(Role.LEADER))
    page = _page(request, selectors.awaiting_approval(user))
    rows = _rows(page.object_list)
    for row in rows:
        application = row["application"]
        reply = application.pending_replies[0] if application.pending_replies else None
        row["reply"] = reply
        row["own_reply"] = reply is not None and reply.drafted_by_id == user.pk
        row["extension"] = application.extension_requested_by_id is not None
    return render(request, "webui/applications/approvals.html", {"page": page, "rows": rows})


# ---------------------------------------------------------------- the case page

@dataclass(frozen=True)
class Action:
    """One action on an application: its form, the service it calls and what it says."""

    form: type
    service: Any
    done: str
    routed: bool = False
    #: irreversible: a confirmation page comes first
    confirm: str = ""

    def bind(self, data, routing, **kwargs):
        if self.routed:
            kwargs["routing"] = routing
        return self.form(data, **kwargs)

    @staticmethod
    def kwargs(form) -> dict:
        if hasattr(form, "service_kwargs"):
            return form.service_kwargs()
        return dict(form.cleaned_data)


ACTIONS = {
    "confirm-receipt": Action(ConfirmReceiptForm, services.confirm_receipt,
                              gettext_lazy("已确认收到，开始计算答复期限。"), routed=True),
    "discard": Action(DiscardForm, services.discard_online_application,
                      gettext_lazy("该网上申请已不予登记。"),
                      confirm=gettext_lazy("不予登记后该申请即关闭，不计入任何统计，不能恢复。")),
    "assign": Action(AssignForm, services.assign, gettext_lazy("已分派。"), routed=True),
    "request-correction": Action(CorrectionForm, services.request_correction,
                                 gettext_lazy("已登记补正告知，时钟暂停。"),
                                 confirm=gettext_lazy("补正告知只能发出一次（条例第三十条），"
                                                      "发出后时钟暂停，不能撤回。")),
    "correction-received": Action(CorrectionReceivedForm, services.record_correction,
                                  gettext_lazy("已登记收到补正，答复期限重新计算。")),
    "request-extension": Action(ExtensionRequestForm, services.request_extension,
                                gettext_lazy("已申请延期，等待分管领导审批。")),
    "extend": Action(ExtendForm, services.extend, gettext_lazy("已批准延期。"),
                     confirm=gettext_lazy("延期只能批准一次（条例第三十三条），批准后答复期限"
                                          "延长 20 个工作日，不能撤销。")),
    "consult": Action(ConsultForm, services.consult_third_party,
                      gettext_lazy("已登记征求第三方意见，期间不计入答复期限。")),
    "third-party-replied": Action(ThirdPartyRepliedForm, services.record_third_party_reply,
                                  gettext_lazy("已登记第三方回复，恢复计时。")),
    "fee-notice": Action(FeeNoticeForm, services.send_fee_notice,
                         gettext_lazy("已登记收费通知，缴费前时钟暂停。"),
                         confirm=gettext_lazy("收费通知只能发出一次，发出后申请人缴费前时钟暂停，"
                                              "不能撤回。")),
    "fee-paid": Action(FeePaidForm, services.record_fee_paid,
                       gettext_lazy("已登记缴费，恢复计时。")),
    "withdraw": Action(WithdrawForm, services.withdraw, gettext_lazy("已登记撤回，申请终止办理。"),
                       confirm=gettext_lazy("登记撤回后申请即终止办理，不能恢复。")),
    "reply": Action(ReplyForm, services.draft_reply, gettext_lazy("答复已提交分管领导审批。")),
    "approve-reply": Action(ApproveReplyForm, services.approve_reply,
                            gettext_lazy("已批准，答复已发出。"),
                            confirm=gettext_lazy("批准后答复即发出，答复日期为今天，不能撤回。")),
    "reject-reply": Action(RejectReplyForm, services.reject_reply,
                           gettext_lazy("已退回承办人修改。")),
}

EXTENDABLE = (S.RECEIVED, S.CONSULTING_THIRD_PARTY, S.AWAITING_FEE)


def allowed_actions(user, application, clock, events) -> set[str]:
    """The actions the application's state lets this person take (the services check again)."""
    status, handler = application.status, is_handler(user)
    leader = covers(user, application)
    kinds = {event.kind for event in events}
    allowed = set()
    if handler:
        if status == S.PENDING_CONFIRMATION:
            allowed |= {"confirm-receipt", "discard"}
        if status in OPEN_STATUSES:
            allowed |= {"assign", "withdraw"}
            if status != S.REPLY_PENDING_APPROVAL:
                allowed.add("reply")
        if status == S.RECEIVED:
            allowed.add("consult")
            if not clock.correction_requested:
                allowed.add("request-correction")
            if ClockEventKind.FEE_NOTICE not in kinds:
                allowed.add("fee-notice")
        if status == S.AWAITING_CORRECTION:
            allowed.add("correction-received")
        if status == S.CONSULTING_THIRD_PARTY:
            allowed.add("third-party-replied")
        if status == S.AWAITING_FEE:
            allowed.add("fee-paid")
        if (status in EXTENDABLE and not application.extended
                and application.extension_requested_by_id is None):
            allowed.add("request-extension")
    if leader:
        if status in EXTENDABLE and not application.extended:
            allowed.add("extend")
        if status == S.REPLY_PENDING_APPROVAL:
            allowed |= {"approve-reply", "reject-reply"}
    return allowed


def _initial(name, application, today) -> dict:
    dated = {"confirm-receipt": "received_on", "request-correction": "notice_on",
             "correction-received": "received_on", "extend": "notice_on", "consult": "sent_on",
             "third-party-replied": "replied_on", "fee-notice": "notice_on",
             "fee-paid": "paid_on", "withdraw": "on"}
    initial = {dated[name]: today} if name in dated else {}
    if name in ("assign", "confirm-receipt"):
        initial["section"] = application.section.code if application.section_id else ""
        initial["handler"] = application.handler.username if application.handler_id else ""
    if name == "extend":
        initial["reason"] = application.extension_requested_reason
    return initial


DOCUMENTS = (
    ("receipt", gettext_lazy("申请登记回执")),
    ("correction", gettext_lazy("补正告知书")),
    ("extension", gettext_lazy("延期答复告知书")),
    ("consultation", gettext_lazy("征求第三方意见书")),
    ("fee", gettext_lazy("收费通知书")),
    ("reply", gettext_lazy("答复书（告知书）")),
)


def _documents(application, clock, events, replies) -> list[dict]:
    """The letters of the steps taken so far, generated by the API on the way."""
    kinds = {event.kind for event in events}
    present = {
        "receipt": application.received_on is not None,
        "correction": clock.correction_requested,
        "extension": clock.extended,
        "consultation": ClockEventKind.CONSULTATION_SENT in kinds,
        "fee": ClockEventKind.FEE_NOTICE in kinds,
        "reply": any(r.status != ReplyStatus.REJECTED for r in replies),
    }
    return [{"kind": kind, "label": label,
             "url": reverse("application-documents", kwargs={"pk": application.pk,
                                                             "kind": kind})}
            for kind, label in DOCUMENTS if present[kind]]


def _case_page(request, application, *, bound=None, fee_preview=None, status=200):
    """`bound`: an action's bound form to show with its errors (or its fee preview)."""
    user, today = request.user, services.today()
    item = selectors.shown([application], user=user)[0]
    if item.full:
        services.record_full_view(user=user, application=application)
    data = selectors.application_data(item, detail=True)
    events = list(application.clock_events.all())
    replies = list(application.replies.all())
    allowed = allowed_actions(user, application, item.clock, events) | set(bound or {})
    routing = (routing_for(user) if allowed & {n for n, a in ACTIONS.items() if a.routed}
               else None)
    forms = {}
    for name in allowed:
        if bound and name in bound:
            form = bound[name]
        else:
            form = ACTIONS[name].bind(None, routing, initial=_initial(name, application, today),
                                      auto_id=f"{name}_%s")
        forms[name.replace("-", "_")] = form
    pending = next((r for r in replies if r.status == ReplyStatus.PENDING), None)
    return render(request, "webui/applications/detail.html", {
        "application": application, "data": data, "full": item.full, "clock": item.clock,
        "badge": display.deadline_badge(data),
        "history": display.history_rows(data["clock"], events),
        "replies": replies, "pending_reply": pending,
        "own_pending_reply": pending is not None and pending.drafted_by_id == user.pk,
        "documents": _documents(application, item.clock, events, replies) if item.full else [],
        "forms": forms, "fee_preview": fee_preview, "is_handler": is_handler(user),
        "stop_label": display.stop_label(data["clock_stopped_by"])
        if data["clock_stopped_by"] else "",
        "deemed_note": display.start_note(item.clock) if item.clock.deemed else "",
    }, status=status)


@login_required
def detail(request, pk):
    return _case_page(request, _application_or_404(request.user, pk))


@login_required
def act(request, pk, action):
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    user = request.user
    application = _application_or_404(user, pk)
    if request.method != "POST":
        # a form with a mistake comes back at this address; reloading it from the address
        # bar or switching the language there asks for it without a POST
        return redirect("webui:applications:detail", pk=application.pk)
    form = spec.bind(request.POST, routing_for(user) if spec.routed else None,
                     auto_id=f"{action}_%s")
    if not form.is_valid():
        return _case_page(request, application, bound={action: form}, status=422)
    if action == "fee-notice" and "preview" in request.POST:
        fee = compute_fee(form.cleaned_data["method"], form.cleaned_data["quantity"])
        return _case_page(request, application, bound={action: form}, fee_preview={
            "amount": fee.amount, "lines": display.fee_lines(fee.to_data())})
    if spec.confirm and request.POST.get("confirmed") != "1":
        return _confirm_page(request, application, action, spec)
    try:
        spec.service(user=user, application_id=application.pk, **spec.kwargs(form))
    except InvalidInput as error:
        add_service_errors(form, error)
        return _case_page(request, application, bound={action: form}, status=422)
    except NotFound as error:
        raise Http404 from error
    except (Conflict, NotPermitted) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, str(spec.done))
    return redirect("webui:applications:detail", pk=application.pk)


def _confirm_page(request, application, action, spec):
    replies = list(application.replies.all())
    return render(request, "webui/applications/confirm.html", {
        "application": application, "action": action, "warning": spec.confirm,
        "pending_reply": next((r for r in replies if r.status == ReplyStatus.PENDING), None),
        "today": services.today(),
        "fields": [(name, value) for name, value in request.POST.items()
                   if name not in ("csrfmiddlewaretoken", "confirmed")],
    })


@login_required
def days(request, pk):
    """期限计算明细: every day from the start of counting to the deadline, counted or why not."""
    application = _application_or_404(request.user, pk)
    events = list(application.clock_events.all())
    today = services.today()
    clock, days = clocks.explain(display.facts_of(events), calendar=WorkingCalendar(),
                                 today=today)
    rows = display.day_rows(clock, days, events, today=today)
    return render(request, "webui/applications/days.html", {
        "application": application, "clock": clock, "rows": rows, "today": today,
        "notes": display.notes(clock),
        "history": display.history_rows(
            [{"event": e.event, "on": e.on, "days_used": e.days_used,
              "deadline": None if e.deadline_unknown else e.deadline}
             for e in clock.history], events),
        "unknown_days": sum(1 for row in rows if not row["known"]),
    })


# ---------------------------------------------------------------- the case register

@login_required
def cases(request):
    """复议诉讼: the register by year; handlers and agency admins file cases here."""
    user, today = request.user, services.today()
    manages = manages_cases(user)
    if request.method == "POST":
        _require(manages)
    year_form = CaseYearForm(request.GET or None, this_year=today.year)
    filters = year_form.filters()
    form = (CaseForm(request.POST or None, initial={"filed_on": today}) if manages else None)
    if request.method == "POST" and form.is_valid():
        case = _file_case(request, form)
        if case is not None:
            messages.success(request, _("已登记案件。"))
            return redirect("webui:applications:cases")
    page = _page(request, selectors.cases_for(user, year=filters.get("year")))
    return render(request, "webui/applications/cases.html", {
        "year_form": year_form, "filtered": bool(filters), "page": page,
        "rows": [{"data": selectors.case_data(case), "case": case} for case in page],
        "form": form, "manages": manages,
    }, status=422 if form is not None and form.errors else 200)


def _file_case(request, form):
    data = dict(form.cleaned_data)
    code = data.pop("tracking_code")
    application = selectors.application_by_code(request.user, code) if code else None
    if code and application is None:
        form.add_error("tracking_code", _("未找到该申请编号。"))
        return None
    data["application"] = application.pk if application else None
    try:
        return services.file_case(user=request.user, data=data)
    except InvalidInput as error:
        add_service_errors(form, error, renamed={"application": "tracking_code"})
    except (NotPermitted, Conflict) as error:
        form.add_error(None, error.message)
    return None


@login_required
def case_edit(request, case_id):
    user = request.user
    case = selectors.cases_for(user).filter(pk=case_id).first()
    if case is None:
        raise Http404
    _require(manages_cases(user))
    initial = {name: getattr(case, name) for name in CaseUpdateForm.base_fields}
    form = CaseUpdateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_case(user=user, case_id=case.pk, data=form.cleaned_data)
        except InvalidInput as error:
            add_service_errors(form, error)
        except NotFound as error:
            raise Http404 from error
        except (NotPermitted, Conflict) as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("已保存案件。"))
            return redirect("webui:applications:cases")
    return render(request, "webui/applications/case_edit.html", {
        "case": case, "data": selectors.case_data(case), "form": form, "manages": True},
        status=422 if form.errors else 200)


# ---------------------------------------------------------------- files

@require_POST
@login_required
def reply_file_add(request, pk):
    """Add a file (the information provided) to the pending reply."""
    application = _application_or_404(request.user, pk)
    uploaded = request.FILES.get("file")
    if uploaded is None:
        messages.error(request, _("请选择要上传的文件。"))
    else:
        _file_step(request, lambda: services.add_reply_attachment(
            user=request.user, application_id=application.pk, uploaded=uploaded),
            _("附件已添加。"))
    return redirect(reverse("webui:applications:detail", kwargs={"pk": application.pk})
                    + "#replies")


@require_POST
@login_required
def reply_file_remove(request, pk, file_id):
    application = _application_or_404(request.user, pk)
    _file_step(request, lambda: services.remove_reply_attachment(
        user=request.user, application_id=application.pk, attachment_id=file_id),
        _("附件已删除。"))
    return redirect(reverse("webui:applications:detail", kwargs={"pk": application.pk})
                    + "#replies")


@login_required
def reply_file(request, pk, file_id):
    """A reply's file, to those who see the applicant's data (each download audited)."""
    application = _application_or_404(request.user, pk)
    item = selectors.shown([application], user=request.user)[0]
    _require(item.full)
    attachment = selectors.reply_attachment(application, file_id)
    if attachment is None:
        raise Http404
    return _download(request, attachment, subject=application, agency_id=application.agency_id)


@require_POST
@login_required
def case_file_add(request, case_id):
    uploaded = request.FILES.get("file")
    if uploaded is None:
        messages.error(request, _("请选择要上传的文件。"))
    else:
        _file_step(request, lambda: services.add_case_document(
            user=request.user, case_id=case_id, uploaded=uploaded), _("材料已添加。"))
    return redirect("webui:applications:case-edit", case_id=case_id)


@login_required
def case_file(request, case_id, file_id):
    case = selectors.cases_for(request.user).filter(pk=case_id).first()
    document = case.documents.filter(pk=file_id).first() if case else None
    if document is None:
        raise Http404
    return _download(request, document, subject=case, agency_id=case.agency_id)


def _file_step(request, step, done) -> None:
    try:
        step()
    except NotFound as error:
        raise Http404 from error
    except InvalidInput as error:
        messages.error(request, " ".join([error.message, *(
            str(m) for messages_ in error.fields.values() for m in messages_)]))
    except (Conflict, NotPermitted) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)


def _download(request, stored, *, subject, agency_id):
    try:
        handle = stored.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    services.record_file_download(user=request.user, subject=subject, agency_id=agency_id,
                                  name=stored.name)
    return FileResponse(handle, as_attachment=True, filename=stored.name)
