"""The 三审 + 保密审查 review flow, one process per round.

It reads like the regulation: the section head reviews, then the
confidentiality reviewer, then the leadership; after the last approval the
round ends approved. Reject, withhold and withdraw end the round early from the
service layer (workflow.services) instead of a gateway after each tier: the
gateways cost five SQL statements per tier and say nothing the services do not. The
final approval ends the round there too (`approved` is the chart's end, never
activated): viewflow's End node would add a task row and seven statements.
"""

from django.db import connection
from django.http import HttpResponseNotAllowed
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.lock import select_for_update_lock
from viewflow.workflow.models import Process, Task
from viewflow.workflow.nodes.start import StartHandleActivation
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.signals import flow_started, task_finished, task_started
from viewflow.workflow.status import STATUS

from core.sql import combined_writes, insert_child_sql, insert_sql, saved
from publications.lifecycle import ReviewStep as Step

from .models import ReviewProcess
from .permissions import STEP_PERMISSION


def insert_task(task, *, after):
    """Save a new task and its link to the task before it (`Task.previous`): one statement
    on PostgreSQL instead of viewflow's save and `previous.add`. When `after` is new too
    (a round's start task, done at once), it is inserted in the same statement."""
    tasks = [after, task] if after.pk is None else [task]
    for each in tasks:
        if each.flow_task and not each.flow_task_type:
            each.flow_task_type = each.flow_task.task_type
    if not combined_writes():
        for each in tasks:
            each.save()
        task.previous.add(after)
        return task
    link = Task.previous.through._meta.db_table
    insert, params = insert_sql([task])
    with connection.cursor() as cursor:
        if after.pk is None:
            before, before_params = insert_sql([after])
            cursor.execute(f"WITH before AS ({before}), new AS ({insert}) INSERT INTO {link} "
                           "(from_task_id, to_task_id) SELECT new.id, before.id FROM new, before "
                           "RETURNING from_task_id, to_task_id", (*before_params, *params))
            [(pk, before_pk)] = cursor.fetchall()
            saved([after], [(before_pk,)])
            saved([task], [(pk,)])
            return task
        cursor.execute(f"WITH new AS ({insert}) INSERT INTO {link} (from_task_id, to_task_id) "
                       "SELECT id, %s FROM new RETURNING from_task_id", (*params, after.pk))
        saved([task], cursor.fetchall())
    return task


def insert_round(process, *, writes=()) -> None:
    """Save a new round: viewflow's process row and ours in one statement on PostgreSQL
    (Django's save of an inherited model sends two), with `writes`, (sql, params) the
    caller's statements independent of the round's rows (the submitted item's status)."""
    if not combined_writes():
        with connection.cursor() as cursor:
            for sql, params in writes:
                cursor.execute(sql, params)
        process.save()
        return
    parent, parent_params = insert_sql([process], model=Process)
    child, child_params = insert_child_sql(process, parent_alias="parent")
    ctes = "".join(f"w{i} AS ({sql}), " for i, (sql, _params) in enumerate(writes))
    writes_params = tuple(p for _sql, params in writes for p in params)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {ctes}parent AS ({parent}) {child}",
                       (*writes_params, *parent_params, *child_params))
        [(pk,)] = cursor.fetchall()
    process.id = process.process_ptr_id = pk
    process._state.adding = False
    process._state.db = "default"


class RoundStartActivation(StartHandleActivation):
    """viewflow's start of a process, without its savepoint and its lock of the row just
    inserted: the submit's transaction holds the item's lock, and nobody sees the new
    round before it commits (three statements fewer). The start task, done at once, is
    not saved by itself: it is inserted with the first tier's task (`insert_task`), and
    the round's rows with the submit's own writes (`insert_round`)."""

    writes_with_round = ()  # the submit's own writes, sent with the round's rows

    @Activation.status.super()
    def execute(self):
        assert connection.in_atomic_block, "a round starts inside the submit's transaction"
        task_started.send(sender=self.flow_class, process=self.process, task=self.task)
        insert_round(self.process, writes=self.writes_with_round)
        self.task.process = self.process
        # viewflow's complete() without its save: the task is inserted as the next is
        self.task.status = STATUS.DONE
        self.task.finished = now()
        task_finished.send(sender=self.flow_class, process=self.process, task=self.task)
        flow_started.send(sender=self.flow_class, process=self.process, task=self.task)
        self.activate_next()
        assert self.task.pk is not None, "the start task is saved with the first tier's"


class RoundStart(flow.StartHandle):
    activation_class = RoundStartActivation


class ReviewActivation(ViewActivation):
    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        """viewflow's creation of a human task (its owner permission on the round), the
        task and its link to the previous one written in one statement (`insert_task`).
        Review steps assign no owner on creation: people claim."""
        task = flow_task.flow_class.task_class(process=prev_activation.process,
                                               flow_task=flow_task, token=token)
        task.data = data if data is not None else {}
        task.seed = seed
        activation = cls(task)
        task.owner_permission = flow_task.calc_owner_permission(activation)
        task.owner_permission_obj = flow_task.calc_owner_permission_obj(activation)
        insert_task(task, after=prev_activation.task)
        prev_activation.process.opened_task = task
        return activation

    def prepare_revived_task(self, task):
        # viewflow 2.4 rebuilds a revived task without its owner permission,
        # which would put it in everyone's queue; keep the original's.
        task.owner_permission = self.task.owner_permission
        task.owner_permission_content_type_id = self.task.owner_permission_content_type_id
        task.owner_permission_obj_pk = self.task.owner_permission_obj_pk


def decisions_only_through_services(request, *args, **kwargs):
    """Review decisions go through workflow.services (API and web UI), never a bare form."""
    return HttpResponseNotAllowed([])


def _the_process(process):
    return process


class ReviewStep(flow.View):
    activation_class = ReviewActivation

    def __init__(self, step: Step):
        super().__init__(decisions_only_through_services)
        self.task_title = step.label


class ReviewFlow(flow.Flow):
    process_class = ReviewProcess
    lock_impl = select_for_update_lock
    process_title = _("三审 + 保密审查")

    start = RoundStart(this.start_round).Next(this.section_head_review)

    section_head_review = (
        ReviewStep(Step.SECTION_HEAD_REVIEW)
        .Permission(STEP_PERMISSION["section_head_review"], obj=_the_process)
        .Next(this.secrecy_review)
    )
    secrecy_review = (
        ReviewStep(Step.SECRECY_REVIEW)
        .Permission(STEP_PERMISSION["secrecy_review"], obj=_the_process)
        .Next(this.leadership_review)
    )
    leadership_review = (
        ReviewStep(Step.LEADERSHIP_REVIEW)
        .Permission(STEP_PERMISSION["leadership_review"], obj=_the_process)
        .Next(this.approved)
    )
    approved = flow.End()

    def start_round(self, activation, *, publication, fingerprint, writes=()):
        """`writes`: the submit's statements sent with the round's INSERT (`insert_round`)."""
        activation.writes_with_round = writes
        activation.process.publication = publication
        activation.process.agency_id = publication.agency_id
        activation.process.section_id = publication.section_id
        activation.process.drafter_id = publication.drafter_id
        activation.process.round = publication.round
        activation.process.fingerprint = fingerprint
        return activation.process

