"""How the review pages show a task: waiting times, the body with the pre-scan findings
marked, the decisions of every round, and what changed since the last round.

Presentation only: the rows come from workflow, scanning and audit selectors. Text goes to
the templates as plain strings (auto-escaped there); the one piece of HTML produced here,
the marked body, is passed through the sanitiser again before it is marked safe.
"""

import difflib
from dataclasses import dataclass, field

import nh3
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from audit.models import AuditAction
from publications.lifecycle import step_title
from scanning.models import FindingKind
from scanning.text import html_to_text
from workflow.models import WithholdBasis

from .templatetags.webui import actor_name

EXCERPT_CHARS = 30
# Above this many characters a changed block is shown as removed + added, not char by char
# (SequenceMatcher is quadratic).
INLINE_DIFF_LIMIT = 4000
CONTEXT_LINES = 2

# Actions that belong to the reviewers' story of an item; claims and scans are left out.
TRAIL_ACTIONS = (AuditAction.SUBMIT, AuditAction.APPROVE, AuditAction.REJECT,
                 AuditAction.WITHHOLD, AuditAction.WITHDRAW, AuditAction.CONTENT_CHANGED,
                 AuditAction.FINDING_DISMISSED)


def waiting_text(since, now) -> str:
    """How long something has waited, in Chinese: "2 天 3 小时", "5 小时 10 分钟"."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)d 天 %(hours)d 小时") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d 小时 %(minutes)d 分钟") % {"hours": hours, "minutes": minutes}
    if minutes:
        return _("%(minutes)d 分钟") % {"minutes": minutes}
    return _("不到 1 分钟")


# ---------------------------------------------------------------- pre-scan findings

@dataclass
class ShownFinding:
    """A finding as the reviewer reads it: where, what kind, the matched text in context."""

    pk: int
    kind: str
    place: str
    before: str
    match: str
    after: str
    masked: str
    blocks: bool
    dismissed: bool
    justification: str
    detail: str
    dismissed_by: str = ""
    dismissed_at: object = None
    marked_in_body: bool = False
    dismiss_form: object = None  # set by the view for the person who may dismiss it

    @property
    def anchor(self) -> str:
        return f"finding-{self.pk}"


def _place(field_name: str) -> str:
    if field_name == "title":
        return _("标题")
    if field_name == "body":
        return _("正文")
    if field_name == "document_number":
        return _("文号")
    if field_name.startswith("attachment:"):
        return _("附件：%s") % field_name.split(":", 1)[1]
    if field_name.startswith("attachment_name:"):
        return _("附件文件名：%s") % field_name.split(":", 1)[1]
    return field_name


def _flat(text: str) -> str:
    return " ".join(text.split()) if text.strip() else text


def _body_excerpt(mapped, first_index: dict, start: int, end: int):
    """Text around the body finding whose HTML source range is [start, end)."""
    i = first_index.get(start)
    if i is None:
        return "", "", ""
    j = i + 1
    while j < len(mapped.ends) and mapped.ends[j - 1] < end:
        j += 1
    text = mapped.text
    return (_flat(text[max(0, i - EXCERPT_CHARS):i]), text[i:j],
            _flat(text[j:j + EXCERPT_CHARS]))


def shown_findings(findings, *, title: str, body: str) -> list[ShownFinding]:
    """The report's findings (offsets into the stored title / body HTML) with excerpts.

    Load the dismissing people with the findings (`dismissed_by`), or each costs a query.
    """
    kinds = dict(FindingKind.choices)
    mapped = html_to_text(body or "") if any(f.field == "body" for f in findings) else None
    first_index: dict = {}
    if mapped is not None:
        for index, source_start in enumerate(mapped.starts):
            first_index.setdefault(source_start, index)
    shown = []
    for finding in findings:
        if finding.field == "title":
            before = title[max(0, finding.start - EXCERPT_CHARS):finding.start]
            match = title[finding.start:finding.end]
            after = title[finding.end:finding.end + EXCERPT_CHARS]
        elif finding.field == "body" and mapped is not None:
            before, match, after = _body_excerpt(mapped, first_index, finding.start, finding.end)
        else:  # an attachment: the extracted text is not kept, only the match
            before, match, after = "", "", ""
        dismisser = finding.dismissed_by if finding.dismissed_by_id else None
        shown.append(ShownFinding(
            pk=finding.pk, kind=str(kinds.get(finding.kind, finding.kind)),
            place=_place(finding.field), before=before, match=match or finding.text,
            after=after, masked=finding.masked, blocks=finding.is_open_blocker,
            dismissed=finding.dismissed_at is not None, justification=finding.justification,
            dismissed_by=str(dismisser) if dismisser else "", dismissed_at=finding.dismissed_at,
            # a word list's name is the agency's own words; other details are technical
            detail=finding.detail if finding.kind == FindingKind.SENSITIVE_WORD else ""))
    return shown


def _inside_tag(html: str, offset: int) -> bool:
    return html.rfind("<", 0, offset) > html.rfind(">", 0, offset)


# The body was sanitised when saved; after the marks go in it is sanitised again, allowing
# only what the marks add (a class and an id on <mark>).
_MARK_ATTRIBUTES = {**{tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()},
                    "mark": {"class", "id"}}


def body_with_marks(body: str, findings, shown: list[ShownFinding]):
    """The body HTML with each body finding wrapped in <mark>, where its offsets allow.

    A finding inside an attribute (an image's alt text) or across tags is not marked in
    the body; the list of findings still shows it with its excerpt.
    """
    by_pk = {item.pk: item for item in shown}
    body = body or ""
    pieces, cursor = [], 0
    for finding in sorted((f for f in findings if f.field == "body"),
                          key=lambda f: (f.start, f.end)):
        start, end = finding.start, finding.end
        if (start < cursor or end <= start or end > len(body) or "<" in body[start:end]
                or ">" in body[start:end] or _inside_tag(body, start)):
            continue
        css = "webui-finding webui-finding--" + (
            "blocking" if finding.is_open_blocker else "warning")
        pieces += [body[cursor:start], f'<mark class="{css}" id="body-finding-{finding.pk}">',
                   body[start:end], "</mark>"]
        cursor = end
        by_pk[finding.pk].marked_in_body = True
    pieces.append(body[cursor:])
    return mark_safe(nh3.clean("".join(pieces), attributes=_MARK_ATTRIBUTES))


# ---------------------------------------------------------------- decisions by round

@dataclass
class TrailRow:
    actor: str
    step: str
    action: str
    at: object
    comment: str
    basis: str


@dataclass
class RoundTrail:
    round: int
    rows: list = field(default_factory=list)


def trail_by_round(events) -> list[RoundTrail]:
    """The item's decisions grouped by round, the latest round first."""
    actions = dict(AuditAction.choices)
    bases = dict(WithholdBasis.choices)
    rounds: dict[int, RoundTrail] = {}
    for event in events:
        number = event.round or 0
        name = actor_name(event) or _("系统")
        basis = (event.data or {}).get("basis") or ""
        rounds.setdefault(number, RoundTrail(number)).rows.append(TrailRow(
            actor=name, step=step_title(event.tier), action=str(actions.get(event.action,
                                                                            event.action)),
            at=event.at, comment=event.comment, basis=str(bases.get(basis, basis))))
    return [rounds[number] for number in sorted(rounds, reverse=True)]


# ---------------------------------------------------------------- changes since last round

@dataclass
class DiffBlock:
    """`equal`, `changed` or `skipped` (n unchanged lines left out); segments are
    (tag, text) with tag "" (unchanged), "ins" or "del"."""

    kind: str
    segments: list = field(default_factory=list)
    skipped: int = 0


def body_text(html: str) -> str:
    return html_to_text(html or "").text


def _inline(old: str, new: str) -> list:
    if len(old) + len(new) > INLINE_DIFF_LIMIT:
        return [("del", old), ("ins", new)]
    segments = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(("", old[a1:a2]))
            continue
        if a2 > a1:
            segments.append(("del", old[a1:a2]))
        if b2 > b1:
            segments.append(("ins", new[b1:b2]))
    return segments


def text_diff(old: str, new: str) -> list[DiffBlock]:
    """Line by line; changed lines character by character (Chinese has no spaces)."""
    old_lines = [line for line in old.splitlines() if line.strip()]
    new_lines = [line for line in new.splitlines() if line.strip()]
    blocks = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            # a little context around each change; long unchanged stretches are counted
            lines = old_lines[a1:a2]
            head = lines[:CONTEXT_LINES] if a1 > 0 else []
            tail = lines[-CONTEXT_LINES:] if a2 < len(old_lines) else []
            if len(head) + len(tail) >= len(lines):
                blocks.append(DiffBlock("equal", [("", "\n".join(lines))]))
                continue
            if head:
                blocks.append(DiffBlock("equal", [("", "\n".join(head))]))
            blocks.append(DiffBlock("skipped", skipped=len(lines) - len(head) - len(tail)))
            if tail:
                blocks.append(DiffBlock("equal", [("", "\n".join(tail))]))
            continue
        blocks.append(DiffBlock("changed", _inline("\n".join(old_lines[a1:a2]),
                                                   "\n".join(new_lines[b1:b2]))))
    return blocks


@dataclass
class ContentDiff:
    previous_round: int
    title: list
    body: list
    title_changed: bool
    body_changed: bool


def content_diff(previous: dict, current: dict, *, previous_round: int) -> ContentDiff:
    """What changed between two submitted versions ({"title", "body"} each)."""
    old_body, new_body = body_text(previous.get("body", "")), body_text(current.get("body", ""))
    old_title, new_title = previous.get("title", ""), current.get("title", "")
    return ContentDiff(previous_round=previous_round,
                       title=_inline(old_title, new_title), body=text_diff(old_body, new_body),
                       title_changed=old_title != new_title, body_changed=old_body != new_body)
