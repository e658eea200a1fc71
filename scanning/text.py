"""HTML body → plain text, with every text character mapped back to the HTML source.

Detectors see the text a reader sees; findings must point into the stored HTML (so the
reviewer's highlighting and the drafter's masking act on the real source). Each text
character keeps the source range it came from:

* text inside tags maps one to one;
* a character reference (``&amp;``, ``&nbsp;``, ``&#49;``) maps to the whole reference;
* a block element boundary (``<p>``, ``<br>``, ``<div>``, ``</li>`` …) becomes one ``\\n``,
  a table cell boundary one ``\\t`` — mapped to that tag — so words and numbers never run
  together across paragraphs or cells, while inline tags (``<b>``, ``<span>``) add nothing
  and a number split by them is still one number;
* ``title`` and ``alt`` attributes, and ``mailto:``/``tel:`` links, are published too:
  their values are appended after the body text (one line each), mapped into the tag;
* the content of ``<script>``, ``<style>`` and ``<template>`` and comments are skipped.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass
from html.parser import HTMLParser

BLOCK_TAGS = frozenset(
    "address article aside blockquote br caption dd details div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary "
    "table tbody tfoot thead tr ul".split())
CELL_TAGS = frozenset({"td", "th"})
SKIPPED_TAGS = frozenset({"script", "style", "template"})
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_REFERENCE = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?")


@dataclass(frozen=True)
class MappedText:
    """``text[i]`` came from ``source[starts[i]:ends[i]]``."""

    source: str
    text: str
    starts: list[int]
    ends: list[int]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The source range of the text range [start, end) (end > start)."""
        return self.starts[start], self.ends[end - 1]

    def transplant(self, start: int, end: int, replacement: str) -> str:
        """The source slice of text [start, end) with the text replaced by `replacement`.

        When the replacement has the same length (all our masks but e-mail's), only the
        changed characters are rewritten, so markup inside the span (``138<b>1234</b>5678``)
        survives; otherwise the slice is replaced by the escaped replacement.
        """
        source_start, source_end = self.source_span(start, end)
        if len(replacement) != end - start:
            return html_lib.escape(replacement, quote=False)
        pieces = []
        cursor = source_start
        for i in range(start, end):
            char_start, char_end = self.starts[i], self.ends[i]
            if char_start < cursor:  # second character of one reference
                continue
            pieces.append(self.source[cursor:char_start])
            new = replacement[i - start]
            if new == self.text[i]:
                pieces.append(self.source[char_start:char_end])
            else:
                pieces.append(html_lib.escape(new, quote=False))
            cursor = char_end
        pieces.append(self.source[cursor:source_end])
        return "".join(pieces)


class _Collector(HTMLParser):
    def __init__(self, source: str):
        super().__init__(convert_charrefs=False)
        self.source = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.pieces: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.attribute_texts: list[tuple[str, list[int], list[int]]] = []
        self.skipping = 0
        self.last = "\n"

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def _add(self, text: str, start: int, end: int | None = None) -> None:
        if not text:
            return
        self.pieces.append(text)
        if end is None:  # one to one
            self.starts.extend(range(start, start + len(text)))
            self.ends.extend(range(start + 1, start + len(text) + 1))
        else:
            self.starts.extend([start] * len(text))
            self.ends.extend([end] * len(text))
        self.last = text[-1]

    def _boundary(self, tag: str, start: int, end: int) -> None:
        if tag in CELL_TAGS:
            self._add("\t", start, end)
        elif tag in BLOCK_TAGS and self.last != "\n":
            self._add("\n", start, end)

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_TAGS:
            self.skipping += 1
            return
        start = self._offset()
        raw = self.get_starttag_text() or ""
        self._boundary(tag, start, start + len(raw))
        if "=" in raw:
            self._attributes(raw, start)

    def handle_startendtag(self, tag, attrs):
        if tag not in SKIPPED_TAGS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
            return
        start = self._offset()
        end = self.source.find(">", start)
        self._boundary(tag, start, len(self.source) if end == -1 else end + 1)

    def handle_data(self, data):
        if not self.skipping:
            self._add(data, self._offset())

    def handle_entityref(self, name):
        self._reference("&" + name)

    def handle_charref(self, name):
        self._reference("&#" + name)

    def _reference(self, raw: str) -> None:
        if self.skipping:
            return
        start = self._offset()
        if self.source.startswith(";", start + len(raw)):
            raw += ";"
        decoded = html_lib.unescape(raw)
        if decoded == raw:  # unknown name: shown as written
            self._add(raw, start)
        else:
            self._add(decoded, start, start + len(raw))

    def _attributes(self, raw: str, tag_start: int) -> None:
        for m in _ATTRIBUTE.finditer(raw):
            name = m.group(1).lower()
            group = next(g for g in (2, 3, 4) if m.group(g) is not None)
            value, value_start = m.group(group), tag_start + m.start(group)
            if name == "href":
                if not value.lower().startswith(("mailto:", "tel:")):
                    continue
            elif name not in ("title", "alt"):
                continue
            self.attribute_texts.append(_decode(value, value_start))


def _decode(raw: str, base: int) -> tuple[str, list[int], list[int]]:
    """An attribute value with its references decoded, mapped to the source."""
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    cursor = 0
    for m in _REFERENCE.finditer(raw):
        decoded = html_lib.unescape(m.group())
        if decoded == m.group():
            continue
        pieces.append(raw[cursor:m.start()])
        starts.extend(range(base + cursor, base + m.start()))
        ends.extend(range(base + cursor + 1, base + m.start() + 1))
        pieces.append(decoded)
        starts.extend([base + m.start()] * len(decoded))
        ends.extend([base + m.end()] * len(decoded))
        cursor = m.end()
    pieces.append(raw[cursor:])
    starts.extend(range(base + cursor, base + len(raw)))
    ends.extend(range(base + cursor + 1, base + len(raw) + 1))
    return "".join(pieces), starts, ends


def html_to_text(source: str) -> MappedText:
    collector = _Collector(source)
    collector.feed(source)
    collector.close()
    for text, starts, ends in collector.attribute_texts:
        if text:
            anchor = starts[0]
            collector._add("\n", anchor, anchor)
            collector.pieces.append(text)
            collector.starts.extend(starts)
            collector.ends.extend(ends)
    return MappedText(source=source, text="".join(collector.pieces),
                      starts=collector.starts, ends=collector.ends)
