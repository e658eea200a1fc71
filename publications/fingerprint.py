"""The content fingerprint: SHA-256 over what a reviewer signs off.

Normalised title and body, attachment hashes and the disclosure metadata. Any
change to one of them after a review makes the fingerprint differ, so an old
approval no longer counts.
"""

import hashlib
import json
import re
import unicodedata

_SPACE = re.compile(r"\s+")


def _text(value: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFC", value or "")).strip()


def compute_fingerprint(*, title, body, attachment_hashes, section_code, category_code,
                        article20_item, document_type, document_number, effective_on,
                        abolished_on, decision_type, decision_count, fee_amount_yuan,
                        formed_on, channel_codes, abolishes=()) -> str:
    payload = {
        "title": _text(title),
        "body": _text(body),
        "attachments": sorted(attachment_hashes),
        "section": section_code,
        "category": category_code,
        "article20_item": article20_item,
        "document_type": document_type or "",
        "document_number": _text(document_number),
        "effective_on": effective_on.isoformat() if effective_on else None,
        "abolished_on": abolished_on.isoformat() if abolished_on else None,
        "decision_type": decision_type or "",
        "decision_count": decision_count,
        "fee_amount_yuan": f"{fee_amount_yuan:.2f}" if fee_amount_yuan is not None else None,
        "formed_on": formed_on.isoformat() if formed_on else None,
        "channels": sorted(channel_codes),
    }
    if abolishes:  # only when set, so fingerprints of items without it never changed
        payload["abolishes"] = sorted(int(pk) for pk in abolishes)
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def with_content_of(publication):
    """The item's channels, each carrying the item's attachment hashes (`attachment_hashes`)
    and the ids it abolishes (`abolished_ids`): everything `fingerprint_of` reads beyond
    the item's row, in one query on PostgreSQL (None elsewhere: read them one by one)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    from django.contrib.postgres.expressions import ArraySubquery

    from .models import Attachment, Publication

    hashes = Attachment.objects.filter(publication_id=publication.pk).values("sha256")
    abolished = (Publication.abolishes.through.objects
                 .filter(from_publication_id=publication.pk).values("to_publication_id"))
    return list(publication.channels.annotate(attachment_hashes=ArraySubquery(hashes),
                                              abolished_ids=ArraySubquery(abolished)))


def fingerprint_of(publication, *, channels=None) -> str:
    """Recompute from the stored content (reads channels unless given, and attachments and
    abolished documents unless the channels carry them: `with_content_of`)."""
    if channels is None:
        channels = publication.channels.all()
    carried = next(iter(channels), None)
    if carried is not None and hasattr(carried, "attachment_hashes"):
        attachment_hashes, abolishes = carried.attachment_hashes, carried.abolished_ids
    else:
        attachment_hashes = [a.sha256 for a in publication.attachments.all()]
        abolishes = list(publication.abolishes.values_list("pk", flat=True))
    return compute_fingerprint(
        title=publication.title,
        body=publication.body,
        attachment_hashes=attachment_hashes,
        section_code=publication.section.code,
        category_code=publication.category.code,
        article20_item=publication.article20_item,
        document_type=publication.document_type,
        document_number=publication.document_number,
        effective_on=publication.effective_on,
        abolished_on=publication.abolished_on,
        decision_type=publication.decision_type,
        decision_count=publication.decision_count,
        fee_amount_yuan=publication.fee_amount_yuan,
        formed_on=publication.formed_on,
        channel_codes=[c.code for c in channels],
        abolishes=abolishes,
    )
