"""Walking an agency's chain to prove it was not altered."""

from dataclasses import dataclass

from .hashing import hash_of
from .models import AuditChain, AuditEvent


class Break:
    """What kind of break the walk found (for pages that word it in the reader's language)."""

    MISSING = "missing"            # a seq is absent from the middle of the chain
    UNLINKED = "unlinked"          # an event does not point at the hash of the one before
    ALTERED = "altered"            # an event's content no longer matches its hash
    TRUNCATED = "truncated"        # the chain head records more events than remain


@dataclass
class ChainReport:
    agency_code: str
    events: int
    ok: bool
    problem: str = ""
    seq: int | None = None
    kind: str = ""


def verify_chain(agency) -> ChainReport:
    expected_seq, prev = 1, ""
    count = 0
    events = AuditEvent.objects.filter(agency=agency).order_by("seq").iterator(chunk_size=2000)
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
        prev, expected_seq = event.hash, expected_seq + 1
    head = AuditChain.objects.filter(agency=agency).first()
    last_seq = head.last_seq if head else 0
    if last_seq != expected_seq - 1 or (head and head.last_hash != prev):
        return ChainReport(agency.code, count, False,
                           f"events after #{expected_seq - 1} are missing "
                           f"(the chain head records #{last_seq})", expected_seq,
                           Break.TRUNCATED)
    return ChainReport(agency.code, count, True)
