"""Review queues: the tasks a person may act on, in a constant number of queries.

Filtering starts from open tasks (a partial index on viewflow's task table) and
open rounds (a partial index on ReviewProcess), never from the whole history.
"""

from django.db.models import Exists, OuterRef, Q
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from agencies.models import Role

from .flows import ReviewFlow
from .models import ReviewProcess, RoundOutcome
from .permissions import LEADERSHIP_REVIEW, REVIEWER_ROLES, SECRECY_REVIEW, SECTION_HEAD_REVIEW


def _open_rounds(user, *, sections=None, section_code=None):
    rounds = (ReviewProcess.objects
              .filter(agency_id=user.agency_id, outcome=RoundOutcome.OPEN)
              .exclude(drafter_id=user.pk))
    if sections is not None:
        rounds = rounds.filter(section_id__in=sections)
    if section_code:
        rounds = rounds.filter(section__code=section_code)
    return rounds.values("pk")


def _step_filter(user, section_code) -> Q | None:
    """Which steps of which sections' open rounds this person reviews."""
    allowed = Q(pk__in=[])
    any_step = False
    if user.has_role(Role.SECTION_HEAD):
        any_step = True
        allowed |= Q(flow_task=ReviewFlow.section_head_review,
                     process_id__in=_open_rounds(user, sections=user.headed_sections.values("pk"),
                                                 section_code=section_code))
    if user.has_role(Role.SECRECY_REVIEWER):
        any_step = True
        allowed |= Q(flow_task=ReviewFlow.secrecy_review,
                     process_id__in=_open_rounds(user, section_code=section_code))
    if user.has_role(Role.LEADER):
        any_step = True
        allowed |= Q(flow_task=ReviewFlow.leadership_review,
                     process_id__in=_open_rounds(user, sections=user.covered_sections.values("pk"),
                                                 section_code=section_code))
    return allowed if any_step else None


def actionable_tasks(*, user, step=None, section=None):
    """Unclaimed tasks the person may take, and those they have claimed, oldest first.

    Narrow rows: combine with `with_review_context` to show them.
    """
    if not user.is_authenticated or user.agency_id is None:
        return Task.objects.none()
    allowed = _step_filter(user, section)
    if allowed is None:
        return Task.objects.none()
    qs = (Task.objects
          # the IN lets PostgreSQL use the partial index on open tasks
          .filter(status__in=(STATUS.NEW, STATUS.ASSIGNED))
          .filter(Q(status=STATUS.NEW) | Q(owner_id=user.pk))
          .filter(allowed)
          .order_by("created", "pk"))
    if sum(user.has_role(role) for role in REVIEWER_ROLES) > 1:
        # Someone with one reviewer role reviews one step of a round, so can only have
        # acted in the round through that very task; with several roles, hide later steps.
        acted = Task.objects.filter(process_id=OuterRef("process_id"), owner_id=user.pk,
                                    status=STATUS.DONE)
        qs = qs.exclude(Exists(acted))
    if step in (SECTION_HEAD_REVIEW, SECRECY_REVIEW, LEADERSHIP_REVIEW):
        qs = qs.filter(flow_task=getattr(ReviewFlow, step))
    return qs


def with_review_context(tasks):
    return tasks.select_related("process__reviewprocess__publication__section", "owner")


def tasks_in_order(task_ids):
    """The given tasks with their round, item and section, in the order of the ids."""
    by_id = with_review_context(Task.objects.all()).in_bulk(task_ids)
    return [by_id[pk] for pk in task_ids if pk in by_id]
