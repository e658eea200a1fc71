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
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.models import AuditAction
from audit.services import Event, record
from core.backoff import jittered_backoff
from notifications.services import notify_released
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

log = logging.getLogger(__name__)


def lease_seconds() -> int:
    return settings.RELEASE_LEASE_SECONDS


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter, capped; a channel's Retry-After wins if longer."""
    delay = jittered_backoff(attempt, base=settings.RELEASE_RETRY_BASE_SECONDS,
                             cap=settings.RELEASE_RETRY_MAX_SECONDS)
    return max(delay, retry_after or 0)


@dataclass(frozen=True)
class Next:
    """What a delivery attempt leaves to do: try again in `delay` seconds (None: done),
    and whether to take the release back now (it was retracted while being sent)."""

    delay: float | None = None
    retract: bool = False


def _claim(release_id, *, statuses, action, retracting=False):
    """Take the release under a row lock with a lease, with its idempotency record.

    Returns (release, call), or None if it is not ours to send.
    """
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
        if release.status == ReleaseStatus.PENDING:
            release.status = ReleaseStatus.SENDING
        release.attempts += 1
        release.next_attempt_at = None
        release.lease_expires_at = now + timedelta(seconds=lease_seconds())
        release.save(update_fields=["status", "attempts", "next_attempt_at", "lease_expires_at",
                                    "updated_at"])
        return release, _call(release, action)


def _call(release, action) -> ChannelCall:
    """The idempotency record of this release and action (created under the release's lock,
    so nobody else can be creating it)."""
    key = f"release-{release.pk}-{action}-r{release.round}"
    call = ChannelCall.objects.filter(idempotency_key=key).first()
    if call is None:
        call = ChannelCall.objects.create(idempotency_key=key, release=release, action=action)
    return call


def _saver(call):
    def save_state(state: dict) -> None:
        ChannelCall.objects.filter(pk=call.pk).update(state=state)
        call.state = state
    return save_state


def deliver(release_id) -> Next:
    """One delivery attempt."""
    claimed = _claim(release_id, statuses=[ReleaseStatus.PENDING, ReleaseStatus.SENDING],
                     action=ChannelCall.Action.DELIVER)
    if claimed is None:
        return Next()
    release, call = claimed
    adapter = adapter_for(release.channel)
    if call.state.get("in_progress"):
        outcome = adapter.check_status(release, state=call.state)
    else:
        try:
            outcome = adapter.deliver(release, key=call.idempotency_key, state=call.state,
                                      save_state=_saver(call))
        except Exception as error:  # an adapter bug must not lose the release
            log.exception("delivery of release %s crashed", release.pk)
            outcome = Outcome(RETRY, error=f"{type(error).__name__}: {error}")
    return _record_delivery(release, call, outcome)


def _record_delivery(release, call, outcome: Outcome) -> Next:
    """Write the outcome on the claimed release (our lease makes us its only writer; the
    row lock orders this after a concurrent retraction, whose status we re-read)."""
    now = timezone.now()
    with transaction.atomic():
        publication = release.publication
        item_status = (Release.objects.select_for_update(of=("self",))
                       .filter(pk=release.pk)
                       .values_list("publication__status", flat=True).get())
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
            delay = settings.RELEASE_POLL_SECONDS
            release.external_id = outcome.external_id or release.external_id
            release.lease_expires_at = now + timedelta(seconds=delay + lease_seconds())
            release.next_attempt_at = now + timedelta(seconds=delay)
            call.state = {**call.state, "in_progress": True}
        elif outcome.state == RETRY and release.attempts < settings.RELEASE_MAX_ATTEMPTS:
            delay = backoff_seconds(release.attempts, outcome.retry_after)
            release.status = ReleaseStatus.PENDING
            release.next_attempt_at = now + timedelta(seconds=delay)
            release.error = outcome.error
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
        retracted = item_status == PublicationStatus.RETRACTED
        if release.status == ReleaseStatus.PUBLISHED and not retracted:
            notify_released(publication=publication)
        if event:
            # last: the agency's chain-head lock is then held only until the commit
            record(agency_id=release.channel.agency_id, events=[Event(
                event, subject=publication, round=release.round,
                fingerprint=release.fingerprint, comment=release.error,
                data={"release": release.pk, "channel": release.channel.code,
                      "attempts": release.attempts, "external_url": release.external_url})])
    # published while the item was being retracted: take it back at once
    return Next(delay, retract=release.status == ReleaseStatus.PUBLISHED and retracted)


def retract(release_id) -> Next:
    """Take one published release back from its channel."""
    claimed = _claim(release_id, statuses=[ReleaseStatus.PUBLISHED],
                     action=ChannelCall.Action.RETRACT, retracting=True)
    if claimed is None:
        return Next()
    release, call = claimed
    try:
        outcome = adapter_for(release.channel).retract(
            release, key=call.idempotency_key, state=call.state, save_state=_saver(call))
    except Exception as error:
        log.exception("retraction of release %s crashed", release.pk)
        outcome = Outcome(RETRY, error=f"{type(error).__name__}: {error}")
    now = timezone.now()
    with transaction.atomic():
        release = (Release.objects.select_for_update(of=("self",))
                   .select_related("channel").get(pk=release.pk))
        release.lease_expires_at = None
        if outcome.state == RETRACTED:
            release.status = ReleaseStatus.RETRACTED
            release.retracted_at = now
            release.save()
            ChannelCall.objects.filter(pk=call.pk).update(
                outcome=ChannelCall.Outcome.SUCCEEDED, finished_at=now,
                result={"state": outcome.state, **outcome.details})
            record(agency_id=release.channel.agency_id, events=[Event(
                AuditAction.RELEASE_RETRACTED, subject=release.publication,
                round=release.round, fingerprint=release.fingerprint,
                comment=outcome.details.get("note", ""),
                data={"release": release.pk, "channel": release.channel.code})])
            return Next()
        delay = backoff_seconds(release.attempts, outcome.retry_after)
        release.next_attempt_at = now + timedelta(seconds=delay)
        release.error = f"撤稿未完成：{outcome.error}"
        release.save()
        return Next(delay)


def due_releases(limit: int = 500) -> tuple[list[int], list[int]]:
    """(deliveries, retractions): releases due again or abandoned by a worker, and
    unfinished retractions, for the sweeper to dispatch."""
    now = timezone.now()
    due_again = Q(status=ReleaseStatus.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    abandoned = Q(status=ReleaseStatus.SENDING) & (
        Q(lease_expires_at__lte=now) | Q(next_attempt_at__lte=now))
    not_yet_retracted = Q(status=ReleaseStatus.PUBLISHED,
                          publication__status=PublicationStatus.RETRACTED) & (
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now)) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    with transaction.atomic():
        deliveries = list(Release.objects.select_for_update(skip_locked=True, of=("self",))
                          .filter(due_again | abandoned).order_by("pk")
                          .values_list("pk", flat=True)[:limit])
        retractions = list(Release.objects.select_for_update(skip_locked=True, of=("self",))
                           .filter(not_yet_retracted).order_by("pk")
                           .values_list("pk", flat=True)[:limit])
    return deliveries, retractions
