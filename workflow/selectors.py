"""Review queues: the tasks a person may act on, in a constant number of queries."""

from django.db.models import Exists, OuterRef, Q
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from agencies.models import Role

from .flows import ReviewFlow
from .permissions import LEADERSHIP_REVIEW, SECRECY_REVIEW, SECTION_HEAD_REVIEW

_PUBLICATION = "process__reviewprocess__publication"


def _step_filter(user) -> Q | None:
    """Which steps of which sections' items this person reviews."""
    allowed = Q(pk__in=[])
    any_step = False
    if user.has_role(Role.SECTION_HEAD):
        any_step = True
        allowed |= Q(flow_task=ReviewFlow.section_head_review,
                     **{f"{_PUBLICATION}__section__in": user.headed_sections.values("pk")})
    if user.has_role(Role.SECRECY_REVIEWER):
        any_step = True
        allowed |= Q(flow_task=ReviewFlow.secrecy_review)
    if user.has_role(Role.LEADER):
        any_step = True
        allowed |= Q(flow_task=ReviewFlow.leadership_review,
                     **{f"{_PUBLICATION}__section__in": user.covered_sections.values("pk")})
    return allowed if any_step else None


def actionable_tasks(*, user, step=None, section=None):
    """Unclaimed tasks the person may take, and those they have claimed, oldest first."""
    allowed = _step_filter(user)
    if allowed is None or user.agency_id is None:
        return Task.objects.none()
    acted = Task.objects.filter(process_id=OuterRef("process_id"), owner_id=user.pk,
                                status=STATUS.DONE)
    qs = (Task.objects
          .filter(allowed, **{f"{_PUBLICATION}__agency_id": user.agency_id})
          .filter(Q(status=STATUS.NEW) | Q(status=STATUS.ASSIGNED, owner_id=user.pk))
          .exclude(**{f"{_PUBLICATION}__drafter_id": user.pk})
          .exclude(Exists(acted))
          .select_related(f"{_PUBLICATION}__section", "owner")
          .order_by("created", "pk"))
    if step in (SECTION_HEAD_REVIEW, SECRECY_REVIEW, LEADERSHIP_REVIEW):
        qs = qs.filter(flow_task=getattr(ReviewFlow, step))
    if section:
        qs = qs.filter(**{f"{_PUBLICATION}__section__code": section})
    return qs
