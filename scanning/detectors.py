"""Where personal data, secrecy markings and listed words occur in one plain-text string.

Each detector returns `Span`s with offsets into the string it was given; `engine` turns
them into findings for a field. Rules, and why they are drawn where they are:

Numbers (one regex pass: a cheap search for digit runs, then one anchored match each)
  * Digits never count when they are part of a longer digit run, or touch a mask
    character (``*``/``＊``): ``35*************123`` and ``138****1234`` are already masked.
  * 18-digit resident ID (GB 11643): region prefix of a province (11–65, 71, 81–83) or a
    9x foreigner's permanent-residence number, a real birth date from 1900 to today, and
    the check digit (0–9/X): blocking. A number with that shape but a wrong check digit
    is most likely a real ID with a typo (or one altered by a digit), which still names a
    person: reported as an ID *warning* (and masked like one), never re-read as a bank
    card.
    15-digit legacy IDs: same region rule and a real 19YYMMDD birth date (no check digit).
  * Mobile: ``1[3-9]`` + 9 digits, bare, grouped 3-4-4 with spaces or hyphens, or after
    +86 / 0086 / (+86). Landline: area code (010, 02x, or 0[3-9]xx) in parentheses or
    followed by a space/hyphen, then a 7–8 digit local number not starting with 0 (010-
    12345678 is the form people write); bare 11–12 digit runs starting with 0 that split
    into such an area code and a local number starting 2–9.
  * Bank card: 16–19 digits, bare or in groups of four, passing Luhn, not starting with 0
    and not starting with a date (a Luhn check passes one number in ten, and long
    date-time serials like 2024030112304512 are common in documents).
  * Not personal data: money (``12345.67元``, ``￥…``, ``…万元``), decimals and percentages,
    the sequence number of a document number (``温建〔2024〕3号``, ``第…号``), date parts
    (``…年/月/日``), numbers inside URLs (except valid IDs), and phone numbers (or a
    published account number) on the agency's own allow-list. Dates such as 2024-03-01
    or 20240301 never have the shape of any detector above; they are listed here
    because reviewers ask.

E-mail: ASCII local part and domain around an ``@`` (found with ``str.find``, not a regex
scan of the whole text).

Secrecy markings (Aho-Corasick, in the same automaton pass as the word lists)
  * Always a marking (blocking): 内部资料, 内部使用, 内部文件, 内部参考, 内部传阅, 内部发行,
    仅供内部, 仅限内部, 注意保密, 不得外传, 严禁外传, 请勿外传, 不得翻印, 密件.
  * 绝密 / 机密 / 秘密 are also ordinary words (国家秘密, 商业秘密, “分为绝密、机密、秘密三级”).
    They are a marking (blocking) when: followed by ★/☆/* (with the secrecy period, e.g.
    ``秘密★1年``, included in the span), or preceded by ★; followed by 级 or a period of
    secrecy (``机密 10年``, ``长期``); after a ``密级：`` label; or standing alone — not
    glued to the text before (line start, space, bracket, colon) and followed by the end,
    a space, a line end or punctuation such as 。/. (``机密。`` on its own line).
    They are not reported after a qualifier that makes them a prose noun (国家, 商业,
    工作, 军事, 技术, 经营, 个人, 保守, 泄露 …) or when listing the levels (、和与及或).
    Otherwise, in running prose, 绝密 and 机密 are still suspicious and reported as a
    *warning*; 秘密 in prose is too common to report.

Markings are also found letter-spaced (``秘 密★``, ``内　部　资　料``), as headers are typeset.

Sensitive words: every occurrence of every word of every list (overlaps included), with
the list's severity and name. Matching is exact (no case folding).

Full-width digits, ＋, －, Ｘ are read as their ASCII forms (one character for one, so
offsets do not move).
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import ahocorasick

BLOCKING = "blocking"
WARNING = "warning"
SEVERITIES = (BLOCKING, WARNING)

ID_NUMBER = "id_number"
MOBILE = "mobile"
LANDLINE = "landline"
BANK_CARD = "bank_card"
EMAIL = "email"
SECRECY_MARKING = "secrecy_marking"
SENSITIVE_WORD = "sensitive_word"
PERSONAL_DATA_KINDS = frozenset({ID_NUMBER, MOBILE, LANDLINE, BANK_CARD, EMAIL})


class Span(NamedTuple):
    kind: str
    start: int
    end: int
    severity: str
    detail: str = ""


# --- normalisation ---------------------------------------------------------------------

_FULLWIDTH = re.compile("[０-９＋－Ｘｘ]")
_FULLWIDTH_TABLE = str.maketrans("０１２３４５６７８９＋－Ｘｘ", "0123456789+-Xx")


def normalize(text: str) -> str:
    """Full-width digits and signs as ASCII, one character for one (offsets unchanged)."""
    if _FULLWIDTH.search(text):
        return text.translate(_FULLWIDTH_TABLE)
    return text


# --- checks ----------------------------------------------------------------------------

_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83".split())
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _region_ok(digits: str) -> bool:
    # 9 + province: the 2023 permanent-residence card of foreign nationals.
    return digits[:2] in _PROVINCES or (digits[0] == "9" and digits[1] in "123456")


def _date_ok(year: int, month: int, day: int) -> bool:
    """A real birth date from 1900 to today."""
    return (year >= 1900 and _date_ok_any(year, month, day)
            and dt.date(year, month, day) <= dt.date.today())


def id18_status(number: str) -> str | None:
    """"valid", "shape" (region and birth date fine, check digit wrong) or None."""
    if len(number) != 18 or not number[:17].isdigit() or not _region_ok(number):
        return None
    if not _date_ok(int(number[6:10]), int(number[10:12]), int(number[12:14])):
        return None
    return "valid" if id_check_char(number[:17]) == number[17].upper() else "shape"


def id15_valid(number: str) -> bool:
    return (len(number) == 15 and number.isdigit() and _region_ok(number)
            and _date_ok(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12])))


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        x = ord(ch) - 48
        if i & 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def _starts_with_date(digits: str) -> bool:
    year = int(digits[:4])
    return 1900 <= year <= 2099 and _date_ok_any(year, int(digits[4:6]), int(digits[6:8]))


def _date_ok_any(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _area_ok(area: str) -> bool:
    # 3-digit area codes are 010 and 02x; 4-digit ones start 03–09.
    return ((len(area) == 3 and (area == "010" or area[1] == "2"))
            or (len(area) == 4 and area[1] in "3456789"))


# --- public numbers --------------------------------------------------------------------

_DIGITS_ONLY = re.compile(r"[^0-9]")


class PublicNumbers:
    """The agency's own published numbers (and e-mail addresses): never personal data.

    Phone numbers mostly, but an account the agency publishes for payments is honoured
    too (as a bank-card number); ID numbers never are.

    Entries are compared by digits only, so ``0391-6172345``, ``(0391)6172345`` and
    ``0391 617 2345`` are the same entry; an entry without area code matches the local
    part of a landline; +86/0086 in front of a mobile is ignored.
    """

    def __init__(self, entries: Iterable[str] = ()):
        self.numbers: set[str] = set()
        self.emails: set[str] = set()
        for entry in entries:
            entry = str(entry).strip()
            if "@" in entry:
                self.emails.add(entry.lower())
            elif entry:
                digits = _national(_DIGITS_ONLY.sub("", normalize(entry)))
                if digits:
                    self.numbers.add(digits)

    def __contains__(self, digits: str) -> bool:
        return digits in self.numbers


def _national(digits: str) -> str:
    if len(digits) == 15 and digits.startswith("0086"):
        return digits[4:]
    if len(digits) == 13 and digits.startswith("86"):
        return digits[2:]
    return digits


# --- numbers ---------------------------------------------------------------------------

_RUN = re.compile(r"[+0-9][0-9]{2,}")
_SEP = r"[ \-\xa0]"
_NUMBER = re.compile(rf"""
    (?<![0-9*＊])(?<![0-9]\.)
    (?:
        (?P<intl>(?:\+86|0086|[(（]\+86[)）]){_SEP}?1[3-9][0-9](?:{_SEP}?[0-9]{{4}}){{2}})
        (?![0-9*＊])
      | (?P<tel>(?:[(（](?P<area1>0[0-9]{{2,3}})[)）][ \xa0]?|(?P<area2>0[0-9]{{2,3}}){_SEP})
                [1-9][0-9]{{6,7}})
        (?![0-9*＊])
      | (?<![0-9]{_SEP})
        (?P<grouped>
            1[3-9][0-9]{_SEP}[0-9]{{4}}{_SEP}[0-9]{{4}}
          | [0-9]{{6}}[ \xa0][0-9]{{8}}[ \xa0][0-9]{{3}}[0-9Xx]
          | [0-9]{{4}}(?:{_SEP}[0-9]{{4}}){{3}}(?:{_SEP}[0-9]{{1,4}})?
        )
        (?![0-9*＊]|{_SEP}[0-9])
      | (?P<run>[0-9]{{17}}[Xx]|[0-9]{{11,19}})(?![0-9*＊])
    )
""", re.VERBOSE)
_NOT_DIGIT = re.compile(r"[^0-9Xx]")
# Money, decimals, percentages, date parts right after the number.
_AFTER = re.compile(
    r"[ \xa0]?(?:(?:\.[0-9]+)?[ \xa0]?(?:元|万|亿|千元|百元|美元|港元|欧元|块钱)"
    r"|\.[0-9]|[%％‰]|[年月日])")
_MONEY_BEFORE = re.compile(r"(?:[￥¥$＄]|人民币|RMB)[ \xa0]?$")
# The sequence number of a document number: 〔2024〕3号, [2023]12号, 第12号.
_DOCNO_BEFORE = re.compile(r"[〕\]］)）第][ \xa0]?$")
_DOCNO_AFTER = re.compile(r"[ \xa0]?号")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'，。；、）)】]+", re.IGNORECASE)


def _not_personal_context(text: str, start: int, end: int) -> bool:
    if _AFTER.match(text, end):
        return True
    if start and (_MONEY_BEFORE.search(text, max(0, start - 4), start)
                  or (_DOCNO_BEFORE.search(text, max(0, start - 2), start)
                      and _DOCNO_AFTER.match(text, end))):
        return True
    return False


ID_WRONG_CHECK_DIGIT = "18-digit ID shape (region, birth date), check digit wrong"


def _classify_digits(digits: str, public: PublicNumbers) -> tuple[str, str, str] | None:
    """(kind, severity, detail) for a bare digit string, or None."""
    n = len(digits)
    if digits[-1] in "Xx":
        status = id18_status(digits)
        if status == "valid":
            return ID_NUMBER, BLOCKING, "18-digit ID, check digit valid"
        if status == "shape":
            return ID_NUMBER, WARNING, ID_WRONG_CHECK_DIGIT
        return None
    if n == 18:
        status = id18_status(digits)
        if status == "valid":
            return ID_NUMBER, BLOCKING, "18-digit ID, check digit valid"
        if status == "shape":
            return ID_NUMBER, WARNING, ID_WRONG_CHECK_DIGIT
        return _card(digits, public)
    if n == 15:
        if id15_valid(digits):
            return ID_NUMBER, BLOCKING, "15-digit legacy ID"
        return None
    if n == 11 and digits[0] == "1" and digits[1] in "3456789":
        if digits in public:
            return None
        return MOBILE, WARNING, ""
    if n in (11, 12) and digits[0] == "0":
        area = digits[:3] if digits[1] in "12" else digits[:4]
        local = digits[len(area):]
        if (_area_ok(area) and len(local) in (7, 8) and local[0] in "23456789"
                and digits not in public and local not in public):
            return LANDLINE, WARNING, ""
        return None
    if 16 <= n <= 19:
        return _card(digits, public)
    return None


def _card(digits: str, public: PublicNumbers) -> tuple[str, str, str] | None:
    if (digits[0] != "0" and luhn_ok(digits) and not _starts_with_date(digits)
            and digits not in public):
        return BANK_CARD, BLOCKING, f"{len(digits)}-digit card number, Luhn valid"
    return None


def _classify(m: re.Match, public: PublicNumbers) -> tuple[str, str, str] | None:
    group = m.lastgroup
    raw = m.group()
    if group == "intl":
        national = _national(_DIGITS_ONLY.sub("", raw))
        return None if national in public else (MOBILE, WARNING, "")
    if group == "tel":
        area = m.group("area1") or m.group("area2")
        digits = _DIGITS_ONLY.sub("", raw)
        if not _area_ok(area) or digits in public or digits[len(area):] in public:
            return None
        return LANDLINE, WARNING, ""
    return _classify_digits(_NOT_DIGIT.sub("", raw), public)


def find_numbers(text: str, public: PublicNumbers) -> list[Span]:
    """ID numbers, mobile and landline numbers and bank cards in a normalised text."""
    spans: list[Span] = []
    search, match = _RUN.search, _NUMBER.match
    urls = None
    if "://" in text or "www." in text:
        urls = [(u.start(), u.end()) for u in _URL.finditer(text)]
    pos = 0
    while True:
        run = search(text, pos)
        if run is None:
            return spans
        p = run.start()
        m = None
        if p and text[p - 1] in "(（":
            m = match(text, p - 1)
        if m is None:
            m = match(text, p)
        found = None
        if m is not None and not _not_personal_context(text, m.start(), m.end()):
            found = _classify(m, public)
            if found and urls and found[0] != ID_NUMBER and _inside(urls, m.start()):
                found = None
        if found:
            spans.append(Span(found[0], m.start(), m.end(), found[1], found[2]))
            pos = m.end()
        else:
            pos = run.end()


def _inside(zones: list[tuple[int, int]], pos: int) -> bool:
    i = bisect_right(zones, (pos, float("inf"))) - 1
    return i >= 0 and zones[i][0] <= pos < zones[i][1]


# --- e-mail ----------------------------------------------------------------------------

_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9_%+\-][A-Za-z0-9._%+\-]{0,63}$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_EMAIL_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.[A-Za-z]{{2,24}}(?![A-Za-z0-9])")


def find_emails(text: str, public: PublicNumbers) -> list[Span]:
    spans: list[Span] = []
    at = text.find("@")
    while at != -1:
        local = _EMAIL_LOCAL.search(text, max(0, at - 64), at)
        domain = _EMAIL_DOMAIN.match(text, at + 1) if local else None
        if local and domain:
            start, end = local.start(), domain.end()
            if text[start:end].lower() not in public.emails:
                spans.append(Span(EMAIL, start, end, WARNING, ""))
            at = text.find("@", end)
        else:
            at = text.find("@", at + 1)
    return spans


# --- secrecy markings and word lists ---------------------------------------------------

LEVELS = ("绝密", "机密", "秘密")
FIXED_MARKINGS = ("内部资料", "内部使用", "内部文件", "内部参考", "内部传阅", "内部发行",
                  "仅供内部", "仅限内部", "注意保密", "不得外传", "严禁外传", "请勿外传",
                  "不得翻印", "密件")
_BLANK = " \t\u3000\xa0"
_PERIOD = r"(?:[0-9一二三四五六七八九十]+(?:年|个月)|长期)"
_STAR_AFTER = re.compile(rf"[{_BLANK}]*[★☆*＊](?:[{_BLANK}]*{_PERIOD})?")
_LEVEL_AFTER = re.compile(rf"[{_BLANK}]*(?:级|{_PERIOD})")
_LABEL_BEFORE = re.compile(rf"密级[{_BLANK}]*[:：]?[{_BLANK}]*$")
_ALONE_BEFORE = frozenset("\n\r\t \u3000\xa0【[(（「『“\"'：:|>")
_ALONE_AFTER = frozenset("\n\r\t \u3000\xa0。．.，,；;：:!！)）】]」』”\"'|<")
_ENUMERATION = frozenset("、和与及或")
_QUALIFIERS = frozenset("国家 商业 工作 军事 技术 经营 个人 保守 泄露 泄漏 窃取 刺探 核心".split())


def _level(text: str, start: int, end: int, word: str) -> tuple[int, int, str, str] | None:
    """Whether 绝密/机密/秘密 at [start, end) is a marking (see the module docstring)."""
    star = _STAR_AFTER.match(text, end)
    if star:
        return start, star.end(), BLOCKING, f"{word}★ marking"
    before = text[start - 1] if start else ""
    if before and before in "★☆":
        return start - 1, end, BLOCKING, f"★{word} marking"
    if start >= 2 and text[start - 2:start] in _QUALIFIERS:
        return None
    after = end + 1 if text.startswith("级", end) else end
    if (after < len(text) and text[after] in _ENUMERATION) or (before and before in _ENUMERATION):
        return None
    level = _LEVEL_AFTER.match(text, end)
    if level:
        return start, level.end(), BLOCKING, f"{word} with 级 or secrecy period"
    if start and _LABEL_BEFORE.search(text, max(0, start - 8), start):
        return start, end, BLOCKING, f"{word} after 密级 label"
    if ((not start or before in _ALONE_BEFORE)
            and (end == len(text) or text[end] in _ALONE_AFTER)):
        return start, end, BLOCKING, f"{word} standing alone"
    if word == "秘密":
        return None
    return start, end, WARNING, f"{word} in prose"


class PhraseMatcher:
    """One Aho-Corasick automaton for the secrecy markings and all sensitive-word lists."""

    def __init__(self, word_lists: Sequence = ()):
        entries: dict[str, list[tuple[str, str, str]]] = {}
        for category, words in (("level", LEVELS), ("fixed", FIXED_MARKINGS)):
            for word in words:
                # headers are often letter-spaced: 秘 密, 内　部　资　料
                for written in (word, " ".join(word), "\u3000".join(word)):
                    entries.setdefault(written, []).append((category, word, ""))
        for word_list in word_lists:
            for word in word_list.words:
                word = normalize(word.strip())
                if word:
                    entries.setdefault(word, []).append(
                        ("word", word_list.name, word_list.severity))
        # pyahocorasick looks a node's children up one by one; with the thousands of
        # distinct first characters of a Chinese word list the root is slow (≈1 MB/s).
        # Over UTF-8 bytes (as a latin-1 str) every node has few children (≈40× faster);
        # offsets are mapped back to characters as matches come, in order of their end.
        automaton = ahocorasick.Automaton()
        for word, payloads in entries.items():
            automaton.add_word(_as_bytes(word), (len(word), tuple(payloads)))
        automaton.make_automaton()
        self._automaton = automaton

    def find(self, text: str) -> list[Span]:
        spans: list[Span] = []
        markings: list[tuple[int, int, str, str]] = []
        if text.isascii():
            encoded, as_bytes = b"", text
        else:
            encoded = text.encode("utf-8", "surrogatepass")
            as_bytes = encoded.decode("latin-1")
        byte_pos = char_pos = 0
        for last, (length, payloads) in self._automaton.iter(as_bytes):
            if encoded:
                char_pos += len(encoded[byte_pos:last + 1].decode("utf-8", "surrogatepass"))
                byte_pos = last + 1
                end = char_pos
            else:
                end = last + 1
            start = end - length
            for category, name, severity in payloads:
                if category == "word":
                    spans.append(Span(SENSITIVE_WORD, start, end, severity, name))
                elif category == "fixed":
                    markings.append((start, end, BLOCKING, f"{name} marking"))
                else:
                    marking = _level(text, start, end, name)
                    if marking:
                        markings.append(marking)
        spans.extend(_merge(markings))
        return spans


def _as_bytes(word: str) -> str:
    return word.encode("utf-8", "surrogatepass").decode("latin-1")


def _merge(markings: list[tuple[int, int, str, str]]) -> list[Span]:
    """Overlapping markings (仅供内部 + 内部使用) become one finding."""
    merged: list[Span] = []
    for start, end, severity, detail in sorted(markings):
        if merged and start < merged[-1].end:
            last = merged[-1]
            merged[-1] = Span(SECRECY_MARKING, last.start, max(last.end, end),
                              BLOCKING if BLOCKING in (last.severity, severity) else WARNING,
                              f"{last.detail}; {detail}")
        else:
            merged.append(Span(SECRECY_MARKING, start, end, severity, detail))
    return merged
