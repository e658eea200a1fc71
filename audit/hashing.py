"""How an event's hash is computed; shared by the writer and the verifier.

Each event records the form its hash was computed in (`AuditEvent.hash_form`), so that a
form can be improved without rewriting the events hashed in an earlier one.

Form 2 (every event written now): SHA-256 of the RFC 8785 (JSON Canonicalization Scheme)
serialisation of every column a page or export shows: agency, seq, subject (kind and id),
action, actor (id and username), tier, round, time, fingerprint, comment, data, and the
previous event's hash.

Form 1 (events written before form 2): canonical JSON by `json.dumps(sort_keys=True)`. It
was fixed when every event was about an item, so an item is hashed as `"publication": id`
(null for an event about nothing), a subject of another kind as
`"subject": "app_label.model:id"`; it covers the actor's username but not the actor's id.
"""

import datetime as dt
import hashlib
import json

import rfc8785

CURRENT_FORM = 2
ITEM_SUBJECT = "publications.publication"


def _at(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def form_2(event) -> str:
    payload = {
        "form": 2,
        "agency": event.agency_id,
        "seq": event.seq,
        "subject": ({"type": event.subject_type, "id": event.subject_id}
                    if event.subject_type or event.subject_id is not None else None),
        "action": event.action,
        "actor": ({"id": event.actor_id, "username": event.actor_username or ""}
                  if event.actor_id is not None or event.actor_username else None),
        "tier": event.tier or "",
        "round": event.round,
        "at": _at(event.at),
        "fingerprint": event.fingerprint or "",
        "comment": event.comment or "",
        "data": event.data or {},
        "prev_hash": event.prev_hash or "",
    }
    return hashlib.sha256(rfc8785.dumps(payload)).hexdigest()


def form_1(event) -> str:
    payload = {
        "agency": event.agency_id,
        "seq": event.seq,
        "publication": event.subject_id if event.subject_type == ITEM_SUBJECT else None,
        "action": event.action,
        "actor": event.actor_username or "",
        "tier": event.tier or "",
        "round": event.round,
        "at": _at(event.at),
        "fingerprint": event.fingerprint or "",
        "comment": event.comment or "",
        "data": event.data or {},
        "prev_hash": event.prev_hash or "",
    }
    if event.subject_type != ITEM_SUBJECT and (event.subject_type or event.subject_id is not None):
        payload["subject"] = f"{event.subject_type}:{event.subject_id}"
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


FORMS = {1: form_1, 2: form_2}


def hash_of(event) -> str:
    """The event's hash in the form it records; an unknown form hashes to nothing a stored
    hash can equal, so verification names the event."""
    form = FORMS.get(event.hash_form)
    return form(event) if form is not None else ""
