"""Working the release outbox: claim, call the channel, record the outcome.

Pending `Release` rows are the outbox. A Celery task per release calls
`deliver` (dispatched after the approval commits); a periodic sweeper
re-dispatches releases still pending or whose worker went silent (lease
expired), so a lost message or a dead worker never loses a release.

Exactly once: a release is claimed under a row lock (SKIP LOCKED) with a lease
before anything is sent; each call out has an idempotency key recorded in
`ChannelCall` before calling and completed with the result, so a redelivered task
resumes (a WeChat publish is polled, not resubmitted; a webhook is resent with
the same `webhook-id`, which receivers deduplicate).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.models import AuditAction
from audit.services import Event, record
from config.backoff import jittered_backoff
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


def _setting(name, default):
    return getattr(settings, name, default)


def lease_seconds() -> int:
    return _setting("RELEASE_LEASE_SECONDS", 300)


def max_attempts() -> int:
    return _setting("RELEASE_MAX_ATTEMPTS", 8)


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter, capped; a channel's Retry-After wins if longer."""
    delay = jittered_backoff(attempt, base=_setting("RELEASE_RETRY_BASE_SECONDS", 5),
                             cap=_setting("RELEASE_RETRY_MAX_SECONDS", 1800))
    return max(delay, retry_after or 0)


def dispatch_on_commit(release_ids, *, action="deliver") -> None:
    """Queue one task per release once the transaction commits.

    If the broker is down the rows stay pending and the sweeper sends them later; the
    request that approved them must not fail for it (hence robust).
    """
    from .tasks import deliver_release, retract_release

    task = deliver_release if action == "deliver" else retract_release
    ids = list(release_ids)
    if ids:
        transaction.on_commit(lambda: [task.delay(pk) for pk in ids], robust=True)


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


def deliver(release_id) -> float | None:
    """One delivery attempt. Returns seconds until the next attempt, or None when done."""
    claimed = _claim(release_id, statuses=[ReleaseStatus.PENDING, ReleaseStatus.SENDING],
                     action=ChannelCall.Action.DELIVER)
    if claimed is None:
        return None
    release, call = claimed
    adapter = adapter_for(release.channel)
    if call.outcome == ChannelCall.Outcome.SUCCEEDED:
        outcome = Outcome(**call.result)  # done before; the worker died before recording it
    elif call.state.get("in_progress"):
        outcome = adapter.check_status(release, state=call.state)
    else:
        try:
            outcome = adapter.deliver(release, key=call.idempotency_key, state=call.state,
                                      save_state=_saver(call))
        except Exception as error:  # an adapter bug must not lose the release
            log.exception("delivery of release %s crashed", release.pk)
            outcome = Outcome(RETRY, error=f"{type(error).__name__}: {error}")
    return _record_delivery(release, call, outcome)


def _record_delivery(release, call, outcome: Outcome) -> float | None:
    """Write the outcome on the claimed release (our lease makes us its only writer; the
    row lock orders this after a concurrent retraction, whose status we re-read)."""
    now = timezone.now()
    with transaction.atomic():
        publication = release.publication
        publication.status = (Release.objects.select_for_update(of=("self",))
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
            delay = _setting("RELEASE_POLL_SECONDS", 30)
            release.external_id = outcome.external_id or release.external_id
            release.lease_expires_at = now + timedelta(seconds=delay + lease_seconds())
            release.next_attempt_at = now + timedelta(seconds=delay)
            call.state = {**call.state, "in_progress": True}
        elif outcome.state == RETRY and release.attempts < max_attempts():
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
        if event:
            record(agency_id=release.channel.agency_id, events=[Event(
                event, publication=publication, round=release.round,
                fingerprint=release.fingerprint, comment=release.error,
                data={"release": release.pk, "channel": release.channel.code,
                      "attempts": release.attempts, "external_url": release.external_url})])
        if release.status == ReleaseStatus.PUBLISHED and (
                publication.status == PublicationStatus.RETRACTED):
            dispatch_on_commit([release.pk], action="retract")  # retracted while it was sent
    return delay


def retract(release_id) -> float | None:
    """Take one published release back from its channel."""
    claimed = _claim(release_id, statuses=[ReleaseStatus.PUBLISHED],
                     action=ChannelCall.Action.RETRACT, retracting=True)
    if claimed is None:
        return None
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
                AuditAction.RELEASE_RETRACTED, publication=release.publication,
                round=release.round, fingerprint=release.fingerprint,
                comment=outcome.details.get("note", ""),
                data={"release": release.pk, "channel": release.channel.code})])
            return None
        delay = backoff_seconds(release.attempts, outcome.retry_after)
        release.next_attempt_at = now + timedelta(seconds=delay)
        release.error = f"撤稿未完成：{outcome.error}"
        release.save()
        return delay


def sweep(limit: int = 500) -> dict:
    """Re-dispatch releases due again or abandoned by a worker, and unfinished retractions."""
    from .tasks import deliver_release, retract_release

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
    for pk in deliveries:
        deliver_release.delay(pk)
    for pk in retractions:
        retract_release.delay(pk)
    return {"deliveries": len(deliveries), "retractions": len(retractions)}
