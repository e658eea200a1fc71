"""Reads of releases for the publisher's pages: the queues of the publisher's agency and one
release with its item and channel; and an item's releases for its outcome (the item's page,
the drafter's list)."""

from django.db.models import Prefetch, Q

from agencies.models import CHANNEL_ORDER

from .models import Release, ReleaseStatus

QUEUES = {
    "awaiting": (ReleaseStatus.AWAITING_CONFIRMATION,),
    "failed": (ReleaseStatus.FAILED, ReleaseStatus.RETRACTION_FAILED),
    "published": (ReleaseStatus.PUBLISHED,),
}


def agency_releases(*, user):
    """Releases of the person's own agency (none for a person of no agency)."""
    if user.agency_id is None:
        return Release.objects.none()
    return (Release.objects.filter(channel__agency_id=user.agency_id,
                                   publication__agency_id=user.agency_id)
            .select_related("channel", "publication", "publication__section"))


def release_queue(*, user, queue: str, channel=None, date_from=None, date_to=None, q=""):
    """One queue, filtered: the channel, a day range (the day it was carried for published
    releases, else the day it was created) and words of the item's title."""
    releases = agency_releases(user=user).filter(status__in=QUEUES[queue])
    day = "published_on" if queue == "published" else "created_at__date"
    if channel is not None:
        releases = releases.filter(channel=channel)
    if date_from:
        releases = releases.filter(**{f"{day}__gte": date_from})
    if date_to:
        releases = releases.filter(**{f"{day}__lte": date_to})
    if q:
        releases = releases.filter(Q(publication__title__icontains=q)
                                   | Q(publication__document_number__icontains=q))
    if queue == "published":
        return releases.order_by("-published_on", "-id")
    return releases.order_by("created_at", "id")


def queue_counts(*, user) -> dict:
    releases = agency_releases(user=user)
    return {name: releases.filter(status__in=statuses).count()
            for name, statuses in QUEUES.items()}


def release_of_agency(*, user, release_id: int):
    """The release, if it belongs to the person's agency; else None."""
    return agency_releases(user=user).filter(pk=release_id).first()


def releases_of(*, publication) -> list[Release]:
    """The item's releases with their channels, in the agency's order of channels."""
    return list(Release.objects.filter(publication=publication).select_related("channel")
                .order_by(*(f"channel__{name}" for name in CHANNEL_ORDER)))


def with_release_statuses(publications):
    """The items, each with `outcome_releases`: its releases, status only (one more query
    for a page of items, however many)."""
    return publications.prefetch_related(Prefetch(
        "releases", queryset=Release.objects.only("pk", "publication_id", "status").order_by(),
        to_attr="outcome_releases"))
