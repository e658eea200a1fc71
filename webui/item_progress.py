"""What the item page shows of the review: the 进度 bar of the current round's path through
三审 (起草 → 科室审核 → 保密审查 → 领导审签 → 发布), the reviewers' comments of every
round, and the drafter's pre-scan (预检) card.

Presentation only: rows come from workflow, audit and scanning selectors; the findings
are shown with the reviewers' helpers (`review_display`), personal data masked.
"""

from dataclasses import dataclass

from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.status import STATUS

from audit.models import AuditAction
from audit.selectors import timeline
from publications.lifecycle import step_title
from publications.models import PublicationStatus as S
from scanning.detectors import PERSONAL_DATA_KINDS
from scanning.models import ScanStatus
from scanning.services import current_report
from workflow.models import Decision
from workflow.permissions import REVIEW_STEPS
from workflow.selectors import round_tasks

from .review_display import body_with_marks, shown_findings, trail_by_round, waiting_text

# the states a step of the bar is drawn in (CSS modifiers)
DONE, CURRENT, TODO, STOPPED = "done", "current", "todo", "stopped"


@dataclass
class ProgressStep:
    name: str       # "draft", a review step, "publish"
    title: str
    state: str      # DONE, CURRENT, TODO or STOPPED (the round ended here otherwise)
    note: str = ""  # what happened or happens there: 通过, 待签收, 由 X 签收, 退回…
    person: str = ""
    at: object = None
    waiting: str = ""


def _person(user) -> str:
    return (user.display_name or user.username) if user else ""


def _review_step(step, task, now) -> ProgressStep:
    title = step_title(step)
    if task is None:
        return ProgressStep(step, title, TODO)
    if task.status == STATUS.NEW:
        return ProgressStep(step, title, CURRENT, _("待签收"), at=task.created,
                            waiting=waiting_text(task.created, now))
    if task.status == STATUS.ASSIGNED:
        since = task.assigned or task.created
        return ProgressStep(step, title, CURRENT, _("已签收，审核中"), _person(task.owner),
                            at=since, waiting=waiting_text(since, now))
    if task.status == STATUS.DONE:
        decision = (task.data or {}).get("decision")
        if decision == Decision.APPROVE:
            return ProgressStep(step, title, DONE, _("通过"), _person(task.owner),
                                at=task.finished)
        note = _("退回修改") if decision == Decision.REJECT else _("不予公开")
        return ProgressStep(step, title, STOPPED, note, _person(task.owner), at=task.finished)
    # cancelled: the drafter withdrew the item, or its content changed during the round
    return ProgressStep(step, title, STOPPED, _("已终止"), at=task.finished)


def progress_of(publication) -> list[ProgressStep]:
    """The bar of the item's current round, from its review tasks (one query)."""
    now = timezone.now()
    tasks = list(round_tasks(publication=publication))
    by_step = {task.flow_task.name: task for task in tasks}  # the latest task of each step
    review_process = tasks[0].process.reviewprocess if tasks else None
    drafter = _person(publication.drafter)
    status = publication.status
    steps = []
    if status == S.DRAFT or review_process is None:
        steps.append(ProgressStep("draft", _("起草"), CURRENT, _("起草中"), drafter,
                                  at=publication.created_at))
    elif status == S.RETURNED:
        since = review_process.finished or review_process.created
        steps.append(ProgressStep("draft", _("起草"), CURRENT, _("退回修改中"), drafter,
                                  at=since, waiting=waiting_text(since, now)))
    else:
        steps.append(ProgressStep("draft", _("起草"), DONE, _("已提交"), drafter,
                                  at=review_process.created))
    steps += [_review_step(step, by_step.get(step), now) for step in REVIEW_STEPS]
    publish = ProgressStep("publish", _("发布"), TODO)
    if status == S.APPROVED:
        publish = ProgressStep("publish", _("发布"), DONE, _("终审通过，已交付发布"),
                               at=review_process.finished if review_process else None)
    elif status == S.RETRACTED:
        publish = ProgressStep("publish", _("发布"), STOPPED, _("已撤稿"))
    elif status == S.WITHHELD:
        publish = ProgressStep("publish", _("发布"), STOPPED, _("不予公开"))
    elif status == S.WITHDRAWN:
        publish = ProgressStep("publish", _("发布"), STOPPED, _("已撤回"))
    steps.append(publish)
    return steps


# ---------------------------------------------------------------- comments

COMMENT_ACTIONS = (AuditAction.APPROVE, AuditAction.REJECT, AuditAction.WITHHOLD)


def review_comments(publication) -> list:
    """The reviewers' decisions with their comments, every round, newest first (one query):
    `review_display.TrailRow`s with the round's number as `round`."""
    events = (timeline(subject=publication).filter(action__in=COMMENT_ACTIONS)
              .order_by("-seq"))
    rows = []
    for round_trail in trail_by_round(events):
        for row in round_trail.rows:
            row.round = round_trail.round
            rows.append(row)
    return rows


# ---------------------------------------------------------------- the drafter's pre-scan

@dataclass
class Prescan:
    report: object           # the scan of the current content, None if never scanned
    findings: list           # review_display.ShownFinding, personal data masked
    blockers: int
    pending: bool            # the attachments' part still runs in the background
    maskable: bool           # 一键脱敏 has something to mask in title, body or 文号
    body: object             # the body with the findings marked


def _masked(text: str, masks: dict) -> str:
    for raw, masked in masks.items():
        text = text.replace(raw, masked)
    return text


def prescan_of(publication) -> Prescan:
    """The current content's scan as the item page shows it (three queries; one more
    when a finding was dismissed)."""
    report = current_report(publication)
    findings = list(report.findings.all()) if report is not None else []
    prefetch_related_objects([f for f in findings if f.dismissed_by_id], "dismissed_by")
    shown = shown_findings(findings, title=publication.title, body=publication.body)
    # the page names each personal datum without repeating it in full, in its own row and
    # in the text around other findings
    masks = {f.text: f.masked or "＊" * len(f.text) for f in findings
             if f.kind in PERSONAL_DATA_KINDS and f.text}
    for finding, item in zip(findings, shown, strict=True):
        if finding.kind in PERSONAL_DATA_KINDS:
            item.match = masks.get(finding.text, item.match)
            item.before = item.after = ""
        else:
            item.before, item.after = _masked(item.before, masks), _masked(item.after, masks)
    return Prescan(
        report=report, findings=shown, blockers=sum(item.blocks for item in shown),
        pending=report is not None and report.status == ScanStatus.PENDING,
        maskable=any(f.kind in PERSONAL_DATA_KINDS and f.masked
                     and f.field in ("title", "body", "document_number") for f in findings),
        body=body_with_marks(publication.body, findings, shown))
