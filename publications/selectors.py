"""Reads of publications, scoped to what a person may see; the item facts of audit events."""

from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, When
from django.utils.translation import gettext as _

from agencies.models import Role
from audit.models import subject_type_of
from core.errors import NotFound

from .models import DocumentType, Publication, PublicationStatus

# What audit events about an item record as their subject's kind.
ITEM_SUBJECT = subject_type_of(Publication)

# Roles that read every item of their agency; a drafter alone sees their section's.
AGENCY_WIDE_ROLES = {Role.SECTION_HEAD, Role.SECRECY_REVIEWER, Role.LEADER, Role.PUBLISHER,
                     Role.AUDITOR, Role.AGENCY_ADMIN}


def can_see(user, publication) -> bool:
    """The object-level form of `visible_publications` (no query)."""
    if not user.is_authenticated or user.agency_id != publication.agency_id:
        return False
    if AGENCY_WIDE_ROLES & set(user.roles or []):
        return True
    return publication.drafter_id == user.pk or publication.section_id == user.section_id


def visible_publications(user):
    """The items of the person's agency they may read. A platform operator (a superuser in
    no agency) reads none: they run the platform, not any agency's disclosure."""
    qs = Publication.objects.all()
    if not user.is_authenticated or user.agency_id is None:
        return qs.none()
    qs = qs.filter(agency_id=user.agency_id)
    if AGENCY_WIDE_ROLES & set(user.roles or []):
        return qs
    return qs.filter(Q(drafter=user) | Q(section_id=user.section_id))


def visible_publication(user, publication_id, *, lock=False, related=()):
    """The item if the person may see it, else NotFound (404); `lock` takes its row lock."""
    qs = visible_publications(user)
    if related:
        qs = qs.select_related(*related)
    if lock:
        qs = qs.select_for_update(of=("self",))
    publication = qs.filter(pk=publication_id).first()
    if publication is None:
        raise NotFound(_("未找到该信息。"))
    return publication


def publication_list(*, user, status=None, section=None):
    qs = visible_publications(user).select_related("section", "category", "drafter")
    if status:
        qs = qs.filter(status=status)
    if section:
        qs = qs.filter(section__code=section)
    return qs.prefetch_related("channels", "attachments")


def abolishable_documents(*, agency_id):
    """The agency's released 规章 and 行政规范性文件, newest first: what an item may abolish
    (exactly what `services` accepts in `abolishes`)."""
    return (Publication.objects
            .filter(agency_id=agency_id, status=PublicationStatus.APPROVED,
                    document_type__in=DocumentType.values)
            .order_by("-pk").only("pk", "title", "document_number", "document_type"))


def abolished_documents(publication):
    """The documents the item abolishes (its `abolishes`), by 文号."""
    return (publication.abolishes.order_by("document_number", "pk")
            .only("pk", "agency_id", "section_id", "drafter_id", "title", "document_number",
                  "document_type", "status"))


def abolishes_any(publication_ref):
    """An expression: does the item `publication_ref` (an OuterRef) abolish anything? Lets
    a page load the list only for the items that have one."""
    return Exists(Publication.abolishes.through.objects.filter(
        from_publication_id=publication_ref))


def items_of_section(section):
    """The ids of a section's items, for narrowing the audit trail to them."""
    return Publication.objects.filter(section=section).values("pk")


def with_item_facts(events):
    """Audit events with the item each is about (`item_id`, `item_title`, `item_section`;
    empty for events about something else), in the events' own query."""
    item = Publication.objects.filter(pk=OuterRef("subject_id"))

    def of_items(value):
        return Case(When(subject_type=ITEM_SUBJECT, then=value))

    return events.annotate(item_id=of_items(F("subject_id")),
                           item_title=of_items(Subquery(item.values("title")[:1])),
                           item_section=of_items(Subquery(item.values("section__name")[:1])))
