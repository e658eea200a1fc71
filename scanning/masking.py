"""Published forms of personal data, and applying them to a text.

The masks follow the usual published forms: ID ``35*************123`` (first 2 and last 3
kept), mobile ``138****1234`` (first 3 and last 4 of the national number kept; +86 and
separators stay), bank card ``************1234`` (last 4 kept), landline ``0391-*****45``
(area code and last 2 kept), e-mail ``z***@example.com``. All but the e-mail mask keep
the length and the separators, so a masked number can be put back into HTML character by
character, and none of them is detected again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .detectors import BANK_CARD, EMAIL, ID_NUMBER, LANDLINE, MOBILE

_SIGNIFICANT = frozenset("0123456789０１２３４５６７８９XxＸｘ")
_AREA = re.compile(r"[(（]?([0-9０-９]+)")


def _keep(value: str, first: int, last: int) -> str:
    positions = [i for i, c in enumerate(value) if c in _SIGNIFICANT]
    hidden = positions[first:len(positions) - last] if last else positions[first:]
    chars = list(value)
    for i in hidden:
        chars[i] = "*"
    return "".join(chars)


def mask_id(value: str) -> str:
    return _keep(value, 2, 3)


def mask_mobile(value: str) -> str:
    digits = sum(c in _SIGNIFICANT for c in value)
    return _keep(value, max(0, digits - 11) + 3, 4)


def mask_bank_card(value: str) -> str:
    return _keep(value, 0, 4)


def mask_landline(value: str) -> str:
    leading = _AREA.match(value)
    area = leading.group(1) if leading else ""
    if len(area) > 4:  # written without separator: 3-digit codes are 010 and 02x
        area = area[:3] if area[1] in "12１２" else area[:4]
    return _keep(value, len(area), 2)


def mask_email(value: str) -> str:
    local, _, domain = value.rpartition("@")
    return f"{local[:1]}***@{domain}"


MASKS = {ID_NUMBER: mask_id, MOBILE: mask_mobile, BANK_CARD: mask_bank_card,
         LANDLINE: mask_landline, EMAIL: mask_email}


def mask_for(kind: str, value: str) -> str | None:
    """The masked form of `value` found as `kind`, or None if the kind is not masked."""
    mask = MASKS.get(kind)
    return mask(value) if mask else None


def apply_masks(text: str, findings: Iterable, *, field: str | None = None) -> str:
    """`text` with each finding's span replaced by its masked form.

    `findings` are objects with ``start``, ``end``, ``text`` and ``masked`` (engine
    findings, or stored ones); those without a masked form are skipped, and with `field`
    given only that field's findings are used. Spans are replaced right to left so the
    earlier offsets stay valid; a span overlapping one already replaced is skipped. A
    finding whose text is not at its position any more raises ValueError (the content
    changed since the scan: scan again).
    """
    chosen = sorted((f for f in findings
                     if f.masked and (field is None or getattr(f, "field", None) == field)),
                    key=lambda f: (f.start, f.end), reverse=True)
    pieces: list[str] = []
    cursor = len(text)
    for finding in chosen:
        if finding.end > cursor:
            continue
        if not text.startswith(finding.text, finding.start) or finding.end > len(text):
            raise ValueError(
                f"finding at {finding.start}:{finding.end} does not match the text; scan again")
        pieces.append(text[finding.end:cursor])
        pieces.append(finding.masked)
        cursor = finding.start
    pieces.append(text[:cursor])
    return "".join(reversed(pieces))
