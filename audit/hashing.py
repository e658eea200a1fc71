"""How an event's hash is computed; shared by the writer and the verifier."""

import datetime as dt
import hashlib
import json


def event_hash(*, agency_id, seq, publication_id, action, actor_username, tier, round,
               at: dt.datetime, fingerprint, comment, data, prev_hash) -> str:
    payload = {
        "agency": agency_id,
        "seq": seq,
        "publication": publication_id,
        "action": action,
        "actor": actor_username or "",
        "tier": tier or "",
        "round": round,
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "fingerprint": fingerprint or "",
        "comment": comment or "",
        "data": data or {},
        "prev_hash": prev_hash or "",
    }
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def hash_of(event) -> str:
    return event_hash(
        agency_id=event.agency_id, seq=event.seq, publication_id=event.publication_id,
        action=event.action, actor_username=event.actor_username, tier=event.tier,
        round=event.round, at=event.at, fingerprint=event.fingerprint, comment=event.comment,
        data=event.data, prev_hash=event.prev_hash,
    )
