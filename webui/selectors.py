"""Reads for the drafter's pages: the item list with the step each item waits in."""

from django.db.models import OuterRef, Q, Subquery

from audit.models import AuditAction
from audit.selectors import subject_trail
from publications.selectors import visible_publications
from workflow.selectors import open_tasks


def my_items(*, user):
    """The person's own items and their section's, newest first, each with `waiting_step`
    (the flow node of the open task of its open round, or None) in one query."""
    open_task = (open_tasks(publication=OuterRef("pk")).order_by("-created", "-pk")
                 .values("flow_task")[:1])
    return (visible_publications(user)
            .filter(Q(drafter=user) | Q(section_id=user.section_id))
            .select_related("section", "category", "drafter")
            .annotate(waiting_step=Subquery(open_task))
            .order_by("-updated_at", "-pk"))


def waiting_step_of(publication):
    """The flow node the item waits in (None when no review round is open)."""
    return (open_tasks(publication=publication).order_by("-created", "-pk")
            .values_list("flow_task", flat=True).first())


def latest_reject_comment(publication) -> str:
    event = (subject_trail(subject=publication).filter(action=AuditAction.REJECT)
             .order_by("-seq").only("comment").first())
    return event.comment if event else ""
