"""Reading applications and cases: the lists (the handler's queue by deadline, the overdue
list, the register), an application as the API and the pages show it, and its clock."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Prefetch, Q

from agencies.models import Role
from workdays.calendar import WorkingCalendar

from . import clock as clocks
from .masking import PERSONAL_FIELDS, masked
from .models import (
    OPEN_STATUSES,
    Application,
    ApplicationStatus,
    ClockEvent,
    ClockEventKind,
    Reply,
    ReplyStatus,
)
from .permissions import sees_personal_data_of, visible_applications, visible_cases
from .services import clock_of, today


def applications_for(user, *, status: str | None = None, year: int | None = None,
                     overdue: bool = False, handler=None, section: str | None = None,
                     search: str = "", order: str = ""):
    """The applications `user` may see, filtered. `order="deadline"` gives the handler's
    queue: the nearest deadline first, stopped clocks (no deadline) after."""
    qs = visible_applications(user)
    if status:
        qs = qs.filter(status=status)
    if year:
        qs = qs.filter(Q(received_on__year=year)
                       | Q(received_on__isnull=True, submitted_at__year=year))
    if overdue:
        qs = overdue_filter(qs, on=today())
    if handler is not None:
        qs = qs.filter(handler=handler)
    if section:
        qs = qs.filter(section__code=section)
    if search:
        term = search.strip()
        # the code as read over the phone: whole, or its last characters (7K3QXD)
        qs = qs.filter(Q(tracking_code__icontains=term) | Q(content__icontains=term))
    if order == "deadline":
        qs = qs.filter(status__in=OPEN_STATUSES).order_by(
            F("deadline").asc(nulls_last=True), "id")
    else:
        qs = qs.order_by("-submitted_at", "-id")
    return qs


def overdue_filter(qs, *, on: dt.date):
    return qs.filter(status__in=OPEN_STATUSES, deadline__lt=on, deadline_beyond_known=False,
                     clock_stopped_by="")


def with_clock_events(qs):
    return qs.select_related("section", "handler").prefetch_related(
        Prefetch("clock_events", queryset=ClockEvent.objects.order_by("on", "id")))


@dataclass(frozen=True)
class Shown:
    """An application with its clock, ready to show."""

    application: Application
    clock: clocks.Clock
    full: bool


def shown(applications, *, user, on: dt.date | None = None) -> list[Shown]:
    """The applications (with prefetched clock events) with their clocks, one calendar."""
    applications = list(applications)
    if not applications:
        return []
    return _with_clocks(applications, on=on, full=sees_personal_data_of(user))


def listed(applications, *, on: dt.date | None = None) -> list[Shown]:
    """`shown` for lists and queues, where everyone sees the applicant's data masked: the
    same clocks (one calendar), without asking row by row who works on which application."""
    return _with_clocks(applications, on=on, full=lambda application: False)


def _with_clocks(applications, *, on, full) -> list[Shown]:
    calendar, on = WorkingCalendar(), on or today()
    return [Shown(a, clock_of(a, calendar=calendar, on=on, events=list(a.clock_events.all())),
                  full(a)) for a in applications]


def awaiting_approval(user):
    """The open applications of the sections `user` covers as a leader that wait for a
    leader's decision — a reply to approve or a requested extension — nearest deadline
    first, each with `pending_replies` (the pending draft and its drafter) prefetched."""
    if not user.is_authenticated or not user.has_role(Role.LEADER):
        return Application.objects.none()
    waiting = (Q(status=ApplicationStatus.REPLY_PENDING_APPROVAL)
               | Q(status__in=OPEN_STATUSES, extension_requested_by__isnull=False))
    return (with_clock_events(visible_applications(user)
                              .filter(section__in=user.covered_sections.all()).filter(waiting))
            .select_related("extension_requested_by")
            .prefetch_related(Prefetch(
                "replies", to_attr="pending_replies",
                queryset=Reply.objects.filter(status=ReplyStatus.PENDING)
                .select_related("drafted_by")))
            .order_by(F("deadline").asc(nulls_last=True), "id"))


def application_by_code(user, tracking_code: str) -> Application | None:
    """The application with this tracking code, if `user` may see it."""
    code = (tracking_code or "").strip()
    if not code:
        return None
    return visible_applications(user).filter(tracking_code__iexact=code).first()


def application_data(item: Shown, *, detail: bool = False, on: dt.date | None = None) -> dict:
    a, c, on = item.application, item.clock, on or today()
    personal = ({f: getattr(a, f) for f in PERSONAL_FIELDS} if item.full and detail
                else masked(a))
    data = {
        "id": a.pk, "tracking_code": a.tracking_code, "status": a.status,
        "status_label": a.get_status_display(), "received_via": a.received_via,
        "received_on": a.received_on, "submitted_at": a.submitted_at,
        "applicant_type": a.applicant_type, **personal,
        "content": a.content, "delivery_form": a.delivery_form,
        "delivery_method": a.delivery_method,
        "section": a.section.code if a.section_id else None,
        "handler": a.handler.get_username() if a.handler_id else None,
        **clock_data(c, on=on, open_=a.is_open),
        "extension_requested": bool(a.extension_requested_by_id),
        "outcome": a.outcome or None, "replied_on": a.replied_on, "closed_on": a.closed_on,
        "personal_data": "full" if item.full and detail else "masked",
    }
    if detail:
        data["clock"] = [{"event": e.event, "on": e.on, "days_used": e.days_used,
                          "deadline": None if e.deadline_unknown else e.deadline}
                         for e in c.history]
        data["replies"] = [reply_data(r) for r in a.replies.all()]
        data["fee"] = fee_data(a)
    return data


def fee_data(application) -> dict | None:
    """The fee computation stored with the (one) fee notice, as the applicant was told it;
    from the prefetched clock events."""
    notice = next((e for e in application.clock_events.all()
                   if e.kind == ClockEventKind.FEE_NOTICE), None)
    return notice.data.get("fee") if notice is not None else None


def clock_data(c: clocks.Clock, *, on: dt.date, open_: bool = True) -> dict:
    unknown = c.deadline is not None and c.beyond_known
    return {
        # never a guess: a deadline past the known holiday data is null and flagged
        "deadline": None if unknown else c.deadline,
        "deadline_unknown": unknown,
        "first_unknown_day": c.first_unknown_day if unknown else None,
        "deemed_received_on": c.start if c.deemed else None,
        "days_used": c.days_used if c.start else None,
        "days_left": c.days_left if c.start and not unknown else None,
        "allowance": c.allowance,
        "extended": c.extended,
        "clock_stopped_by": c.stopped_by or None,
        "overdue": bool(open_ and c.overdue(on)),
        "correction_notice_by": c.correction_notice_by,
        "correction_due_on": c.correction_due_on,
        "consultation_ends_on": c.consultation_ends_on,
        "fee_pay_by": c.fee_pay_by,
    }


def file_data(stored) -> dict:
    return {"id": stored.pk, "name": stored.name, "size": stored.size}


def reply_attachment(application, attachment_id: int):
    from .models import ReplyAttachment

    return ReplyAttachment.objects.filter(reply__application=application,
                                          pk=attachment_id).first()


def reply_data(reply: Reply) -> dict:
    return {"id": reply.pk, "outcome": reply.outcome, "basis": reply.basis, "text": reply.text,
            "attachments": [file_data(a) for a in reply.attachments.all()],
            "competent_agency": reply.competent_agency, "status": reply.status,
            "drafted_by": reply.drafted_by.get_username(), "drafted_at": reply.drafted_at,
            "decided_by": reply.decided_by.get_username() if reply.decided_by_id else None,
            "decided_at": reply.decided_at, "comment": reply.decision_comment}


def application_for(user, application_id: int) -> Application | None:
    return (with_clock_events(visible_applications(user))
            .prefetch_related("replies__drafted_by", "replies__decided_by",
                              "replies__attachments")
            .filter(pk=application_id).first())


def cases_for(user, *, year: int | None = None):
    qs = visible_cases(user).select_related("application").prefetch_related("documents")
    if year:
        qs = qs.filter(filed_on__year=year)
    return qs.order_by("-filed_on", "-id")


def case_data(case) -> dict:
    return {"id": case.pk, "kind": case.kind, "application": case.application_id,
            "application_tracking_code": case.application.tracking_code
            if case.application_id else None,
            "filed_on": case.filed_on, "body": case.body, "result": case.result,
            "decided_on": case.decided_on, "note": case.note,
            "co_defendant_as_reconsideration_body": case.co_defendant_as_reconsideration_body,
            "documents": [file_data(d) for d in case.documents.all()]}


# --- the figures of the annual report's tables 三 and 四 ----------------------------------

@dataclass(frozen=True)
class Table3:
    """Table 三 of one agency and year, by applicant type (the six columns)."""

    year: int
    new: dict  # 一、本年新收: received this year
    carried_in: dict  # 二、上年结转: received earlier, still open on 1 January
    results: dict  # 三、办理结果: {outcome: {applicant type: n}}, ended this year
    carried_out: dict  # 四、结转下年度继续办理: received by 31 December, still open then

    def result_total(self, applicant_type: str) -> int:
        return sum(by_type.get(applicant_type, 0) for by_type in self.results.values())


def table3_counts(*, agency_id: int, year: int) -> Table3:
    """Counted from the register: an application counts in the year of its reply (the
    approval date) or closure; one still open at the year's end is carried to the next.
    So per column 一 + 二 = 三(七) + 四 holds by construction, for every column."""
    from django.db.models import Count

    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    received = Application.objects.filter(agency_id=agency_id, received_on__isnull=False)
    ended_on = Q(replied_on__isnull=False) | Q(closed_on__isnull=False)

    def by_type(qs) -> dict:
        return dict(qs.order_by().values_list("applicant_type").annotate(n=Count("pk")))

    def open_on(day):  # received by `day`, not ended by then
        return received.filter(received_on__lte=day).exclude(
            Q(replied_on__lte=day) | Q(closed_on__lte=day))

    results: dict = {}
    ended = received.filter(ended_on).filter(
        Q(replied_on__gte=first, replied_on__lte=last)
        | Q(replied_on__isnull=True, closed_on__gte=first, closed_on__lte=last))
    for outcome, applicant_type, n in (ended.order_by().values_list("outcome", "applicant_type")
                                       .annotate(n=Count("pk"))):
        results.setdefault(outcome, {})[applicant_type] = n
    return Table3(
        year=year,
        new=by_type(received.filter(received_on__gte=first, received_on__lte=last)),
        carried_in=by_type(open_on(first - dt.timedelta(days=1))),
        results=results,
        carried_out=by_type(open_on(last)))


def table4_counts(*, agency_id: int, year: int) -> dict:
    """Table 四: {kind: {result: n}} of the cases filed in `year`, as their results stand
    now; a suit in which this agency is only the reconsideration body sued as co-defendant
    counts for the original agency, not here."""
    from django.db.models import Count

    from .models import Case

    rows = (Case.objects.filter(agency_id=agency_id, filed_on__year=year,
                                co_defendant_as_reconsideration_body=False)
            .order_by().values_list("kind", "result").annotate(n=Count("pk")))
    counts: dict = {}
    for kind, result, n in rows:
        counts.setdefault(kind, {})[result] = n
    return counts


def fees_charged(*, agency_id: int, year: int) -> tuple[int, Decimal]:
    """Information-processing fees paid in `year` (the count and the yuan), as the fee
    notices computed them (section 六 of the annual report)."""
    paid = list(ClockEvent.objects.filter(
        application__agency_id=agency_id, kind=ClockEventKind.FEE_PAID, on__year=year)
        .values_list("application_id", flat=True))
    if not paid:
        return 0, Decimal(0)
    notices = {}
    for application_id, data in (ClockEvent.objects.filter(
            application_id__in=paid, kind=ClockEventKind.FEE_NOTICE)
            .order_by("on", "id").values_list("application_id", "data")):
        notices[application_id] = Decimal(str((data.get("fee") or {}).get("amount", "0")))
    return len(paid), sum(notices.values(), Decimal(0))
