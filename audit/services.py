"""Writing to the audit trail. Call `record` inside the transaction of the change."""

from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from core.sql import combined_writes, insert_sql, saved

from .hashing import CURRENT_FORM, hash_of
from .models import AuditAction, AuditChain, AuditEvent, subject_type_of
from .verification import open_verification


@dataclass
class Event:
    action: str
    subject: object = None  # the model instance the event is about
    actor: object = None
    tier: str = ""
    round: int | None = None
    fingerprint: str = ""
    comment: str = ""
    data: dict = field(default_factory=dict)


def record(*, agency_id: int, events: list[Event]) -> list[AuditEvent]:
    """Append events to the agency's chain: the head's lock, then (one statement on
    PostgreSQL) the events' insert and the head's update."""
    assert connection.in_atomic_block, "audit events are written inside the change's transaction"
    chain = AuditChain.objects.select_for_update().filter(agency_id=agency_id).first()
    if chain is None:
        AuditChain.objects.get_or_create(agency_id=agency_id)
        chain = AuditChain.objects.select_for_update().get(agency_id=agency_id)
    now = timezone.now()
    rows = []
    seq, prev = chain.last_seq, chain.last_hash
    for event in events:
        seq += 1
        row = AuditEvent(
            agency_id=agency_id, seq=seq,
            subject_type=subject_type_of(event.subject) if event.subject is not None else "",
            subject_id=event.subject.pk if event.subject is not None else None,
            action=event.action, actor=event.actor,
            actor_username=event.actor.get_username() if event.actor is not None else "",
            tier=event.tier, round=event.round, at=now, fingerprint=event.fingerprint,
            comment=event.comment, data=event.data, prev_hash=prev, hash_form=CURRENT_FORM,
        )
        row.hash = hash_of(row)
        prev = row.hash
        rows.append(row)
    _append(rows, chain, seq, prev)
    return rows


def _append(rows, chain, seq, last_hash) -> None:
    """The events' INSERT and the head's UPDATE; on PostgreSQL as one statement."""
    if not combined_writes():
        AuditEvent.objects.bulk_create(rows)
        AuditChain.objects.filter(pk=chain.pk).update(last_seq=seq, last_hash=last_hash)
        return
    insert, params = insert_sql(rows)
    head = AuditChain._meta
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH events AS ({insert}), head AS (UPDATE {qn(head.db_table)} SET last_seq = %s, "
            f"last_hash = %s WHERE agency_id = %s) SELECT * FROM events",
            (*params, seq, last_hash, chain.pk))
        saved(rows, cursor.fetchall())


def record_trail_export(*, user, agency_id: int, filters: dict) -> None:
    """Who exported the agency's trail, with which filters (its own transaction: called by
    the export before the first row is streamed)."""
    with transaction.atomic():
        record(agency_id=agency_id, events=[Event(
            AuditAction.TRAIL_EXPORTED, actor=user, data={"filters": filters})])


def request_verification(*, user, agency):
    """Start a check of the agency's chain in a worker, or join the one already queued or
    running (at most one per agency; a unique constraint holds it under concurrent clicks).

    No audit event is written: checking the chain reads it and changes nothing, as reading
    the trail does (auditors only read). The ChainVerification row itself records who asked
    and when. `user` is None for beat's nightly check.
    """
    from .tasks import verify_chain_job

    with transaction.atomic():
        verification, created = open_verification(agency=agency, user=user)
        if created:
            pk = verification.pk
            transaction.on_commit(lambda: verify_chain_job.delay(pk), robust=True)
    return verification
