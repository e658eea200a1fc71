"""The pre-scan's public API: a `Scanner` built once per agency configuration.

`Scanner.scan` reads an item's title (plain text), body (HTML, scanned as the text a
reader sees, positions mapped back to the HTML source) and attachments (text extracted
by `extract`); findings carry offsets into the field's original string — the HTML source
for the body, the extracted text for an attachment — and, for personal data, the masked
replacement for exactly that slice. An attachment that cannot be read (or a part of one)
is listed in `ScanResult.unscanned`, never skipped silently.

The detection rules are documented in `scanning.detectors`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .detectors import (
    PERSONAL_DATA_KINDS,
    SEVERITIES,
    PhraseMatcher,
    PublicNumbers,
    Span,
    find_emails,
    find_numbers,
    normalize,
)
from .extract import (
    DEFAULT_LIMITS,
    PARTIAL,
    UNREADABLE,
    Extracted,
    Limits,
    UnreadableAttachment,
    extract_text,
)
from .masking import mask_for
from .text import html_to_text

__all__ = ["Finding", "WordList", "ScanResult", "Scanner", "UnreadableAttachment"]


@dataclass(frozen=True)
class Finding:
    kind: str      # id_number, mobile, landline, bank_card, email, secrecy_marking, sensitive_word
    field: str     # "title", "body", "document_number", "attachment:<filename>" (its text)
                   # or "attachment_name:<filename>" (its file name)
    start: int     # offsets into the field's ORIGINAL string (for body: the HTML source)
    end: int
    text: str      # original[start:end]
    severity: str  # "blocking" or "warning"
    masked: str | None  # masked replacement for personal data, None for markings/words
    detail: str = ""    # e.g. the word list name


@dataclass(frozen=True)
class WordList:
    name: str
    severity: str          # "blocking" | "warning"
    words: tuple[str, ...]

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"word list {self.name!r}: severity must be one of {SEVERITIES}")
        object.__setattr__(self, "words", tuple(self.words))


@dataclass
class ScanResult:
    findings: list[Finding]
    # [{"field": "attachment:x.pdf", "reason": "...", "code": "too_large"|"unreadable"|"partial"}]
    unscanned: list[dict]


def _order(finding: Finding):
    return finding.field, finding.start, finding.end, finding.kind


class Scanner:
    """Detectors for one configuration; the Aho-Corasick automaton is built once here."""

    def __init__(self, word_lists: Sequence[WordList] = (), public_numbers: Iterable[str] = ()):
        self._phrases = PhraseMatcher(word_lists)
        self._public = PublicNumbers(public_numbers)

    def _spans(self, text: str) -> list[Span]:
        text = normalize(text)
        spans = find_numbers(text, self._public)
        if "@" in text:
            spans.extend(find_emails(text, self._public))
        spans.extend(self._phrases.find(text))
        return spans

    def scan_text(self, text: str, field: str) -> list[Finding]:
        findings = []
        for span in self._spans(text):
            found = text[span.start:span.end]
            masked = mask_for(span.kind, found) if span.kind in PERSONAL_DATA_KINDS else None
            findings.append(Finding(span.kind, field, span.start, span.end, found,
                                    span.severity, masked, span.detail))
        findings.sort(key=_order)
        return findings

    def scan_html(self, html: str, field: str = "body") -> list[Finding]:
        mapped = html_to_text(html)
        findings = []
        for span in self._spans(mapped.text):
            start, end = mapped.source_span(span.start, span.end)
            masked = None
            if span.kind in PERSONAL_DATA_KINDS:
                masked = mapped.transplant(
                    span.start, span.end,
                    mask_for(span.kind, mapped.text[span.start:span.end]))
            findings.append(Finding(span.kind, field, start, end, html[start:end],
                                    span.severity, masked, span.detail))
        findings.sort(key=_order)
        return findings

    def scan(self, *, title: str, body_html: str,
             attachments: Sequence[tuple[str, bytes]] = (), document_number: str = "",
             attachment_names: Sequence[str] = (), limits: Limits = DEFAULT_LIMITS,
             extractor: Callable[[str, bytes, Limits], Extracted] = extract_text,
             ) -> ScanResult:
        """Title, body, 文号 and the attachments' file names as text; `attachments`
        (name, bytes) are read by `extractor` (in the worker: `scanning.sandbox`).

        File names are taken from `attachment_names`, and from `attachments` too."""
        findings = (self.scan_text(title or "", "title") + self.scan_html(body_html or "")
                    + self.scan_text(document_number or "", "document_number"))
        names = list(dict.fromkeys([*attachment_names, *(name for name, _ in attachments)]))
        for name in names:
            findings.extend(self.scan_text(name, f"attachment_name:{name}"))
        result = self.scan_attachments(attachments, limits=limits, extractor=extractor)
        findings.extend(result.findings)
        findings.sort(key=_order)
        return ScanResult(findings=findings, unscanned=result.unscanned)

    def scan_attachments(self, attachments: Sequence[tuple[str, bytes]], *,
                         limits: Limits = DEFAULT_LIMITS,
                         extractor: Callable[[str, bytes, Limits], Extracted] = extract_text,
                         ) -> ScanResult:
        findings: list[Finding] = []
        unscanned: list[dict] = []
        for filename, data in attachments:
            field = f"attachment:{filename}"
            try:
                extracted = extractor(filename, data, limits)
            except UnreadableAttachment as exc:
                unscanned.append({"field": field, "reason": exc.reason, "code": exc.code})
                continue
            except Exception as exc:  # a reader bug must not let the file pass unread
                unscanned.append({"field": field, "code": UNREADABLE,
                                  "reason": f"could not be read ({type(exc).__name__}: {exc})"})
                continue
            unscanned.extend({"field": field, "reason": gap, "code": PARTIAL}
                             for gap in extracted.gaps)
            findings.extend(self.scan_text(extracted.text, field))
        findings.sort(key=_order)
        return ScanResult(findings=findings, unscanned=unscanned)
