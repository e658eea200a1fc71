"""How an event's hash is computed; shared by the writer and the verifier.

Form 1 (every event so far): canonical JSON of the fields below, SHA-256. It was fixed
when every event was about an item, so an item is hashed as `"publication": id` (null
for an event about nothing); a subject of any other kind is added as
`"subject": "app_label.model:id"`.
"""

import datetime as dt
import hashlib
import json

ITEM_SUBJECT = "publications.publication"


def event_hash(*, agency_id, seq, subject_type, subject_id, action, actor_username, tier,
               round, at: dt.datetime, fingerprint, comment, data, prev_hash) -> str:
    payload = {
        "agency": agency_id,
        "seq": seq,
        "publication": subject_id if subject_type == ITEM_SUBJECT else None,
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
    if subject_type != ITEM_SUBJECT and (subject_type or subject_id is not None):
        payload["subject"] = f"{subject_type}:{subject_id}"
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def hash_of(event) -> str:
    return event_hash(
        agency_id=event.agency_id, seq=event.seq, subject_type=event.subject_type,
        subject_id=event.subject_id, action=event.action, actor_username=event.actor_username,
        tier=event.tier, round=event.round, at=event.at, fingerprint=event.fingerprint,
        comment=event.comment, data=event.data, prev_hash=event.prev_hash,
    )
