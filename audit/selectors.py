"""Reads of the audit trail: one item's events, an agency's filtered trail, a round's content.

Everything here is scoped by the caller's agency (or by an item the caller already may see);
nothing here writes.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from agencies.models import Section, User
from workflow.models import ReviewProcess

from .models import AuditAction, AuditEvent


def publication_trail(*, publication):
    return AuditEvent.objects.filter(publication=publication).order_by("seq")


def item_timeline(*, publication):
    """Every event of the item in chain order, with who acted (one query)."""
    return publication_trail(publication=publication).select_related("actor")


def local_day_start(day: dt.date) -> dt.datetime:
    """A date filter means a day of the agencies' zone (settings.TIME_ZONE, Beijing time),
    whatever zone the server or the person's browser is in."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


def agency_trail(*, agency, actor=None, action: str = "", section=None,
                 date_from: dt.date | None = None, date_to: dt.date | None = None):
    """The agency's events, newest first, narrowed by the given filters.

    `date_from` and `date_to` are inclusive days in Beijing time. Rows come with their
    actor, item and the item's section, so listing a page costs one query.
    """
    events = (AuditEvent.objects.filter(agency=agency)
              .select_related("actor", "publication__section")
              .order_by("-seq"))
    if actor is not None:
        events = events.filter(actor=actor)
    if action:
        events = events.filter(action=action)
    if section is not None:
        events = events.filter(publication__section=section)
    if date_from is not None:
        events = events.filter(at__gte=local_day_start(date_from))
    if date_to is not None:
        events = events.filter(at__lt=local_day_start(date_to + dt.timedelta(days=1)))
    return events


def trail_people(*, agency):
    """The agency's people, for choosing whose actions to list."""
    return User.objects.filter(agency=agency).order_by("username")


def trail_sections(*, agency):
    return Section.objects.filter(agency=agency).order_by("code")


@dataclass(frozen=True)
class RoundContent:
    """What was submitted for review in one round, if anything kept it."""

    round: int
    submitted: AuditEvent
    title: str = ""
    body: str = ""
    # "trail": the submit event kept the content; "round": the review round's record kept it;
    # "current": the item's content now has the fingerprint the round was submitted with, so
    # it is the same content; "": not kept anywhere.
    source: str = ""

    @property
    def kept(self) -> bool:
        return bool(self.source)


def _submitted_content(data) -> tuple[str, str] | None:
    """Title and body from a submit event's data, if it kept them (older events did not)."""
    if not isinstance(data, dict):
        return None
    content = data.get("content") if isinstance(data.get("content"), dict) else data
    title, body = content.get("title"), content.get("body")
    if not isinstance(title, str) or not title:
        return None
    return title, body if isinstance(body, str) else ""


def _kept_by_round(publication, round: int) -> dict | None:
    """What the review round kept of its submitted content (ReviewProcess.submitted)."""
    review_process = ReviewProcess.objects.filter(publication=publication, round=round).first()
    return review_process.submitted if review_process is not None else None


def submitted_rounds(*, publication) -> list[int]:
    """The rounds the item was submitted in, in order."""
    return sorted(set(publication_trail(publication=publication)
                      .filter(action=AuditAction.SUBMIT, round__isnull=False)
                      .values_list("round", flat=True)))


def round_content(*, publication, round: int) -> RoundContent | None:
    """The content submitted in `round` (None when the item was never submitted in it)."""
    submitted = (publication_trail(publication=publication)
                 .filter(action=AuditAction.SUBMIT, round=round)
                 .select_related("actor").last())
    if submitted is None:
        return None
    kept = _submitted_content(submitted.data)
    if kept is not None:
        return RoundContent(round, submitted, title=kept[0], body=kept[1], source="trail")
    kept = _submitted_content(_kept_by_round(publication, round))
    if kept is not None:
        return RoundContent(round, submitted, title=kept[0], body=kept[1], source="round")
    if submitted.fingerprint and submitted.fingerprint == publication.fingerprint:
        return RoundContent(round, submitted, title=publication.title, body=publication.body,
                            source="current")
    return RoundContent(round, submitted)
