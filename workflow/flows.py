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
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.lock import select_for_update_lock
from viewflow.workflow.models import Process, Task
from viewflow.workflow.nodes.start import StartHandleActivation
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.signals import flow_started, task_started

from core.sql import combined_writes, insert_child_sql, insert_sql, saved
from publications.lifecycle import ReviewStep as Step

from .models import ReviewProcess
from .permissions import STEP_PERMISSION


def insert_task(task, *, after):
    """Save a new task and its link to the task before it (`Task.previous`): one statement
    on PostgreSQL instead of viewflow's save and `previous.add`."""
    if task.flow_task and not task.flow_task_type:
        task.flow_task_type = task.flow_task.task_type
    if not combined_writes():
        task.save()
        task.previous.add(after)
        return task
    insert, params = insert_sql([task])
    link = Task.previous.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"WITH new AS ({insert}) INSERT INTO {link} (from_task_id, to_task_id) "
                       "SELECT id, %s FROM new RETURNING from_task_id", (*params, after.pk))
        saved([task], cursor.fetchall())
    return task


def insert_round(process) -> None:
    """Save a new round: viewflow's process row and ours in one statement on PostgreSQL
    (Django's save of an inherited model sends two)."""
    if not combined_writes():
        process.save()
        return
    parent, parent_params = insert_sql([process], model=Process)
    child, child_params = insert_child_sql(process, parent_alias="parent")
    with connection.cursor() as cursor:
        cursor.execute(f"WITH parent AS ({parent}) {child}", (*parent_params, *child_params))
        [(pk,)] = cursor.fetchall()
    process.id = process.process_ptr_id = pk
    process._state.adding = False
    process._state.db = "default"


class RoundStartActivation(StartHandleActivation):
    """viewflow's start of a process, without its savepoint and its lock of the row just
    inserted: the submit's transaction holds the item's lock, and nobody sees the new
    round before it commits (three statements fewer)."""

    @Activation.status.super()
    def execute(self):
        assert connection.in_atomic_block, "a round starts inside the submit's transaction"
        task_started.send(sender=self.flow_class, process=self.process, task=self.task)
        insert_round(self.process)
        self.task.process = self.process
        self.complete()
        flow_started.send(sender=self.flow_class, process=self.process, task=self.task)
        self.activate_next()


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

    def start_round(self, activation, *, publication, fingerprint):
        activation.process.publication = publication
        activation.process.agency_id = publication.agency_id
        activation.process.section_id = publication.section_id
        activation.process.drafter_id = publication.drafter_id
        activation.process.round = publication.round
        activation.process.fingerprint = fingerprint
        return activation.process

