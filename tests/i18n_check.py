"""Finds English left untranslated in a page of the Chinese (zh-hans) UI.

`english_words(html)` returns the Latin-alphabet words of two letters or more that a person
would read on the page (text, and the title/alt/placeholder/aria-label attributes and button
values) and that are neither in ALLOWED nor data: e-mail addresses, URLs and paths, dotted
names (files, domains), hex strings such as fingerprints, and tokens with digits or
underscores (codes, usernames like drafter_office). Words of other data a test created
(display names, titles) are passed as `extra_allowed`.
"""

import re
from collections.abc import Iterable
from html.parser import HTMLParser

# Names a Chinese user legitimately reads in Latin letters, compared case-insensitively.
ALLOWED = frozenset(word.lower() for word in (
    "English",  # the language switch offers English in its own name
    "PDF", "Word", "Excel", "CSV", "docx",  # file formats of attachments, imports, exports
    "JSON",  # the statistics dashboard links its figures as JSON
    "Atom",  # the public site's feed format (订阅（Atom）)
    "URL", "API", "HTTP", "HTTPS",  # channel settings and the API documentation link
    "Webhook",  # the kind of channel that posts to a media platform
    "ID",  # external IDs (外部编号, 外部任务 ID) as the platforms call them
    "SHA",  # SHA-256 of attachments
    "MB",  # attachment size limits
    "HTML",  # the body is HTML (help text)
    "appid", "secret",  # WeChat channel settings named in delivery errors, as typed in admin
))

_VISIBLE_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label")
_BUTTON_INPUTS = ("submit", "button", "reset")
# <code>: machine output shown as received (a channel's own error text, beside its
# explanation in the reader's language)
_SKIPPED_ELEMENTS = ("script", "style", "template", "code")
_VOID_ELEMENTS = frozenset("area base br col embed hr img input link meta source track wbr"
                           .split())

_DATA = re.compile(
    r"""[\w.+-]+@\w[\w-]*(?:\.[\w-]+)+    # e-mail address
      | [a-z][a-z0-9+.-]*://[!-~]*         # URL with a scheme
      | (?<![\w/])/[!-~]*                  # a path such as /app/items/3/
      | \w+(?:\.\w+)+                      # dotted names: files, domains (www.example.gov.cn)
    """, re.ASCII | re.IGNORECASE | re.VERBOSE)
_TOKEN = re.compile(r"[A-Za-z0-9_]+")
_HEX = re.compile(r"[0-9a-fA-F]{7,}")


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, hidden from reading)

    @property
    def _hidden(self) -> bool:
        return any(hidden for _, hidden in self._stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        # material icons are ligatures: the text "description" shows as a picture, while
        # the icon's aria-label or title is what a person reads or hears
        hidden = tag in _SKIPPED_ELEMENTS or "material-icons" in classes
        if tag not in _SKIPPED_ELEMENTS and not self._hidden:
            self.parts.extend(attrs[name] or "" for name in _VISIBLE_ATTRIBUTES if name in attrs)
            if tag == "input" and (attrs.get("type") or "").lower() in _BUTTON_INPUTS:
                self.parts.append(attrs.get("value") or "")
        if tag not in _VOID_ELEMENTS:
            self._stack.append((tag, hidden))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_ELEMENTS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        # tolerate unclosed elements: pop back to the matching start tag, if any
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                return

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return "\n".join(parser.parts)


def english_words(text: str, extra_allowed: Iterable[str] = ()) -> list[str]:
    """The untranslated-looking English words of `text` (HTML or plain), in order."""
    allowed = ALLOWED | {word.lower() for value in extra_allowed
                         for word in _TOKEN.findall(value)}
    return [token for token in _TOKEN.findall(_DATA.sub(" ", visible_text(text)))
            if len(token) >= 2 and token.isalpha() and not _HEX.fullmatch(token)
            and token.lower() not in allowed]


# a 文号 such as 温住建〔2024〕12号 (an example in a field's placeholder is one too)
_DOCUMENT_NUMBER = re.compile(r"[\u3400-\u9fff]*〔\d{4}〕\d+号")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e]+")


def chinese_left(text: str, data: Iterable[str] = ()) -> list[str]:
    """The Chinese a page of the English UI still shows outside `data` (what people typed
    or named: titles, names of people, sections, channels, comments), longest data first."""
    shown = _DOCUMENT_NUMBER.sub(" ", visible_text(text))
    # the language switch names Chinese in Chinese
    for value in sorted({v for v in data if v} | {"中文"}, key=len, reverse=True):
        shown = shown.replace(value, " ")
    # punctuation left beside removed data (、，。（）) is not a sentence anyone reads
    return [run for run in _CJK.findall(shown) if re.search(r"[\u3400-\u9fff]", run)]
