"""Working the release outbox: claim, call the channel, record the outcome.

Pending `Release` rows are the outbox. A Celery task per release calls
`deliver` (dispatched after the approval commits, `releases.tasks`); a periodic
sweeper re-dispatches what `due_releases` finds still pending or abandoned by a
silent worker (lease expired), so a lost message or a dead worker never loses a
release. Nothing here queues a task: each function returns what is to happen
next, and the task acts on it.

Exactly once: a release is claimed under a row lock (SKIP LOCKED) with a lease
before anything is sent; each call out has an idempotency key recorded in
`ChannelCall` before calling and completed with the result, so a redelivered task
resumes (a WeChat publish is polled, not resubmitted; a webhook is resent with
the same `webhook-id`, which receivers deduplicate).
"""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from agencies.models import ChannelKind
from audit.models import AuditAction
from audit.services import Event, record
from core import column_cache
from core.backoff import jittered_backoff
from notifications.services import (
    notify_release_awaiting,
    notify_release_failed,
    notify_release_summary,
    notify_retraction_failed,
)
from publications.models import PublicationStatus

from .adapters import (
    AWAITING_CONFIRMATION,
    IN_PROGRESS,
    PUBLISHED,
    RETRACTED,
    RETRY,
    Outcome,
    adapter_for,
)
from .models import ChannelCall, Release, ReleaseStatus
from .outcome import SETTLED, summary_of

log = logging.getLogger(__name__)


def lease_seconds() -> int:
    return settings.RELEASE_LEASE_SECONDS


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter, capped; a channel's Retry-After wins if longer."""
    delay = jittered_backoff(attempt, base=settings.RELEASE_RETRY_BASE_SECONDS,
                             cap=settings.RELEASE_RETRY_MAX_SECONDS)
    return max(delay, retry_after or 0)


#: The share of the lease that an attempt's calls out may use.
LEASE_BUDGET = 0.8


@dataclass(frozen=True)
class Next:
    """What a delivery attempt leaves to do: try again in `delay` seconds (None: done),
    and whether to take the release back now (its item was retracted while it was sent)."""

    delay: float | None = None
    retract: bool = False


class LeaseLost(Exception):
    """Another worker claimed the release after this one's lease ran out: this one stops."""


@dataclass
class Claim:
    """A release taken by this worker: its idempotency record, the fencing token it was
    claimed with, and the monotonic time by which every call out must have ended (some
    margin before the lease runs out, so no call of ours is still under way when the
    sweeper can hand the release to someone else)."""

    release: Release
    call: ChannelCall
    token: int
    deadline: float

    def holds(self) -> bool:
        """Whether this claim is still the newest (locks the row: a claim being taken
        concurrently is either seen or waits for our write)."""
        return (Release.objects.select_for_update(of=("self",))
                .filter(pk=self.release.pk, claim_token=self.token).exists())

    def save_state(self, state: dict) -> None:
        """Keep what the channel gave back (ids), then go on only while the claim holds.

        What was obtained is written even by an overtaken worker: it is a fact about the
        channel that the worker now holding the release needs. Before the next call out,
        the adapter always saves; so an overtaken worker stops here, before calling again.
        """
        with transaction.atomic():
            ChannelCall.objects.filter(pk=self.call.pk).update(state=state)
            self.call.state = state
            if not self.holds():
                raise LeaseLost(self.release.pk)


def _claim(release_id, *, statuses, action, retracting=False) -> Claim | None:
    """Take the release under a row lock with a lease and a new fencing token, with its
    idempotency record. None if it is not ours to work on now."""
    now = timezone.now()
    with transaction.atomic():
        release = (Release.objects.select_for_update(skip_locked=True, of=("self",))
                   .select_related("channel__agency", "publication__category")
                   .filter(pk=release_id, status__in=statuses).first())
        if release is None:
            return None
        # Due: never tried, or its scheduled retry or status poll has come. Otherwise a worker
        # holds it (lease in the future, no scheduled time) unless that lease has run out.
        scheduled = release.next_attempt_at
        leased = release.lease_expires_at and release.lease_expires_at > now
        if scheduled and scheduled > now:
            return None
        if leased and not scheduled:
            return None
        if retracting != (release.publication.status == PublicationStatus.RETRACTED):
            return None
        if action == ChannelCall.Action.DELIVER:
            release.status = ReleaseStatus.SENDING
            release.attempts += 1
        else:
            release.retract_attempts += 1
        release.claim_token += 1
        release.next_attempt_at = None
        release.lease_expires_at = now + timedelta(seconds=lease_seconds())
        release.save(update_fields=["status", "attempts", "retract_attempts", "claim_token",
                                    "next_attempt_at", "lease_expires_at", "updated_at"])
        return Claim(release, _call(release, action), release.claim_token,
                     deadline=time.monotonic() + lease_seconds() * LEASE_BUDGET)



def _call(release, action) -> ChannelCall:
    """The idempotency record of this release and action (created under the release's lock,
    so nobody else can be creating it)."""
    key = f"release-{release.pk}-{action}-r{release.round}"
    call = ChannelCall.objects.filter(idempotency_key=key).first()
    if call is None:
        call = ChannelCall.objects.create(idempotency_key=key, release=release, action=action)
    return call


def delivered_state(release) -> dict:
    """What the delivery calls got back from the channel (ids of drafts, publishes)."""
    call = ChannelCall.objects.filter(
        idempotency_key=f"release-{release.pk}-deliver-r{release.round}").first()
    return call.state if call else {}


def _locked_if_ours(claim):
    """The claimed release, locked, with its item's status; None if we were overtaken."""
    row = (Release.objects.select_for_update(of=("self",)).filter(pk=claim.release.pk)
           .values_list("claim_token", "publication__status").get())
    if row[0] != claim.token:
        log.warning("release %s was claimed by another worker after this one's lease ran out;"
                    " this worker's outcome is dropped", claim.release.pk)
        return None
    return row[1]


def deliver(release_id) -> Next:
    """One delivery attempt."""
    claim = _claim(release_id, statuses=[ReleaseStatus.PENDING, ReleaseStatus.SENDING],
                   action=ChannelCall.Action.DELIVER)
    if claim is None:
        return Next()
    release, call = claim.release, claim.call
    adapter = adapter_for(release.channel)
    try:
        if call.state.get("in_progress"):
            outcome = adapter.check_status(release, state=call.state, deadline=claim.deadline)
        else:
            outcome = adapter.deliver(release, key=call.idempotency_key, state=call.state,
                                      save_state=claim.save_state, deadline=claim.deadline)
    except LeaseLost:
        return Next()
    except Exception as error:  # an adapter bug must not lose the release
        log.exception("delivery of release %s crashed", release.pk)
        outcome = Outcome(RETRY, error=f"{type(error).__name__}: {error}")
    return _record_delivery(claim, outcome)


def _record_delivery(claim, outcome: Outcome) -> Next:
    """Write the outcome, if the release is still ours (the fencing token); the row lock
    orders this after a concurrent retraction, whose status we read here."""
    release, call = claim.release, claim.call
    now = timezone.now()
    with transaction.atomic():
        item_status = _locked_if_ours(claim)
        if item_status is None:
            return Next()
        retracted = item_status == PublicationStatus.RETRACTED
        publication = release.publication
        release.lease_expires_at = None
        release.next_attempt_at = None
        event, delay = None, None
        call_outcome = None
        if outcome.state == PUBLISHED:
            release.status = ReleaseStatus.PUBLISHED
            release.published_at = now
            release.published_on = timezone.localdate(now)
            release.external_url = outcome.external_url or release.external_url
            release.external_id = outcome.external_id or release.external_id
            release.error = ""
            event = AuditAction.RELEASE_PUBLISHED
            call_outcome = ChannelCall.Outcome.SUCCEEDED
        elif outcome.state == AWAITING_CONFIRMATION:
            release.status = ReleaseStatus.AWAITING_CONFIRMATION
            release.error = ""
            event = AuditAction.RELEASE_AWAITING_CONFIRMATION
            call_outcome = ChannelCall.Outcome.SUCCEEDED
        elif outcome.state == IN_PROGRESS:
            release.external_id = outcome.external_id or release.external_id
            if not call.state.get("in_progress"):  # the channel took it, not yet live
                event = AuditAction.RELEASE_SUBMITTED
            call.state = {**call.state, "in_progress": True}
            if not retracted:  # a retracted item's publish is followed by the retraction
                delay = settings.RELEASE_POLL_SECONDS
                release.lease_expires_at = now + timedelta(seconds=delay + lease_seconds())
                release.next_attempt_at = now + timedelta(seconds=delay)
        elif outcome.state == RETRY and release.attempts < settings.RELEASE_MAX_ATTEMPTS:
            delay = backoff_seconds(release.attempts, outcome.retry_after)
            release.status = ReleaseStatus.PENDING
            release.next_attempt_at = now + timedelta(seconds=delay)
            release.error = outcome.error
            event = AuditAction.RELEASE_ATTEMPT_FAILED
        else:
            release.status = ReleaseStatus.FAILED
            release.error = outcome.error or "发布失败"
            if outcome.state == RETRY:
                release.error = f"重试 {release.attempts} 次后仍失败：{release.error}"
            event = AuditAction.RELEASE_FAILED
            call_outcome = ChannelCall.Outcome.FAILED
        release.save(update_fields=["status", "published_at", "published_on", "external_url",
                                    "external_id", "error", "lease_expires_at",
                                    "next_attempt_at", "updated_at"])
        if call_outcome is not None:
            ChannelCall.objects.filter(pk=call.pk).update(
                outcome=call_outcome, finished_at=now, state=call.state,
                result={"state": outcome.state, "external_url": outcome.external_url,
                        "external_id": outcome.external_id, "error": outcome.error})
        else:
            ChannelCall.objects.filter(pk=call.pk).update(state=call.state)
        if release.status == ReleaseStatus.PUBLISHED and release.channel.kind == ChannelKind.SITE:
            column_cache.purge(release.channel.agency.code)  # on the column from this commit
        if release.status in SETTLED and not retracted:
            _summarise_if_settled(release)
        # once per outcome: the fencing token above lets one worker write it, and a failed
        # or awaiting release is not claimed again (a retry starts a new attempt)
        if event == AuditAction.RELEASE_FAILED and not retracted:
            notify_release_failed(publication=publication, release=release)
        if event == AuditAction.RELEASE_AWAITING_CONFIRMATION and not retracted:
            notify_release_awaiting(publication=publication, release=release)
        if event:
            # last: the agency's chain-head lock is then held only until the commit
            record(agency_id=release.channel.agency_id, events=[Event(
                event, subject=publication, round=release.round,
                fingerprint=release.fingerprint, comment=release.error,
                data={"release": release.pk, "channel": release.channel.code,
                      "attempts": release.attempts, "external_url": release.external_url,
                      "external_id": release.external_id,
                      **_when_next(release)})])
    # sent while the item was being retracted: the retraction takes it from here
    in_flight = release.status in (ReleaseStatus.PUBLISHED, ReleaseStatus.SENDING,
                                   ReleaseStatus.PENDING)
    if retracted and in_flight:
        return Next(retract=True)
    return Next(delay)


#: Releases that may be on their channel, or on their way to it, when their item is
#: retracted: the channel's retraction finds out and takes them back.
MAY_BE_OUT = (ReleaseStatus.PUBLISHED, ReleaseStatus.SENDING, ReleaseStatus.PENDING,
              ReleaseStatus.FAILED)


def retract(release_id) -> Next:
    """Take one release of a retracted item back from its channel: a published one, or one
    that was being sent (the channel's adapter finds out whether it went out)."""
    claim = _claim(release_id, statuses=MAY_BE_OUT, action=ChannelCall.Action.RETRACT,
                   retracting=True)
    if claim is None:
        return Next()
    release, call = claim.release, claim.call
    try:
        outcome = adapter_for(release.channel).retract(
            release, key=call.idempotency_key, state=call.state, save_state=claim.save_state,
            delivered=delivered_state(release), deadline=claim.deadline)
    except LeaseLost:
        return Next()
    except Exception as error:
        log.exception("retraction of release %s crashed", release.pk)
        outcome = Outcome(RETRY, error=f"{type(error).__name__}: {error}")
    return _record_retraction(claim, outcome)


def _record_retraction(claim, outcome: Outcome) -> Next:
    release, call = claim.release, claim.call
    now = timezone.now()
    with transaction.atomic():
        if _locked_if_ours(claim) is None:
            return Next()
        release.lease_expires_at = None
        release.next_attempt_at = None
        went_live = bool(outcome.details.get("went_live"))
        if went_live and release.published_at is None:
            # it reached the channel after all (WeChat finished publishing it)
            release.published_at = now
            release.published_on = timezone.localdate(now)
        release.external_url = outcome.external_url or release.external_url
        release.external_id = outcome.external_id or release.external_id
        event, delay = None, None
        if outcome.state == RETRACTED:
            release.status = ReleaseStatus.RETRACTED
            release.retracted_at = now
            release.error = ""
            event = AuditAction.RELEASE_RETRACTED
        elif outcome.state == IN_PROGRESS:  # still being published: ask again, then delete
            delay = settings.RELEASE_POLL_SECONDS
            release.next_attempt_at = now + timedelta(seconds=delay)
            release.lease_expires_at = now + timedelta(seconds=delay + lease_seconds())
        elif (outcome.state == RETRY
              and release.retract_attempts < settings.RELEASE_MAX_ATTEMPTS):
            delay = backoff_seconds(release.retract_attempts, outcome.retry_after)
            release.next_attempt_at = now + timedelta(seconds=delay)
            release.error = f"撤稿未完成：{outcome.error}"
            event = AuditAction.RELEASE_ATTEMPT_FAILED
        else:
            release.status = ReleaseStatus.RETRACTION_FAILED
            release.error = f"撤稿失败：{outcome.error}"
            if outcome.state == RETRY:
                release.error = (f"撤稿重试 {release.retract_attempts} 次后仍失败："
                                 f"{outcome.error}")
            event = AuditAction.RELEASE_RETRACTION_FAILED
        release.save(update_fields=["status", "published_at", "published_on", "external_url",
                                    "external_id", "error", "lease_expires_at",
                                    "next_attempt_at", "retracted_at", "updated_at"])
        ended = release.status in (ReleaseStatus.RETRACTED, ReleaseStatus.RETRACTION_FAILED)
        finished = {} if not ended else {
            "outcome": (ChannelCall.Outcome.SUCCEEDED if outcome.state == RETRACTED
                        else ChannelCall.Outcome.FAILED),
            "finished_at": now,
            "result": {"state": outcome.state, "error": outcome.error, **outcome.details}}
        ChannelCall.objects.filter(pk=call.pk).update(state=call.state, **finished)
        if event == AuditAction.RELEASE_RETRACTION_FAILED:
            notify_retraction_failed(publication=release.publication, release=release)
        if event:
            record(agency_id=release.channel.agency_id, events=[Event(
                event, subject=release.publication, round=release.round,
                fingerprint=release.fingerprint,
                comment=outcome.details.get("note", "") or release.error,
                data={"release": release.pk, "channel": release.channel.code,
                      "retraction": True,
                      "went_live": went_live or release.published_at is not None,
                      "attempts": release.retract_attempts,
                      **_when_next(release)})])
    return Next(delay)


#: The namespace of the advisory lock that orders settling releases of one item.
SUMMARY_LOCK = 0x52_53  # "RS"


def _summarise_if_settled(release) -> None:
    """Tell the drafter what became of the round once its last release has settled.

    Two releases of an item settling at once, each in its own transaction, would each see
    the other still under way and neither would tell. On PostgreSQL a transaction-level
    advisory lock on the item orders them: the second waits until the first commits and
    then, reading again, sees it settled. (Not the item's row lock: a retraction locks the
    item, then its releases, while we hold a release.) SQLite runs one writer at a time.
    The one-per-round constraint keeps a second summary out either way (a retried release
    settling again)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                           [SUMMARY_LOCK, release.publication_id % 2_147_483_648])
    releases = list(Release.objects.filter(publication_id=release.publication_id,
                                           round=release.round)
                    .select_related("channel").order_by("channel__order", "channel__kind",
                                                        "channel__name", "channel__pk"))
    if any(other.status not in SETTLED for other in releases):
        return
    kind, message = summary_of(releases)
    notify_release_summary(publication=release.publication, round=release.round, kind=kind,
                           message=message)


def _when_next(release) -> dict:
    """When a retried release is tried again, for the trail (nothing when it is not)."""
    if release.next_attempt_at is None:
        return {}
    return {"next_attempt_at": release.next_attempt_at.isoformat()}


def due_releases(limit: int = 500) -> tuple[list[int], list[int]]:
    """(deliveries, retractions): releases due again or abandoned by a worker, and
    unfinished retractions, for the sweeper to dispatch."""
    now = timezone.now()
    delivering = ~Q(publication__status=PublicationStatus.RETRACTED)
    due_again = Q(status=ReleaseStatus.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    abandoned = Q(status=ReleaseStatus.SENDING) & (
        Q(lease_expires_at__lte=now) | Q(next_attempt_at__lte=now))
    # due as `_claim` sees it: its scheduled time has come, or none is set and no lease holds it
    due = Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True) & (
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now))
    not_yet_retracted = Q(status__in=MAY_BE_OUT,
                          publication__status=PublicationStatus.RETRACTED) & due
    with transaction.atomic():
        deliveries = list(Release.objects.select_for_update(skip_locked=True, of=("self",))
                          .filter(delivering & (due_again | abandoned)).order_by("pk")
                          .values_list("pk", flat=True)[:limit])
        retractions = list(Release.objects.select_for_update(skip_locked=True, of=("self",))
                           .filter(not_yet_retracted).order_by("pk")
                           .values_list("pk", flat=True)[:limit])
    return deliveries, retractions
