"""Reads of the audit trail: one subject's events, an agency's filtered trail.

Everything here is scoped by the caller's agency (or by a subject the caller already may
see); nothing here writes. Subjects are named generically (kind and id): what an event is
about is for the subject's own app to show.
"""

import datetime as dt

from django.utils import timezone

from agencies.models import Section, User

from .models import AuditChain, AuditEvent, subject_type_of


def subject_trail(*, subject):
    """The events about `subject` (a model instance), in chain order."""
    return (AuditEvent.objects.filter(subject_type=subject_type_of(subject),
                                      subject_id=subject.pk)
            .order_by("seq"))


def timeline(*, subject):
    """Every event about `subject` in chain order, with who acted (one query)."""
    return subject_trail(subject=subject).select_related("actor")


def latest_events(*, subject, actions) -> dict:
    """The latest event of each of `actions` about `subject`, by action, with who acted
    (one query)."""
    latest = {}
    for event in timeline(subject=subject).filter(action__in=actions).order_by("-seq"):
        latest.setdefault(event.action, event)
    return latest


def local_day_start(day: dt.date) -> dt.datetime:
    """A date filter means a day of the agencies' zone (settings.TIME_ZONE, Beijing time),
    whatever zone the server or the person's browser is in."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


def agency_trail(*, agency, actor=None, action: str = "", subject_type: str = "",
                 subject_ids=None, date_from: dt.date | None = None,
                 date_to: dt.date | None = None):
    """The agency's events, newest first, narrowed by the given filters.

    `subject_ids` (ids or a queryset of them) narrows to those subjects of `subject_type`.
    `date_from` and `date_to` are inclusive days in Beijing time. Rows come with their
    actor, so listing a page costs one query.
    """
    events = (AuditEvent.objects.filter(agency=agency)
              .select_related("actor")
              .order_by("-seq"))
    if actor is not None:
        events = events.filter(actor=actor)
    if action:
        events = events.filter(action=action)
    if subject_type:
        events = events.filter(subject_type=subject_type)
    if subject_ids is not None:
        events = events.filter(subject_id__in=subject_ids)
    if date_from is not None:
        events = events.filter(at__gte=local_day_start(date_from))
    if date_to is not None:
        events = events.filter(at__lt=local_day_start(date_to + dt.timedelta(days=1)))
    return events


def chain_length(*, agency) -> int:
    """How many events the agency's trail holds: its chain head's sequence number (one row,
    however long the trail)."""
    return (AuditChain.objects.filter(agency=agency).values_list("last_seq", flat=True)
            .first() or 0)


def trail_people(*, agency):
    """The agency's people, for choosing whose actions to list."""
    return User.objects.filter(agency=agency).order_by("username")


def trail_sections(*, agency):
    return Section.objects.filter(agency=agency).order_by("code")


def latest_verification(*, agency):
    """The agency's most recent chain check (audit.tasks.verify_chain_job), or None."""
    from .models import ChainVerification

    return (ChainVerification.objects.filter(agency=agency)
            .select_related("requested_by").order_by("-requested_at", "-pk").first())
