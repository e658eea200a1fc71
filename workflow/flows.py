"""The 三审 + 保密审查 review flow, one process per round.

It reads like the regulation: the section head reviews, then the
confidentiality reviewer, then the leadership; after the last approval the
round ends approved. Reject, withhold and withdraw end the round early from the
service layer (workflow.services) instead of a gateway after each tier: the
gateways cost five SQL statements per tier and say nothing the services do not. The
final approval ends the round there too (`approved` is the chart's end, never
activated): viewflow's End node would add a task row and seven statements.
"""

from django.http import HttpResponseNotAllowed
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.lock import select_for_update_lock
from viewflow.workflow.nodes.view import ViewActivation

from publications.lifecycle import ReviewStep as Step

from .models import ReviewProcess
from .permissions import STEP_PERMISSION


class ReviewActivation(ViewActivation):
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

    start = flow.StartHandle(this.start_round).Next(this.section_head_review)

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

