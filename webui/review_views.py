"""The reviewers' pages: the queue, my claimed tasks, and one task with its decisions.

Thin: lists come from workflow.selectors, every change goes through workflow.services
(decisions) or scanning.services (dismissing a pre-scan finding).
A decision that lost a race (someone else claimed or finished the task first) says so
plainly and goes back to the queue; nothing here ever answers 500 to a person's input.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Q, prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from audit.selectors import timeline
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted, StaleContent
from core.pagination import WindowPaginator
from publications.lifecycle import step_title
from publications.selectors import abolished_documents, abolishes_any, can_see
from scanning.extract import PARTIAL, TOO_LARGE
from scanning.services import current_report, unscanned_data
from workdays.deadlines import art26_due_many
from workflow import services
from workflow.flows import ReviewFlow
from workflow.models import Decision, ReviewProcess, WithholdBasis
from workflow.permissions import (
    LEADERSHIP_REVIEW,
    REVIEW_STEPS,
    SECRECY_REVIEW,
    refusal,
    take_back_refusal,
)
from workflow.phrases import comment_phrases
from workflow.selectors import (
    actionable_tasks,
    as_queue_rows,
    decided_tasks,
    in_queue_order,
    may_take_back,
    next_task_for,
    queue_rows,
    stands_in_today,
    tasks_held_by_colleagues,
    tasks_in_order,
    with_review_context,
    with_stand_in,
)

from .attachment_response import may_show_inline
from .forms import add_service_errors
from .item_display import table2_facts
from .review_display import (
    TRAIL_ACTIONS,
    body_with_marks,
    content_diff,
    shown_findings,
    trail_by_round,
    waiting_text,
)
from .review_forms import (
    AcknowledgeUnscannedForm,
    ApproveForm,
    DismissFindingForm,
    DoneSearchForm,
    RejectForm,
    TaskFilterForm,
    WithholdForm,
    with_phrase,
)
from .urges import urge_context

PAGE_SIZE = 20
REVIEW_NODES = [getattr(ReviewFlow, step) for step in REVIEW_STEPS]
DECISION_FORMS = {Decision.APPROVE: ApproveForm, Decision.REJECT: RejectForm,
                  Decision.WITHHOLD: WithholdForm}


# ---------------------------------------------------------------- the two lists

@login_required
def queue(request):
    """Tasks the person may claim."""
    return _task_list(request, claimed=False)


@login_required
def inbox(request):
    """Tasks the person has claimed and not yet decided."""
    return _task_list(request, claimed=True)


def _task_list(request, *, claimed):
    form = TaskFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    now = timezone.now()
    # whether they stand in for someone today, asked once for the page's three queues
    standing = stands_in_today(request.user)
    tasks = actionable_tasks(user=request.user, step=filters.get("step"),
                             section=filters.get("section"), standing=standing)
    # actionable_tasks holds unclaimed tasks and the person's own claimed ones
    tasks = tasks.filter(status=STATUS.ASSIGNED if claimed else STATUS.NEW)
    if filters.get("waited"):
        tasks = tasks.filter(created__lte=now - dt.timedelta(days=filters["waited"]))
    if filters.get("q"):
        item = "process__reviewprocess__publication__"
        tasks = tasks.filter(Q(**{f"{item}title__icontains": filters["q"]})
                             | Q(**{f"{item}document_number__icontains": filters["q"]}))
    tasks = in_queue_order(tasks, sort=form.ordering())
    # Page over the narrow ids (with whom the person would stand in for: 代 王敏), then
    # load one page of rows with their context. The page and its total come from one query:
    # the queue's filter is its expensive part.
    page = WindowPaginator(with_stand_in(tasks, user=request.user, standing=standing), PAGE_SIZE,
                           fields=("pk", "stand_in")).get_page(request.GET.get("page"))
    stand_in = dict(page.object_list)
    return render(request, "webui/review_list.html", {
        "claimed": claimed, "form": form, "filtered": bool(filters), "page": page,
        "rows": _rows(list(stand_in), now, stand_in=stand_in),
        # who holds the tasks colleagues claimed; a head or covering leader may take back
        # what was left
        "held_by_others": [] if claimed else _held_rows(request.user, now, standing=standing),
    })


@login_required
def done(request):
    """已办: the tasks the person decided, the latest first, with what they decided."""
    form = DoneSearchForm(request.GET or None)
    search = form.search()
    page = WindowPaginator(decided_tasks(user=request.user, search=search),
                           PAGE_SIZE).get_page(request.GET.get("page"))
    decisions, bases = dict(Decision.choices), dict(WithholdBasis.choices)
    rows = []
    for task in tasks_in_order(list(page.object_list)):
        data = task.data or {}
        publication = task.process.reviewprocess.publication
        rows.append({
            "task_id": task.pk, "title": publication.title,
            "document_number": publication.document_number,
            "section": publication.section.name, "step": step_title(task.flow_task.name),
            "round": task.process.reviewprocess.round,
            "decision": decisions.get(data.get("decision"), ""),
            "decision_code": data.get("decision", ""),
            "basis": bases.get(data.get("basis"), ""), "comment": data.get("comment", ""),
            "at": task.finished,
        })
    return render(request, "webui/review_done.html", {
        "form": form, "searched": bool(search), "page": page, "rows": rows})


def _held_rows(user, now, *, standing=None) -> list[dict]:
    """What colleagues hold (who, since when); the ones the person may take back say so."""
    take_back = ExpressionWrapper(may_take_back(user), output_field=BooleanField())
    rows = as_queue_rows(tasks_held_by_colleagues(user=user, standing=standing)
                         .annotate(can_take_back=take_back), "can_take_back")
    return [{"task_id": row["id"], "title": row["title"], "section": row["section_name"],
             "step": step_title(row["flow_task"].name),
             "holder": row["holder_name"], "claimed_at": row["assigned"],
             "can_take_back": row["can_take_back"], "waiting": waiting_text(row["created"], now),
             "since": row["created"]}
            for row in rows[:PAGE_SIZE]]


def _rows(task_ids, now, *, stand_in=None) -> list[dict]:
    rows = queue_rows(task_ids)
    dues = art26_due_many([row["formed_on"] for row in rows], today=timezone.localdate(now))
    return [{"task_id": row["id"], "title": row["title"], "section": row["section_name"],
             "step": step_title(row["flow_task"].name),
             "drafter": row["drafter_name"], "round": row["round"],
             "waiting": waiting_text(row["created"], now), "since": row["created"],
             "due": dues[row["formed_on"]], "stand_in": (stand_in or {}).get(row["id"])}
            for row in rows]


# ---------------------------------------------------------------- one task

def _task_or_404(user, task_id):
    """A review task of an item the person may see (else 404), with its round and item."""
    task = (with_review_context(Task.objects.filter(pk=task_id, flow_task__in=REVIEW_NODES))
            .select_related("process__reviewprocess__publication__category",
                            "process__reviewprocess__publication__drafter")
            # most items abolish nothing: their page then needs no query for the list
            .annotate(item_abolishes_any=abolishes_any(
                OuterRef("process__reviewprocess__publication_id")))
            .first())
    if task is None or not can_see(user, task.process.reviewprocess.publication):
        raise Http404
    return task


def _diff_with_previous_round(review_process, publication):
    """(previous round, ContentDiff or None when that round kept no copy); None, None if
    this is the first round."""
    previous = (ReviewProcess.objects
                .filter(publication_id=review_process.publication_id,
                        round__lt=review_process.round)
                .order_by("-round").first())
    if previous is None:
        return None, None
    if previous.submitted is None:
        return previous, None
    current = review_process.submitted or {"title": publication.title, "body": publication.body}
    return previous, content_diff(previous.submitted, current, previous_round=previous.round)


UNSCANNED_LABELS = {
    TOO_LARGE: gettext_lazy("未能检查：文件过大或过于复杂"),
    PARTIAL: gettext_lazy("部分内容未能检查（如扫描页）"),
}
UNREADABLE_LABEL = gettext_lazy("未能检查：无法读取该文件（格式过旧、已加密、图片或已损坏）")


def _unscanned_rows(report, publication, *, may_acknowledge, bound=None):
    """One row per attachment the scanner could not (fully) read, with its reasons and its
    acknowledgement in this round, or a form for the reviewer deciding now."""
    if report is None:
        return []
    rows: dict = {}
    for entry in unscanned_data(report, publication.round):
        row = rows.setdefault(entry["field"], {
            "field": entry["field"], "name": entry["field"].partition(":")[2],
            "labels": [], "reasons": [], "acknowledged": entry["acknowledged"],
            "acknowledged_by": entry["acknowledged_by"],
            "acknowledged_at": entry["acknowledged_at"], "note": entry["note"], "form": None})
        label = UNSCANNED_LABELS.get(entry["code"], UNREADABLE_LABEL)
        if label not in row["labels"]:
            row["labels"].append(label)
        row["reasons"].append(entry["reason"])
    shown = list(rows.values())
    for index, row in enumerate(shown):
        if may_acknowledge and not row["acknowledged"]:
            if bound is not None and bound.data.get("field") == row["field"]:
                row["form"] = bound
            else:
                row["form"] = AcknowledgeUnscannedForm(index=index,
                                                       initial={"field": row["field"]})
    return shown


def _attachments(publication) -> list:
    attachments = list(publication.attachments.all())
    for attachment in attachments:
        attachment.show_inline = may_show_inline(attachment)
    return attachments


def _task_page(request, task, *, bound=None, dismiss=None, acknowledge=None, kept=None,
               urge=None, status=200):
    """`bound`: decision forms by name; `dismiss`: a bound DismissFindingForm to show;
    `acknowledge`: a bound AcknowledgeUnscannedForm to show; `kept`: the reason and the
    comment of a refused decision, shown when the task can no longer be decided; `urge`:
    a bound 催办 form (webui.urge_views)."""
    user = request.user
    review_process = task.process.reviewprocess
    publication = review_process.publication
    step = task.flow_task.name
    is_open = task.status in services.OPEN_TASK_STATES
    refused = refusal(user, step, review_process, task_id=task.pk) if is_open else None
    may_act = is_open and refused is None
    claimed_by_me = task.status == STATUS.ASSIGNED and task.owner_id == user.pk
    decide = may_act and claimed_by_me
    forms = {name: _decision_form(name, step) for name in DECISION_FORMS}
    forms.update(bound or {})

    report = current_report(publication)
    findings = list(report.findings.all()) if report is not None else []
    prefetch_related_objects([f for f in findings if f.dismissed_by_id], "dismissed_by")
    shown = shown_findings(findings, title=publication.title, body=publication.body)
    # scanning.services lets any confidentiality reviewer who may review the item dismiss;
    # the page offers it to the one reviewing it now, beside their decisions.
    can_dismiss = decide and step == SECRECY_REVIEW
    if can_dismiss:
        for item in shown:
            if not item.dismissed:
                item.dismiss_form = (dismiss if dismiss is not None
                                     and dismiss.finding_id == item.pk
                                     else DismissFindingForm(finding_id=item.pk))
    body = body_with_marks(publication.body, findings, shown)
    events = timeline(subject=publication).filter(action__in=TRAIL_ACTIONS)
    previous, diff = _diff_with_previous_round(review_process, publication)
    return render(request, "webui/review_task.html", {
        "task": task, "review_process": review_process, "publication": publication,
        "step_title": step_title(step), "is_open": is_open,
        "claimed_by_other": task.status == STATUS.ASSIGNED and not claimed_by_me,
        "refused": refused, "can_claim": may_act and task.status == STATUS.NEW,
        "can_take_back": (is_open and task.status == STATUS.ASSIGNED and not claimed_by_me
                          and take_back_refusal(user, publication) is None),
        "can_unclaim": claimed_by_me and is_open, "can_decide": decide,
        "can_withhold": decide and step == SECRECY_REVIEW, "can_dismiss": can_dismiss,
        "final_approval": step == LEADERSHIP_REVIEW,
        "forms": forms, "body": body, "report": report, "findings": shown,
        "open_blockers": sum(item.blocks for item in shown),
        "scan_pending": report is not None and report.status == "pending",
        "unscanned": _unscanned_rows(report, publication, may_acknowledge=can_dismiss,
                                     bound=acknowledge),
        "blocks_approval": step == SECRECY_REVIEW,
        "attachments": _attachments(publication),
        "channels": list(publication.channels.all()),
        "table2": table2_facts(publication, user=user, abolishes=list(
            abolished_documents(publication)) if task.item_abolishes_any else ()),
        "rounds": trail_by_round(events), "previous_round": previous, "diff": diff,
        "waiting": waiting_text(task.created, timezone.now()) if is_open else "",
        "kept": kept, "phrases": comment_phrases(user=user) if decide else [],
        **urge_context(user, task, bound=urge),
    }, status=status)


@login_required
def task_detail(request, task_id):
    return _task_page(request, _task_or_404(request.user, task_id))


def _lost_race(request):
    messages.error(request, _("已由他人处理"))
    return redirect("webui:review:index")


def _refused(request, task, error):
    messages.error(request, error.message)
    return redirect("webui:review:task", task_id=task.pk)


def _take_or_give_back(request, task_id, service, done, then):
    """Claim or unclaim; `then(task)` answers after it worked."""
    task = _task_or_404(request.user, task_id)
    try:
        service(user=request.user, task_id=task.pk)
    except NotPermitted as error:
        return _refused(request, task, error)
    except (Conflict, NotFound, FlowLockFailed):
        return _lost_race(request)
    messages.success(request, done)
    return then(task)


@require_POST
@login_required
def claim(request, task_id):
    return _take_or_give_back(request, task_id, services.claim_task, _("已签收，请审核。"),
                              lambda task: redirect("webui:review:task", task_id=task.pk))


MAX_BATCH = 50


@require_POST
@login_required
def claim_many(request):
    """批量签收: claim each ticked task through `claim_task`, one at a time; a task a
    colleague claimed first (or that is gone) is reported, not an error. Decisions stay
    one by one on each task's page."""
    ids = list(dict.fromkeys(int(value) for value in request.POST.getlist("task")
                             if value.isascii() and value.isdigit() and len(value) < 10))
    if not ids:
        messages.error(request, _("请先勾选要签收的任务。"))
        return redirect("webui:review:index")
    if len(ids) > MAX_BATCH:
        messages.error(request, _("一次最多签收 %d 项任务。") % MAX_BATCH)
        return redirect("webui:review:index")
    user = request.user
    claimed, lost, refused = 0, [], []
    for task in tasks_in_order(ids):
        publication = task.process.reviewprocess.publication
        if not can_see(user, publication):
            continue
        try:
            services.claim_task(user=user, task_id=task.pk)
        except NotPermitted:
            refused.append(publication.title)
        except (Conflict, NotFound, FlowLockFailed):
            lost.append(publication.title)
        else:
            claimed += 1
    if claimed:
        messages.success(request, ngettext("已签收 %d 项任务。", "已签收 %d 项任务。", claimed)
                         % claimed)
    if lost:
        messages.warning(request, _("以下任务已由他人签收或处理：%s") % "、".join(lost))
    if refused:
        messages.error(request, _("以下任务您不能签收：%s") % "、".join(refused))
    return redirect("webui:review:inbox" if claimed else "webui:review:index")


@require_POST
@login_required
def unclaim(request, task_id):
    return _take_or_give_back(request, task_id, services.unclaim_task,
                              _("已取消签收，该任务回到待签收列表。"),
                              lambda task: redirect("webui:review:inbox"))


@login_required
def take_back(request, task_id):
    """GET: confirm taking back a colleague's claim (who holds it; also claim it, if the
    step is the person's); POST: do it."""
    user = request.user
    task = _task_or_404(user, task_id)
    review_process = task.process.reviewprocess
    refused = take_back_refusal(user, review_process.publication)
    if refused:
        messages.error(request, refused)
        return redirect("webui:review:task", task_id=task.pk)
    if task.status != STATUS.ASSIGNED or task.owner_id == user.pk:
        messages.error(request, _("该审核任务当前没有他人签收，无需收回。"))
        return redirect("webui:review:task", task_id=task.pk)
    may_claim = refusal(user, task.flow_task.name, review_process, task_id=task.pk) is None
    if request.method == "POST":
        claim = may_claim and request.POST.get("claim") == "1"
        try:
            services.take_back_claim(user=user, task_id=task.pk, claim=claim)
        except NotPermitted as error:
            return _refused(request, task, error)
        except (Conflict, NotFound, FlowLockFailed):
            return _lost_race(request)
        messages.success(request, _("已收回签收，任务已由您签收。") if claim
                         else _("已收回签收，该任务回到待签收列表。"))
        return redirect("webui:review:task", task_id=task.pk)
    return render(request, "webui/review_take_back.html", {
        "task": task, "publication": review_process.publication, "holder": task.owner,
        "step_title": step_title(task.flow_task.name), "may_claim": may_claim,
    })


@require_POST
@login_required
def approve(request, task_id):
    return _decide(request, task_id, Decision.APPROVE, services.approve_task,
                   gettext_lazy("已通过“%(title)s”。"))


@require_POST
@login_required
def reject(request, task_id):
    return _decide(request, task_id, Decision.REJECT, services.reject_task,
                   gettext_lazy("已将“%(title)s”退回经办人。"))


@require_POST
@login_required
def withhold(request, task_id):
    return _decide(request, task_id, Decision.WITHHOLD, services.withhold_task,
                   gettext_lazy("已决定“%(title)s”不予公开。"))


def _decision_form(decision, step, data=None):
    """The decision's form; the irreversible ones (不予公开, the final approval) carry a
    `confirm` the page's dialog ticks, so a POST without it is refused (422)."""
    kwargs = {"final": step == LEADERSHIP_REVIEW} if decision == Decision.APPROVE else {}
    return DECISION_FORMS[decision](data, auto_id=f"{decision}_%s", **kwargs)


def _decide(request, task_id, decision, service, done_message):
    """A decision, then the next task (`_after_decision`). A refused one (not permitted,
    pre-scan blockers, content changed under the round) shows the task page again with
    the reason and the comment as typed, so nothing the reviewer wrote is lost."""
    task = _task_or_404(request.user, task_id)
    if decision == Decision.WITHHOLD and task.flow_task.name != SECRECY_REVIEW:
        messages.error(request, _("只有保密审查环节可以决定不予公开。"))
        return redirect("webui:review:task", task_id=task.pk)
    form = _decision_form(decision, task.flow_task.name,
                          with_phrase(request.POST, user=request.user))
    if form.is_valid():
        data = {name: value for name, value in form.cleaned_data.items() if name != "confirm"}
        try:
            service(user=request.user, task_id=task.pk, **data)
        except InvalidInput as error:
            add_service_errors(form, error)
        except NotPermitted as error:
            return _decision_refused(request, task_id, decision, form, error, status=403)
        except StaleContent as error:  # the round was ended and the item returned
            return _decision_refused(request, task_id, decision, form, error)
        except Conflict as error:
            # open pre-scan blockers, unacknowledged or unfinished attachments: still this
            # person's task
            if {"findings", "unscanned", "scan"} & set(error.fields):
                return _decision_refused(request, task_id, decision, form, error)
            return _lost_race(request)
        except (NotFound, FlowLockFailed):
            return _lost_race(request)
        else:
            title = task.process.reviewprocess.publication.title
            messages.success(request, done_message % {"title": title})
            return _after_decision(request)
    return _task_page(request, task, bound={decision: form}, status=422)


def _decision_refused(request, task_id, decision, form, error, *, status=422):
    form.add_error(None, error.message)
    # read again: a voided round has no open task any more
    task = _task_or_404(request.user, task_id)
    return _task_page(request, task, bound={decision: form}, status=status,
                      kept={"message": error.message,
                            "comment": form.cleaned_data.get("comment", "")})


def _after_decision(request):
    """The next task the person holds, else the next they may claim, else the inbox."""
    following = next_task_for(user=request.user)
    if following is None:
        messages.info(request, _("没有待办任务了。"))
        return redirect("webui:review:inbox")
    task_id, title = following
    messages.info(request, _("下一项任务：“%(title)s”。") % {"title": title})
    return redirect("webui:review:task", task_id=task_id)


@require_POST
@login_required
def dismiss(request, task_id, finding_id):
    """The confidentiality reviewer clears one finding of the task's item, saying why."""
    task = _task_or_404(request.user, task_id)
    form = DismissFindingForm(request.POST, finding_id=finding_id)
    if form.is_valid():
        try:
            services.dismiss_finding(user=request.user,
                            publication_id=task.process.reviewprocess.publication_id,
                            finding_id=finding_id, **form.cleaned_data)
        except InvalidInput as error:
            add_service_errors(form, error)
        except NotFound as error:  # a finding of another item, or none at all
            raise Http404(error.message) from error
        except (NotPermitted, Conflict) as error:  # not a reviewer; dismissed or edited since
            return _refused(request, task, error)
        else:
            messages.success(request, _("已确认该发现无需处理。"))
            return redirect(reverse("webui:review:task", args=[task.pk]) + f"#finding-{finding_id}")
    return _task_page(request, task, dismiss=form, status=422)


@require_POST
@login_required
def acknowledge_unscanned(request, task_id):
    """The confidentiality reviewer acknowledges an attachment the pre-scan could not read."""
    task = _task_or_404(request.user, task_id)
    index = request.POST.get("index", "0")
    form = AcknowledgeUnscannedForm(request.POST, index=index if index.isdigit() else "0")
    if form.is_valid():
        try:
            services.acknowledge_unscanned(
                user=request.user, publication_id=task.process.reviewprocess.publication_id,
                **form.cleaned_data)
        except InvalidInput as error:
            add_service_errors(form, error)
        except NotFound as error:  # not a file of this item's list
            raise Http404(error.message) from error
        except (NotPermitted, Conflict) as error:  # not a reviewer; done or changed since
            return _refused(request, task, error)
        else:
            messages.success(request, _("已确认该附件经人工检查。"))
            return redirect(reverse("webui:review:task", args=[task.pk]) + "#unscanned")
    return _task_page(request, task, acknowledge=form, status=422)
