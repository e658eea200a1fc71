"""Reads of publications, scoped to what a person may see."""

from django.db.models import Q

from agencies.models import Role

from .models import Publication

# Roles that read every item of their agency; a drafter alone sees their section's.
AGENCY_WIDE_ROLES = {Role.SECTION_HEAD, Role.SECRECY_REVIEWER, Role.LEADER, Role.PUBLISHER,
                     Role.AUDITOR, Role.AGENCY_ADMIN}


def can_see(user, publication) -> bool:
    """The object-level form of `visible_publications` (no query)."""
    if user.is_superuser:
        return True
    if not user.is_authenticated or user.agency_id != publication.agency_id:
        return False
    if AGENCY_WIDE_ROLES & set(user.roles or []):
        return True
    return publication.drafter_id == user.pk or publication.section_id == user.section_id


def visible_publications(user):
    qs = Publication.objects.all()
    if user.is_superuser:
        return qs
    if not user.is_authenticated or user.agency_id is None:
        return qs.none()
    qs = qs.filter(agency_id=user.agency_id)
    if AGENCY_WIDE_ROLES & set(user.roles or []):
        return qs
    return qs.filter(Q(drafter=user) | Q(section_id=user.section_id))


def visible_publication(user, publication_id, *, lock=False, related=()):
    """The item if the person may see it, else NotFound (404); `lock` takes its row lock."""
    from django.utils.translation import gettext as _

    from config.errors import NotFound

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
