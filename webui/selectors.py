"""Reads for the drafter's pages: the item list with the step each item waits in."""

from django.db.models import OuterRef, Q, Subquery

from agencies.models import Role, User, holding_role
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


def agency_items(*, user, search="", status="", section=None, channel=None, date_from=None,
                 date_to=None):
    """The agency-wide item list (全部信息): every item of the person's agency they may read,
    searched by title or 文号 and filtered, newest first, in one query per page (sections,
    categories and drafters joined, channels prefetched)."""
    qs = visible_publications(user)
    if search:
        qs = qs.filter(Q(title__icontains=search) | Q(document_number__icontains=search))
    if status:
        qs = qs.filter(status=status)
    if section is not None:
        qs = qs.filter(section=section)
    if channel is not None:
        qs = qs.filter(channels=channel)
    if date_from is not None:
        qs = qs.filter(formed_on__gte=date_from)
    if date_to is not None:
        qs = qs.filter(formed_on__lte=date_to)
    return (qs.select_related("section", "category", "drafter")
            .prefetch_related("channels").order_by("-updated_at", "-pk"))


def agency_administrators(user):
    """Whom a person asks for a role: the active administrators of their agency."""
    if user.agency_id is None:
        return []
    return list(User.objects.filter(holding_role(Role.AGENCY_ADMIN), agency_id=user.agency_id,
                                    is_active=True).order_by("username"))
