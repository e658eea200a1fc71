"""Reads of releases for the publisher's and the leader's pages: the queues of the
publisher's agency and one release with its item and channel; what a retraction (撤稿) will
do to each release of an item; the retraction requests a leader decides; and an item's
releases for its outcome (the item's page, the drafter's list)."""

from django.db.models import Prefetch, Q

from agencies.models import CHANNEL_ORDER, Role

from .adapters import adapter_for
from .delivery import delivered_state
from .models import Release, ReleaseStatus, RetractionRequest

# how a retraction takes a release back (see `retraction_route`)
THROUGH_CHANNEL = "channel"
DIRECTLY = "direct"
NOTHING_TO_DO = "nothing"

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


# --- retraction (撤稿) -------------------------------------------------------------------

def retraction_route(release) -> str:
    """How retracting the item takes `release` back: the one rule of
    `services._retract` and of the page that says beforehand what a retraction will do.

    Out, or perhaps out (being sent; a lost answer): through the channel, whose retraction
    takes it back or finds it never arrived. Never sent: marked retracted at once. Already
    retracted (or given up on): nothing to do.
    """
    if release.status == ReleaseStatus.PUBLISHED or adapter_for(
            release.channel).may_have_reached(release, delivered_state(release)):
        return THROUGH_CHANNEL
    if release.status in (ReleaseStatus.RETRACTED, ReleaseStatus.RETRACTION_FAILED):
        return NOTHING_TO_DO
    return DIRECTLY


def retraction_plan(*, publication) -> list[tuple[Release, str]]:
    """Every release of the item with its `retraction_route`, in channel order."""
    releases = (Release.objects.filter(publication=publication)
                .select_related("channel")
                .order_by(*(f"channel__{name}" for name in CHANNEL_ORDER)))
    return [(release, retraction_route(release)) for release in releases]


def covers_section(user, section_id) -> bool:
    """A leader covering the section: who may retract its items and decide requests."""
    return (user.has_role(Role.LEADER)
            and user.covered_sections.filter(pk=section_id).exists())


def retraction_requests(*, user, decided: bool = False):
    """Requests about items of the sections the leader covers, in the leader's agency:
    pending ones oldest first, or (`decided`) the decided ones, latest decision first."""
    if user.agency_id is None or not user.has_role(Role.LEADER):
        return RetractionRequest.objects.none()
    requests = (RetractionRequest.objects
                .filter(publication__agency_id=user.agency_id,
                        publication__section__in=user.covered_sections.all())
                .select_related("publication", "publication__section", "requested_by",
                                "decided_by"))
    if decided:
        return requests.exclude(status=RetractionRequest.Status.PENDING).order_by(
            "-decided_at", "-id")
    return requests.filter(status=RetractionRequest.Status.PENDING).order_by(
        "created_at", "id")


def retraction_request_of_agency(*, user, request_id: int):
    """The request, if its item belongs to the person's agency; else None."""
    if user.agency_id is None:
        return None
    return (RetractionRequest.objects
            .filter(pk=request_id, publication__agency_id=user.agency_id)
            .select_related("publication", "publication__section", "requested_by",
                            "decided_by").first())


def retraction_request_by_id(request_id):
    """A request with who asked and who decided (the item page's record of a retraction);
    None if there is none."""
    return (RetractionRequest.objects.filter(pk=request_id)
            .select_related("requested_by", "decided_by").first())


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
