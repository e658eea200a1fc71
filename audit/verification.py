"""Walking an agency's chain to prove it was not altered."""

from dataclasses import dataclass

from .hashing import hash_of
from .models import AuditChain, AuditEvent


@dataclass
class ChainReport:
    agency_code: str
    events: int
    ok: bool
    problem: str = ""
    seq: int | None = None


def verify_chain(agency) -> ChainReport:
    expected_seq, prev = 1, ""
    count = 0
    events = AuditEvent.objects.filter(agency=agency).order_by("seq").iterator(chunk_size=2000)
    for event in events:
        count += 1
        if event.seq != expected_seq:
            return ChainReport(agency.code, count, False,
                               f"event #{expected_seq} is missing (next present is #{event.seq})",
                               expected_seq)
        if event.prev_hash != prev:
            return ChainReport(agency.code, count, False,
                               f"event #{event.seq} does not link to the event before it",
                               event.seq)
        if hash_of(event) != event.hash:
            return ChainReport(agency.code, count, False,
                               f"event #{event.seq} ({event.action}) was altered: "
                               "its content does not match its hash", event.seq)
        prev, expected_seq = event.hash, expected_seq + 1
    head = AuditChain.objects.filter(agency=agency).first()
    last_seq = head.last_seq if head else 0
    if last_seq != expected_seq - 1 or (head and head.last_hash != prev):
        return ChainReport(agency.code, count, False,
                           f"events after #{expected_seq - 1} are missing "
                           f"(the chain head records #{last_seq})", expected_seq)
    return ChainReport(agency.code, count, True)
