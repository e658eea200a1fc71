"""Walking an agency's chain to prove it was not altered."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.utils import timezone

from agencies.models import Agency
from core.chunks import keyset_chunks

from . import checkpoints
from .hashing import hash_of
from .models import AuditChain, AuditEvent, ChainVerification


class Break:
    """What kind of break the walk found (for pages that word it in the reader's language)."""

    MISSING = "missing"            # a seq is absent from the middle of the chain
    UNLINKED = "unlinked"          # an event does not point at the hash of the one before
    ALTERED = "altered"            # an event's content no longer matches its hash
    TRUNCATED = "truncated"        # the chain head records more events than remain
    BEYOND_HEAD = "beyond_head"    # events exist past the chain head: the head was moved back
    CHECKPOINT = "checkpoint"      # the chain no longer holds what a signed checkpoint recorded
    BAD_CHECKPOINT = "bad_checkpoint"  # the kept checkpoint is unreadable or not our signature


@dataclass
class ChainReport:
    agency_code: str
    events: int
    ok: bool
    problem: str = ""
    seq: int | None = None
    kind: str = ""


LATEST = object()
CHUNK = 2000


def verify_chain(agency, *, checkpoint=LATEST, progress=None) -> ChainReport:
    """Walk the chain up to the head as it stands when the walk starts, and hold it against
    the agency's latest signed checkpoint (`audit.checkpoints`; pass None to skip it).

    The head is read first: events appended while the walk runs (a busy system) lie beyond
    it and are left to the next check, instead of making an intact chain look truncated.

    `progress(events_checked, head_seq)`, if given, is called once the head is read and then
    after every CHUNK events (audit.tasks.verify_chain_job writes it for the auditor's page).
    """
    if checkpoint is LATEST:
        try:
            checkpoint = checkpoints.latest(agency.code)
        except checkpoints.CheckpointError as error:
            return ChainReport(agency.code, 0, False,
                               f"the kept checkpoint cannot be trusted: {error}", None,
                               Break.BAD_CHECKPOINT)
    last_seq, last_hash, newest = _head_and_newest(agency)
    if progress is not None:
        progress(0, last_seq)
    if newest > last_seq:
        return ChainReport(agency.code, 0, False,
                           f"events up to #{newest} exist beyond the chain head "
                           f"(#{last_seq}): the head was moved back", last_seq + 1,
                           Break.BEYOND_HEAD)
    expected_seq, prev = 1, ""
    count = 0
    events = keyset_chunks(AuditEvent.objects.filter(agency=agency, seq__lte=last_seq),
                           key="seq", size=CHUNK)
    for event in events:
        count += 1
        if event.seq != expected_seq:
            return ChainReport(agency.code, count, False,
                               f"event #{expected_seq} is missing (next present is #{event.seq})",
                               expected_seq, Break.MISSING)
        if event.prev_hash != prev:
            return ChainReport(agency.code, count, False,
                               f"event #{event.seq} does not link to the event before it",
                               event.seq, Break.UNLINKED)
        if hash_of(event) != event.hash:
            return ChainReport(agency.code, count, False,
                               f"event #{event.seq} ({event.action}) was altered: "
                               "its content does not match its hash", event.seq, Break.ALTERED)
        if checkpoint is not None and event.seq == checkpoint.seq and (
                event.hash != checkpoint.hash):
            return ChainReport(agency.code, count, False,
                               f"event #{event.seq} is not the one the checkpoint signed at "
                               f"{checkpoint.at:%Y-%m-%d %H:%M} recorded: the chain was "
                               "rewritten", event.seq, Break.CHECKPOINT)
        prev, expected_seq = event.hash, expected_seq + 1
        if progress is not None and count % CHUNK == 0:
            progress(count, last_seq)
    if last_seq != expected_seq - 1 or last_hash != prev:
        return ChainReport(agency.code, count, False,
                           f"events after #{expected_seq - 1} are missing "
                           f"(the chain head records #{last_seq})", expected_seq,
                           Break.TRUNCATED)
    if checkpoint is not None and last_seq < checkpoint.seq:
        return ChainReport(agency.code, count, False,
                           f"the chain ends at #{last_seq} but the checkpoint signed at "
                           f"{checkpoint.at:%Y-%m-%d %H:%M} recorded #{checkpoint.seq}: "
                           "events were removed and the head moved back", last_seq + 1,
                           Break.CHECKPOINT)
    return ChainReport(agency.code, count, True)


def _head_and_newest(agency) -> tuple[int, str, int]:
    """The chain head and the newest event's seq, in one statement (one snapshot): an append
    writes its events and moves the head in one transaction, so the two agree unless the
    head was tampered with."""
    newest = (AuditEvent.objects.filter(agency=agency).order_by("-seq").values("seq")[:1])
    row = (Agency.objects.filter(pk=agency.pk)
           .annotate(newest=Subquery(newest),
                     last_seq=Subquery(AuditChain.objects.filter(agency=agency)
                                       .values("last_seq")[:1]),
                     last_hash=Subquery(AuditChain.objects.filter(agency=agency)
                                        .values("last_hash")[:1]))
           .values_list("last_seq", "last_hash", "newest").get())
    last_seq, last_hash, newest = row
    return last_seq or 0, last_hash or "", newest or 0


# --- the background check (audit.tasks.verify_chain_job) ------------------------------------


def open_verification(*, agency, user) -> tuple[ChainVerification, bool]:
    """The agency's queued or running check, or a new queued one (and whether it is new).
    Call inside a transaction; dispatching the task after commit is the caller's part
    (audit.services.request_verification, audit.tasks.verify_all_chains)."""
    pending = _pending_verification(agency)
    if pending is not None:
        return pending, False
    now = timezone.now()
    try:
        with transaction.atomic():
            return ChainVerification.objects.create(
                agency=agency, requested_by=user, requested_at=now, updated_at=now), True
    except IntegrityError:  # another request created one a moment ago: join it
        return ChainVerification.objects.get(
            agency=agency, status__in=ChainVerification.PENDING), False


def _pending_verification(agency):
    """The agency's queued or running check, unless it has stopped moving: that one is
    marked as an error (its worker died, or the broker lost the task) and None returned."""
    pending = (ChainVerification.objects.select_for_update()
               .filter(agency=agency, status__in=ChainVerification.PENDING).first())
    if pending is None:
        return None
    stale = timezone.now() - datetime.timedelta(
        seconds=settings.AUDIT_VERIFICATION_STALE_SECONDS)
    if pending.updated_at >= stale:
        return pending
    ChainVerification.objects.filter(pk=pending.pk).update(
        status=ChainVerification.Status.ERROR, finished_at=timezone.now(),
        message="abandoned: no progress for "
                f"{settings.AUDIT_VERIFICATION_STALE_SECONDS:.0f} s")
    return None
