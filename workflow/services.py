"""Every change of a review: submit, claim, unclaim, take back, approve, reject, withhold,
withdraw, urge (催办); and the release of claims whose holder lost the right to them.

Each function is one transaction that starts by taking the round's process
lock (viewflow's select_for_update_lock, outermost, so the loser of a race
waits, then sees the task already done and gets a Conflict), checks the
separation-of-duties rules, drives the viewflow activation and the
publication's lifecycle, and writes its audit events before committing.

What an action triggers is called where the action is written: the notices
(`notifications.services.notify_*`, in the transaction), the pre-scan at submit (in the
transaction) and again when an item reaches the confidentiality review if its content or
the agency's rules changed since (a Celery task after commit), and at final approval
the releases (`releases.services.create_releases_for_approval`, which dispatches
delivery after commit).
"""

import datetime as dt
import random
import time
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.lock import lock_scope
from viewflow.workflow.models import Process, Task
from viewflow.workflow.signals import task_finished
from viewflow.workflow.status import PROCESS, STATUS

from agencies.models import Role
from audit.models import AuditAction
from audit.services import Event, record
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted, StaleContent
from core.sql import together, update_sql
from notifications.kinds import NotificationKind
from notifications.services import (
    notify_claim_taken_back,
    notify_drafter,
    notify_task_queued,
    notify_task_urged,
)
from publications.fingerprint import fingerprint_of
from publications.lifecycle import PublicationLifecycle
from publications.models import Publication
from publications.models import PublicationStatus as S
from publications.selectors import can_see, visible_publication
from releases.services import Approval, create_releases_for_approval
from scanning.services import acknowledge_unscanned as acknowledge_unscanned_file
from scanning.services import (
    approval_check,
    finding_data,
    request_attachment_scan,
    scan_if_missing,
)
from scanning.services import dismiss_finding as dismiss_scan_finding
from scanning.tasks import scan_on_entering_secrecy_review

from .flows import ReviewFlow
from .models import OPEN_TASK_STATES, Decision, ReviewProcess, RoundOutcome, WithholdBasis
from .permissions import (
    LEADERSHIP_REVIEW,
    REVIEW_STEPS,
    SECRECY_REVIEW,
    SECTION_HEAD_REVIEW,
    refusal,
    section_ties,
    standing,
    step_in_scope,
    step_refusal,
    take_back_refusal,
    urge_refusal,
)
from .selectors import people_who_may_act, urges_of


def _publication_for_drafter(user, publication_id, *, lock: bool) -> Publication:
    publication = visible_publication(user, publication_id, lock=lock,
                                      related=("section", "category"))
    if publication.drafter_id != user.pk:
        raise NotPermitted(_("只有起草该信息的经办人可以提交或撤回。"))
    return publication


def submit_publication(*, user, publication_id: int) -> ReviewProcess:
    """Start a review round (a new one after a return: every tier reviews again)."""
    with transaction.atomic():
        publication = _publication_for_drafter(user, publication_id, lock=True)
        lifecycle = PublicationLifecycle(publication)
        if not lifecycle.submit.can_proceed():
            raise Conflict(_("当前状态为“%s”，不能提交审核。") % publication.get_status_display())
        if publication.status == S.RETURNED:
            publication.round += 1
        lifecycle.submit()
        publication.updated_at = timezone.now()
        # The round keeps the title and body it reviews, so the next round's reviewers can
        # see what changed. On the round (mutable), not the append-only audit trail: the
        # body may hold personal data that the drafter masks later. The item's status and
        # round number are written in the round's INSERT (one statement).
        process = ReviewFlow.start.run(
            publication=publication, fingerprint=publication.fingerprint,
            writes=[update_sql(Publication.objects.filter(pk=publication.pk),
                               status=publication.status, round=publication.round,
                               updated_at=publication.updated_at)],
            _process_data={"submitted": {"title": publication.title, "body": publication.body}})
        events = [Event(AuditAction.SUBMIT, subject=publication, actor=user,
                        round=publication.round, fingerprint=publication.fingerprint)]
        # The pre-scan runs at submit, in this transaction, so the section head sees its
        # findings (a 机密★ marking, an ID number) when opening the task. Content the
        # drafter pre-scanned (预检) is not scanned again; attachments' text is read by a
        # worker after commit, as for every scan. Its event is recorded with the submit.
        scan_if_missing(publication.pk, locked=publication, events=events)
        record(agency_id=publication.agency_id, events=events)
        _tell_reviewers(publication, process.opened_task, actor=user)
    return process


def _tell_reviewers(publication, task, *, actor, besides=None) -> None:
    """Notify everyone who may claim `task`, open in the item's current round, but the
    actor (and `besides`, told otherwise): who they are is `people_who_may_act`, the rules
    the engine checks when they claim. The task and its round are named as values: the
    caller has them (the task it opened or freed), so the one INSERT ... SELECT has no
    subquery to find them."""
    step = task.flow_task.name
    people = people_who_may_act(publication=publication, step=step,
                                round_id=task.process_id)  # never the drafter
    if actor is not None and actor.pk != publication.drafter_id:
        people = people.exclude(pk=actor.pk)
    if besides is not None:
        people = people.exclude(pk=besides.pk)
    notify_task_queued(publication=publication, step=step, task_id=task.pk, people=people)


def withdraw_publication(*, user, publication_id: int) -> Publication:
    """The drafter takes the item back before final approval; an open round is cancelled.

    Locks in the order every decision takes them: the open round first, then the item. The
    round is looked up before any lock, so it is checked again under the item's lock: a
    round opened by a submit that committed in between (or ended meanwhile) means looking
    again, so that it is cancelled rather than left open on a withdrawn item.
    """
    for _attempt in range(3):
        publication = _publication_for_drafter(user, publication_id, lock=False)
        open_round = _open_round_of(publication)
        try:
            if open_round is None:
                with transaction.atomic():
                    return _withdraw(user, publication_id, None)
            with ReviewFlow.lock(open_round.pk):
                return _withdraw(user, publication_id, open_round)
        except _RoundChanged:
            continue
    raise Conflict(_("审核状态已变化，请刷新后重试。"))


class _RoundChanged(Exception):
    """The item's open round is not the one looked up before locking."""


def _open_round_of(publication):
    return ReviewProcess.objects.filter(publication=publication, status=PROCESS.NEW).first()


def _withdraw(user, publication_id, open_round):
    publication = _publication_for_drafter(user, publication_id, lock=True)
    current = _open_round_of(publication)  # fixed now: a submit or decision needs our locks
    if (current and current.pk) != (open_round and open_round.pk):
        raise _RoundChanged
    lifecycle = PublicationLifecycle(publication)
    if not lifecycle.withdraw.can_proceed():
        raise Conflict(_("当前状态为“%s”，不能撤回。") % publication.get_status_display())
    if current is not None:
        _cancel_open_tasks(current.pk)
        _close_round(current, RoundOutcome.WITHDRAWN, status=PROCESS.CANCELED)
    lifecycle.withdraw()
    publication.save(update_fields=["status", "updated_at"])
    record(agency_id=publication.agency_id, events=[Event(
        AuditAction.WITHDRAW, subject=publication, actor=user, round=publication.round,
        fingerprint=publication.fingerprint)])
    return publication


def _cancel_open_tasks(process_id) -> list:
    tasks = list(Task.objects.filter(process_id=process_id, status__in=OPEN_TASK_STATES)
                 .select_related("process__reviewprocess"))
    for task in tasks:
        task.flow_task.activation_class(task).cancel()
    return tasks


def _close_round(review_process, outcome, *, status=PROCESS.DONE):
    review_process.outcome = outcome
    review_process.status = status
    review_process.finished = timezone.now()
    # the round's two rows (viewflow's and ours) in one statement
    together(update_sql(Process.objects.filter(pk=review_process.pk), status=status,
                        finished=review_process.finished),
             update_sql(ReviewProcess.objects.filter(pk=review_process.pk), outcome=outcome))


class _RoundOfTaskLock:
    """viewflow's select-for-update lock on the round, keyed by one of its tasks.

    A task action knows the task, not the round: finding the round and locking it is one
    statement (`… WHERE id = (SELECT process_id FROM viewflow_task …) FOR UPDATE NOWAIT`)
    instead of a lookup and then viewflow's lock. Same contract as viewflow's
    SelectForUpdateLock: its own transaction, NOWAIT with a few backed-off attempts, then
    FlowLockFailed. The locked round's id is left in `process_id`.
    """

    attempts = 5
    process_id = None

    @contextmanager
    def __call__(self, flow_class, task_id):
        task_round = Task.objects.filter(pk=task_id).values("process_id")[:1]
        rounds = flow_class.process_class._default_manager.filter(pk=Subquery(task_round))
        for attempt in range(self.attempts):
            with transaction.atomic():
                try:
                    process_id = (rounds.select_for_update(nowait=True)
                                  .values_list("pk", flat=True).first())
                except DatabaseError:
                    if attempt == self.attempts - 1:
                        raise FlowLockFailed(f"Lock failed for {flow_class}") from None
                    time.sleep(((attempt + 1) * random.random() + 2 ** attempt) / 2.5)
                    continue
                if process_id is None:
                    raise NotFound(_("未找到该审核任务。"))
                self.process_id = process_id
                yield
                return


@contextmanager
def _locked_round_of(task_id):
    """Hold the lock of the task's round (in viewflow's lock scope); gives the round's id."""
    lock = _RoundOfTaskLock()
    with lock_scope(lock, ReviewFlow, task_id):
        yield lock.process_id


def _load_task(user, task_id):
    """The task with its round and publication, under the round's lock."""
    # whether the person decided another task of this round, read with the task
    acted = Task.objects.filter(process_id=OuterRef("process_id"), owner_id=user.pk,
                                status=STATUS.DONE).exclude(pk=OuterRef("pk"))
    task = (Task.objects
            .select_related("owner",
                            "process__reviewprocess__publication__section",
                            "process__reviewprocess__publication__category")
            .annotate(user_acted=Exists(acted),
                      **section_ties(user, OuterRef("process__reviewprocess__section_id")))
            # a decision does not read the round's copy of what was submitted (tens of
            # kilobytes of JSON with a long item): the round's fingerprint stands for it
            .defer("process__data")
            .get(pk=task_id))
    review_process = task.process.reviewprocess
    publication = review_process.publication
    if not can_see(user, publication):
        raise NotFound(_("未找到该审核任务。"))
    return task, review_process, publication


def _check_may_act(user, task, review_process) -> dict:
    """Who asks comes first (403), then whether the task is still theirs to take (409).

    Returns what the events of the action add: {"on_behalf_of": username, ...} when the
    person acts as a colleague's substitute (代理), their own sections not covering it.
    """
    step = task.flow_task.name
    reason, absent = standing(user, step, review_process, task_id=task.pk,
                              acted=task.user_acted, in_scope=step_in_scope(step, task))
    if reason:
        raise NotPermitted(reason)
    if task.status not in OPEN_TASK_STATES:
        raise Conflict(_("已由他人处理：该审核任务已完成。"))
    if task.status == STATUS.ASSIGNED and task.owner_id != user.pk:
        raise Conflict(_("已由他人处理：该审核任务已被 %s 签收。") % task.owner)
    return on_behalf_data(absent)


def on_behalf_data(absent) -> dict:
    """The audit data of an action taken as `absent`'s substitute (None: on one's own)."""
    if absent is None:
        return {}
    return {"on_behalf_of": absent.get_username(), "on_behalf_of_name": str(absent)}


def _assign(task, user):
    """viewflow's assign, keeping when (viewflow leaves Task.assigned empty): colleagues
    see who holds a task since when."""
    task.assigned = timezone.now()
    task.flow_task.activation_class(task).assign(user)


def _unassign(task):
    task.assigned = None
    task.flow_task.activation_class(task).unassign()


def claim_task(*, user, task_id: int):
    with _locked_round_of(task_id):
        task, review_process, publication = _load_task(user, task_id)
        on_behalf = _check_may_act(user, task, review_process)
        if task.status == STATUS.ASSIGNED:
            return task
        _assign(task, user)
        record(agency_id=publication.agency_id, events=[_task_event(
            AuditAction.CLAIM, task, review_process, publication, user, data=on_behalf)])
    return task


def unclaim_task(*, user, task_id: int):
    with _locked_round_of(task_id):
        task, review_process, publication = _load_task(user, task_id)
        # a substitute gives back what they claimed for a colleague on leave, too
        reason = refusal(user, task.flow_task.name, review_process, acted=False)
        if reason:
            raise NotPermitted(reason)
        if task.status != STATUS.ASSIGNED or task.owner_id != user.pk:
            raise Conflict(_("只能放弃自己已签收且未完成的任务。"))
        _unassign(task)
        record(agency_id=publication.agency_id, events=[_task_event(
            AuditAction.UNCLAIM, task, review_process, publication, user)])
    return task


def take_back_claim(*, user, task_id: int, claim: bool = False):
    """A section head of the item's section, or a leader covering it, frees a task a
    colleague claimed and left (away, busy, no longer reviewing): back to the queue, whose
    reviewers are told, or with `claim` straight to themselves if the step is theirs. The
    colleague is told who took it back; the event names them.

    403 for anyone else (the drafter, auditors, other sections' heads and leaders), 404
    outside the agency, 409 when nobody else holds the task.
    """
    with _locked_round_of(task_id):
        task, review_process, publication = _load_task(user, task_id)
        reason = take_back_refusal(user, publication)
        if reason:
            raise NotPermitted(reason)
        step = task.flow_task.name
        on_behalf = {}
        if claim:
            reason, absent = standing(user, step, review_process, task_id=task.pk,
                                      acted=task.user_acted,
                                      in_scope=step_in_scope(step, task))
            if reason:
                raise NotPermitted(reason)
            on_behalf = on_behalf_data(absent)
        if task.status not in OPEN_TASK_STATES:
            raise Conflict(_("已由他人处理：该审核任务已完成。"))
        if task.status != STATUS.ASSIGNED:
            raise Conflict(_("该审核任务无人签收，无需收回。"))
        if task.owner_id == user.pk:
            raise Conflict(_("这是您自己签收的任务，请使用“取消签收”。"))
        holder = task.owner
        _unassign(task)
        events = [_task_event(AuditAction.CLAIM_TAKEN_BACK, task, review_process, publication,
                              user, data=_holder_data(holder))]
        if claim:
            _assign(task, user)
            events.append(_task_event(AuditAction.CLAIM, task, review_process, publication,
                                      user, data=on_behalf))
        else:
            _tell_reviewers(publication, task, actor=user, besides=holder)
        notify_claim_taken_back(publication=publication, task_id=task.pk, step=step,
                                holder=holder, actor=user)
        record(agency_id=publication.agency_id, events=events)
    return task


#: the longest 催办 message, and how often one person may urge one task
URGE_MAX_LENGTH = 500
URGE_INTERVAL = dt.timedelta(hours=1)


def urge_task(*, user, task_id: int, message: str):
    """催办: a section head of the item's section, or a leader covering it, urges the open
    task's holder with a message; an unclaimed task, everyone who may take it. They are
    told at once (the notice, and its e-mail after commit); the event records who urged
    whom with the message, and the task's page lists them.

    InvalidInput without a message or with a longer one than URGE_MAX_LENGTH; 403 for
    anyone else (the holder, the drafter, other reviewers, other sections'), 404 outside
    the agency; 409 when the task is done, or the person urged it within URGE_INTERVAL
    (checked under the round's lock, so two clicks at once urge once).
    """
    text = (message or "").strip()
    if not text:
        raise InvalidInput(_("请填写催办内容。"), fields={"message": [_("请填写催办内容。")]})
    if len(text) > URGE_MAX_LENGTH:
        error = _("催办内容不能超过 %d 个字。") % URGE_MAX_LENGTH
        raise InvalidInput(error, fields={"message": [error]})
    with _locked_round_of(task_id):
        task, review_process, publication = _load_task(user, task_id)
        holder = task.owner if task.status == STATUS.ASSIGNED else None
        reason = urge_refusal(user, publication, holder_id=holder and holder.pk)
        if reason:
            raise NotPermitted(reason)
        if task.status not in OPEN_TASK_STATES or review_process.outcome != RoundOutcome.OPEN:
            raise Conflict(_("该审核任务已处理完毕，无需催办。"))
        since = timezone.now() - URGE_INTERVAL
        if urges_of(task=task).filter(actor_id=user.pk, at__gte=since).exists():
            raise Conflict(_("您在一小时内已催办过该任务，请稍后再催办。"))
        step = task.flow_task.name
        if holder is not None:
            people = get_user_model().objects.filter(pk=holder.pk, is_active=True)
        else:
            people = people_who_may_act(publication=publication, step=step)
        record(agency_id=publication.agency_id, events=[_task_event(
            AuditAction.URGE, task, review_process, publication, user, comment=text,
            data={"task": task.pk, "holder": holder.get_username() if holder else "",
                  "holder_id": holder.pk if holder else None})])
        notify_task_urged(publication=publication, task_id=task.pk, step=step, people=people,
                          actor=user, message=text)
    return task


def _holder_data(holder) -> dict:
    return {"previous_holder": holder.get_username(), "previous_holder_id": holder.pk}


def release_lost_claims(*, actor=None, people=(), sections=(), everyone=False) -> list[int]:
    """Release the open claims of `people` (ids), or of any claimant on items of `sections`
    (ids), or with `everyone` of all agencies, whose holder may no longer act on them:
    deactivated, the step's role taken away, no longer heading or covering the item's
    section, moved to another agency. Each goes back to the queue (its reviewers told),
    with a `claim_released` event naming the holder and the reason, by `actor` (the admin
    who made the change; None: the system).

    Called in the transaction of the change (agencies' admin and `deactivate_person`
    through `workflow.receivers`); `everyone` by `manage.py release_lost_claims`, for
    changes made behind the models' back. Returns the released tasks' ids.
    """
    claimed = Task.objects.filter(status=STATUS.ASSIGNED,
                                  process__reviewprocess__outcome=RoundOutcome.OPEN)
    if not everyone:
        if not people and not sections:
            return []
        claimed = claimed.filter(Q(owner_id__in=list(people))
                                 | Q(process__reviewprocess__section_id__in=list(sections)))

    def still_theirs(holder, step, review_process, task):
        return refusal(holder, step, review_process, task_id=task.pk) is None

    def reason(holder):
        return "inactive" if not holder.is_active else "no_longer_permitted"

    return _release(claimed, actor=actor, keep=still_theirs, reason=reason)


def release_claims_on_leave(*, actor=None, person_id: int) -> list[int]:
    """The open claims of a person whose leave starts (代理) go back to the queue, whose
    reviewers (their substitute among them) are told; each with a `claim_released` event,
    reason "on_leave", by `actor` (None: the system, at the start of the leave)."""
    claimed = Task.objects.filter(status=STATUS.ASSIGNED, owner_id=person_id,
                                  process__reviewprocess__outcome=RoundOutcome.OPEN)
    return _release(claimed, actor=actor, keep=lambda *args: False,
                    reason=lambda holder: "on_leave")


def _release(claimed, *, actor, keep, reason) -> list[int]:
    """Release each claimed task (one round lock at a time) unless `keep` says otherwise."""
    claimed = claimed.values_list("pk", flat=True).order_by("pk")
    released = []
    for task_id in list(claimed):
        with _locked_round_of(task_id):
            task, review_process, publication = _load_task_as_system(task_id)
            if task.status != STATUS.ASSIGNED or publication.status != S.IN_REVIEW:
                continue
            holder = task.owner
            step = task.flow_task.name
            if keep(holder, step, review_process, task):
                continue
            _unassign(task)
            _tell_reviewers(publication, task, actor=actor, besides=holder)
            record(agency_id=publication.agency_id, events=[_task_event(
                AuditAction.CLAIM_RELEASED, task, review_process, publication, actor,
                data={**_holder_data(holder), "reason": reason(holder)})])
            released.append(task.pk)
    return released


def _load_task_as_system(task_id):
    task = (Task.objects
            .select_related("owner", "process__reviewprocess__publication__section")
            .get(pk=task_id))
    return task, task.process.reviewprocess, task.process.reviewprocess.publication


def deactivate_person(*, user, person_id: int):
    """An agency admin (or a platform operator) deactivates a person of their agency: they
    can no longer log in or act, and their open claims go back to the queue at once."""
    people = get_user_model().objects.select_for_update()
    if not user.is_superuser:
        if not user.has_role(Role.AGENCY_ADMIN):
            raise NotPermitted(_("只有机关管理员可以停用人员。"))
        # an agency admin manages the people of their agency, never a platform operator
        people = people.filter(agency_id=user.agency_id, is_superuser=False)
    with transaction.atomic():
        person = people.filter(pk=person_id).first()
        if person is None:
            raise NotFound(_("未找到该人员。"))
        if person.is_active:
            person.is_active = False
            person.changed_by = user  # the released claims are recorded in their name
            person.save(update_fields=["is_active"])
    return person


def _task_event(action, task, review_process, publication, user, **kwargs):
    return Event(action, subject=publication, actor=user, tier=task.flow_task.name,
                 round=review_process.round, fingerprint=publication.fingerprint, **kwargs)


def approve_task(*, user, task_id: int, comment: str = ""):
    return _decide(user, task_id, Decision.APPROVE, comment=comment)


def reject_task(*, user, task_id: int, comment: str):
    if not (comment or "").strip():
        raise InvalidInput(_("退回时必须填写意见。"), fields={"comment": [_("请填写退回意见。")]})
    return _decide(user, task_id, Decision.REJECT, comment=comment)


def withhold_task(*, user, task_id: int, basis: str, comment: str = ""):
    if basis not in WithholdBasis.values:
        raise InvalidInput(_("请选择不予公开的法定依据。"), fields={"basis": [
            _("须为以下之一：%s") % ", ".join(WithholdBasis.values)]})
    if not (comment or "").strip():
        raise InvalidInput(_("不予公开时必须填写意见。"),
                           fields={"comment": [_("请说明不予公开的理由。")]})
    return _decide(user, task_id, Decision.WITHHOLD, comment=comment, basis=basis)


class _StaleRound(Exception):
    """The content changed since the round started: the round is voided after the lock."""

    def __init__(self, process_id):
        self.process_id = process_id


class _NotScannedYet(Exception):
    """No scan of the current content, or a stale one (the agency's rules changed)."""

    def __init__(self, publication_id):
        self.publication_id = publication_id


class _AttachmentsPending(Exception):
    """The scan of the current content still waits for its attachments' part."""

    def __init__(self, report):
        self.report = report


ATTACHMENTS_PENDING = gettext_lazy("附件仍在检查中（压缩包、大文件可能需要几十秒），请稍后再试。")


def _decide(user, task_id, decision, *, comment="", basis=None):
    try:
        try:
            return _decide_locked(user, task_id, decision, comment=comment, basis=basis)
        except _NotScannedYet as missing:
            # The automatic scan has not run (or not finished), or the agency's word lists
            # changed since: run it, committed, so the reviewer's 409 names findings that
            # exist under today's rules, then decide again.
            scan_if_missing(missing.publication_id)
        except _AttachmentsPending:
            pass
        return _decide_again(user, task_id, decision, comment=comment, basis=basis)
    except _StaleRound as stale:
        _return_stale_round(stale.process_id)
        raise StaleContent(str(STALE_ROUND)) from None


def _decide_again(user, task_id, decision, *, comment, basis):
    """After the scan was (re)run. Its attachments' part is a worker's: done by now in the
    embedded mode (tasks in-process, run here if need be); otherwise the reviewer is asked
    to wait (and a scan that seems lost is queued again)."""
    pending = Conflict(str(ATTACHMENTS_PENDING), fields={"scan": ["pending"]})
    try:
        return _decide_locked(user, task_id, decision, comment=comment, basis=basis)
    except _NotScannedYet:
        raise pending from None
    except _AttachmentsPending as waiting:
        request_attachment_scan(waiting.report)
    try:
        return _decide_locked(user, task_id, decision, comment=comment, basis=basis)
    except (_NotScannedYet, _AttachmentsPending):
        raise pending from None


def _decide_locked(user, task_id, decision, *, comment, basis):
    with _locked_round_of(task_id) as process_id:
        try:
            return _decide_in_round(user, task_id, decision, comment=comment, basis=basis)
        except StaleContent:
            # rolled back with the lock's transaction; the round is voided in a new one
            raise _StaleRound(process_id) from None


def _decide_in_round(user, task_id, decision, *, comment, basis):
    task, review_process, publication = _load_task(user, task_id)
    on_behalf = _check_may_act(user, task, review_process)
    step = task.flow_task.name
    if decision == Decision.WITHHOLD and step != SECRECY_REVIEW:
        raise Conflict(_("只有保密审查环节可以决定不予公开。"))
    if publication.status != S.IN_REVIEW or review_process.status != PROCESS.NEW:
        raise Conflict(_("该信息已不在审核中。"))
    if publication.fingerprint != review_process.fingerprint:
        raise StaleContent(_("信息内容在提交后被改动。"))

    if step == SECRECY_REVIEW and decision == Decision.APPROVE:
        _check_no_open_blockers(publication)

    events = []
    activation = task.flow_task.activation_class(task)
    if task.status == STATUS.NEW:
        # claimed and decided at once: the claim is written with the decision, in the one
        # UPDATE of the task (viewflow's assign would save it a first time)
        task.assigned = timezone.now()
        task.owner = user
        task.status = STATUS.ASSIGNED
        events.append(_task_event(AuditAction.CLAIM, task, review_process, publication, user,
                                  data=dict(on_behalf)))
    activation.start(None)
    task.data = {"decision": decision, "comment": comment,
                 "fingerprint": review_process.fingerprint, **on_behalf}
    if basis:
        task.data["basis"] = basis
    if decision == Decision.APPROVE:
        events += _approve(activation, task, review_process, publication, user, comment,
                           on_behalf)
    else:
        events += _end_round(activation, task, review_process, publication, user,
                             decision, comment, basis, on_behalf)
    record(agency_id=publication.agency_id, events=events)
    return task


def _check_no_open_blockers(publication):
    """The confidentiality approval waits until the current content is scanned under the
    agency's current rules, attachments included, every blocking finding is cleared and
    every attachment the scanner could not read is acknowledged in this round."""
    check = approval_check(publication)
    if check is None:
        raise _NotScannedYet(publication.pk)
    if check.pending:
        raise _AttachmentsPending(check.report)
    if check.blockers:
        raise Conflict(
            _("预检发现 %d 处须处理的问题（密级标识、身份证号、银行卡号或高敏感词），"
              "请逐条排除并说明理由后再通过。") % len(check.blockers),
            fields={"findings": [finding_data(f) for f in check.blockers]})
    if check.unacknowledged:
        raise Conflict(
            _("有 %d 个附件未能自动检查（无法读取、格式过旧或文件过大），"
              "请人工检查后逐个确认并填写说明，再通过。") % len(check.unacknowledged),
            fields={"unscanned": check.unacknowledged})


def _approve(activation, task, review_process, publication, user, comment, on_behalf) -> list:
    step = task.flow_task.name
    if step == LEADERSHIP_REVIEW:
        # The last tier ends the round here, as reject and withhold do, instead of through
        # viewflow's End node: its task row, savepoint, count of open tasks and second
        # save of the process cost seven statements and record nothing the round does not.
        _finish_approved_round(task, review_process, publication)
    else:
        activation.execute()  # completes the task and opens the next tier
    events = [_task_event(AuditAction.APPROVE, task, review_process, publication, user,
                          comment=comment, data=dict(on_behalf))]
    if step == SECTION_HEAD_REVIEW:
        # robust: with the broker down the secrecy approval scans synchronously instead
        transaction.on_commit(
            lambda: scan_on_entering_secrecy_review.delay(publication.pk), robust=True)
    if step != LEADERSHIP_REVIEW:
        _tell_reviewers(publication, review_process.opened_task, actor=user)
        return events
    approval = approval_of(review_process=review_process, publication=publication)
    releases = create_releases_for_approval(approval=approval)
    events += [Event(AuditAction.RELEASE_CREATED, subject=publication,
                     round=review_process.round, fingerprint=release.fingerprint,
                     data={"channel": release.channel.code, "release": release.pk})
               for release in releases]
    notify_drafter(publication=publication, kind=NotificationKind.APPROVED, actor=user)
    return events


def _finish_approved_round(task, review_process, publication) -> None:
    """The leader's task done, the round closed approved and the item approved: what
    viewflow's completion, `_close_round` and two saves write, as one statement."""
    now = timezone.now()
    task.status = STATUS.DONE
    task.finished = now
    review_process.outcome = RoundOutcome.APPROVED
    review_process.status = PROCESS.DONE
    review_process.finished = now
    PublicationLifecycle(publication).approve()
    publication.updated_at = now
    together(
        update_sql(Task.objects.filter(pk=task.pk), status=task.status, owner=task.owner,
                   assigned=task.assigned, started=task.started, finished=now,
                   data=task.data),
        update_sql(Process.objects.filter(pk=review_process.pk), status=PROCESS.DONE,
                   finished=now),
        update_sql(ReviewProcess.objects.filter(pk=review_process.pk),
                   outcome=RoundOutcome.APPROVED),
        update_sql(Publication.objects.filter(pk=publication.pk), status=publication.status,
                   updated_at=now))
    task_finished.send(sender=ReviewFlow, process=review_process, task=task)


def approval_of(*, review_process, publication) -> Approval:
    """The round as fully approved, or Conflict: every tier approved the round's
    fingerprint, by different people, none of them the drafter (read from the round's
    completed tasks, not from what the caller believes)."""
    done = Task.objects.filter(process_id=review_process.pk, status=STATUS.DONE,
                               flow_task_type="HUMAN").only("flow_task", "owner_id", "data")
    decided = {task.flow_task.name: (task.owner_id, task.data or {}) for task in done}
    approvers = []
    for step in REVIEW_STEPS:
        owner_id, data = decided.get(step, (None, {}))
        if (owner_id is None or data.get("decision") != Decision.APPROVE
                or data.get("fingerprint") != review_process.fingerprint
                or owner_id == publication.drafter_id):
            raise Conflict(_("三审未全部通过，拒绝发布。"))
        approvers.append(owner_id)
    if len(set(approvers)) != len(REVIEW_STEPS):
        raise Conflict(_("三审须由不同人员完成，拒绝发布。"))
    return Approval(publication=publication, round=review_process.round,
                    fingerprint=review_process.fingerprint, approvers=tuple(approvers))


def _end_round(activation, task, review_process, publication, user, decision, comment,
               basis, on_behalf) -> list:
    """Reject (back to the drafter) or withhold (不予公开): the round ends here."""
    activation.complete()
    lifecycle = PublicationLifecycle(publication)
    if decision == Decision.REJECT:
        lifecycle.return_to_drafter()
        outcome, action = RoundOutcome.RETURNED, AuditAction.REJECT
        notice = NotificationKind.RETURNED
    else:
        lifecycle.withhold()
        outcome, action = RoundOutcome.WITHHELD, AuditAction.WITHHOLD
        notice = NotificationKind.WITHHELD
    publication.save(update_fields=["status", "updated_at"])
    _close_round(review_process, outcome)
    notify_drafter(publication=publication, kind=notice, actor=user, message=comment)
    return [_task_event(action, task, review_process, publication, user, comment=comment,
                        data={**on_behalf, **({"basis": basis} if basis else {})})]


STALE_ROUND = gettext_lazy("信息内容在提交审核后被改动，本轮审核作废，已退回经办人重新提交。")


def _return_stale_round(process_id):
    """Content changed under a running round: end it and give the item back to the drafter.

    Runs after the refused decision rolled back. The drafter resubmits, and every
    tier reviews the content as it now is.
    """
    with ReviewFlow.lock(process_id):
        review_process = ReviewProcess.objects.select_related(
            "publication__section", "publication__category",
        ).get(pk=process_id)
        publication = review_process.publication
        if review_process.status != PROCESS.NEW or publication.status != S.IN_REVIEW:
            return
        open_tasks = _cancel_open_tasks(process_id)
        _close_round(review_process, RoundOutcome.RETURNED, status=PROCESS.CANCELED)
        PublicationLifecycle(publication).return_to_drafter()
        publication.fingerprint = fingerprint_of(publication)
        publication.save(update_fields=["status", "fingerprint", "updated_at"])
        # stored in the trail (and hashed): the same words whatever the actor's language
        with translation.override(settings.LANGUAGE_CODE):
            comment = str(STALE_ROUND)
        record(agency_id=publication.agency_id, events=[Event(
            AuditAction.CONTENT_CHANGED, subject=publication,
            tier=open_tasks[0].flow_task.name if open_tasks else "",
            round=review_process.round, fingerprint=publication.fingerprint,
            comment=comment, data={"reviewed_fingerprint": review_process.fingerprint})])
        notify_drafter(publication=publication, kind=NotificationKind.RETURNED,
                       message=comment)


def acknowledge_unscanned(*, user, publication_id: int, field: str, note: str):
    """The confidentiality reviewer acknowledges an attachment the pre-scan could not read.

    Who may is the rule of the 保密审查 step, as for dismissing a finding.
    """
    with transaction.atomic():
        publication = visible_publication(user, publication_id, lock=True)
        reason = step_refusal(user, SECRECY_REVIEW, publication)
        if reason:
            raise NotPermitted(_("只有保密审查员可以确认未能检查的附件。") + reason)
        return acknowledge_unscanned_file(user=user, publication=publication, field=field,
                                          note=note)


def dismiss_finding(*, user, publication_id: int, finding_id: int, justification: str):
    """The confidentiality reviewer clears a pre-scan finding, giving the reason.

    Who may is the rule of the 保密审查 step (any confidentiality reviewer of the item's
    agency who did not draft it); the finding itself is `scanning`'s to change.
    """
    with transaction.atomic():
        publication = visible_publication(user, publication_id, lock=True)
        reason = step_refusal(user, SECRECY_REVIEW, publication)
        if reason:
            raise NotPermitted(_("只有保密审查员可以排除预检发现。") + reason)
        return dismiss_scan_finding(user=user, publication=publication,
                                    finding_id=finding_id, justification=justification)
