"""Running the pre-scan on an item and acting on its findings; each change audited.

`scanning.engine` does the finding; this module feeds it the item's current
content with the agency's word lists and public numbers, stores the result per
content fingerprint, and keeps reviewers' dismissals.
"""

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, FilteredRelation, Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Role
from audit.models import AuditAction
from audit.services import Event, record
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from publications.models import Attachment, Publication
from publications.selectors import visible_publication

from .detectors import PERSONAL_DATA_KINDS
from .engine import Scanner, WordList
from .extract import TOO_LARGE, UNREADABLE, Limits, extract_text
from .models import (
    Finding,
    PublicNumber,
    ScanReport,
    ScanStatus,
    SensitiveWordList,
    Severity,
    UnscannedAcknowledgement,
)
from .sandbox import extract_in_child

_scanners: dict = {}
logger = logging.getLogger(__name__)


def rules_of(agency_id) -> tuple[str, list, list]:
    """(signature, word lists, public numbers) of the agency's current configuration."""
    # one query: the active word lists and the public numbers, told apart by `kind` (no
    # ORDER BY in the parts, which SQLite refuses in a compound statement: sorted below)
    word_lists = (SensitiveWordList.objects.filter(agency_id=agency_id, is_active=True)
                  .order_by()
                  .annotate(kind=Value(1), row=F("pk"), name_=F("name"),
                            severity_=F("severity"), words_=F("words"))
                  .values_list("kind", "row", "name_", "severity_", "words_"))
    public_numbers = (PublicNumber.objects.filter(agency_id=agency_id).order_by()
                      .annotate(kind=Value(2), row=F("pk"), name_=F("number"),
                                severity_=Value(""), words_=Value(""))
                      .values_list("kind", "row", "name_", "severity_", "words_"))
    rows = sorted(word_lists.union(public_numbers, all=True))
    lists = [(name, severity, SensitiveWordList(words=words).word_tuple())
             for kind, _row, name, severity, words in rows if kind == 1]
    numbers = sorted(name for kind, _row, name, _severity, _words in rows if kind == 2)
    return hashlib.sha256(repr((lists, numbers)).encode()).hexdigest(), lists, numbers


def scanner_for(agency_id) -> Scanner:
    """The agency's scanner, rebuilt only when its word lists or public numbers change."""
    return _scanner_and_signature(agency_id)[0]


def _scanner_and_signature(agency_id) -> tuple[Scanner, str]:
    signature, lists, numbers = rules_of(agency_id)
    cached = _scanners.get(agency_id)
    if cached is None or cached[0] != signature:
        scanner = Scanner(word_lists=[WordList(name, sev, words) for name, sev, words in lists],
                          public_numbers=numbers)
        _scanners[agency_id] = cached = (signature, scanner)
    return cached[1], signature


def scan_limits() -> Limits:
    return Limits(max_bytes=settings.SCAN_MAX_DECOMPRESSED_BYTES,
                  max_elements=settings.SCAN_MAX_XML_ELEMENTS,
                  max_seconds=settings.SCAN_ATTACHMENT_SECONDS)


def extractor():
    """How attachments are read: in a child process with hard limits (scanning.sandbox),
    unless SCAN_SANDBOX is off."""
    if not settings.SCAN_SANDBOX:
        return extract_text
    memory = settings.SCAN_SANDBOX_MEMORY_BYTES
    return lambda name, data, limits: extract_in_child(name, data, limits, memory_bytes=memory)


def _stored_files(publication) -> tuple[list, list]:
    """(name, bytes) of each attachment, and unscanned entries for files that are gone
    from storage (a task that failed on them would leave the scan pending for ever)."""
    files, missing = [], []
    for attachment in publication.attachments.all():
        try:
            with attachment.file.open("rb") as handle:
                files.append((attachment.name, handle.read()))
        except OSError as exc:
            missing.append({"field": f"attachment:{attachment.name}", "code": UNREADABLE,
                            "reason": f"file missing from storage ({type(exc).__name__})"})
    return files, missing


def _summary(report, findings: list[Finding]) -> dict:
    """`findings` are the report's rows, as just stored by `_run`."""
    kinds: dict = {}
    for finding in findings:
        kinds[finding.kind] = kinds.get(finding.kind, 0) + 1
    return {"findings": len(findings),
            "blocking": sum(f.severity == Severity.BLOCKING for f in findings),
            "kinds": kinds, "unscanned": len(report.unscanned)}


def _is_attachment_text(field: str) -> bool:
    return field.startswith("attachment:")


def _store(report, found_findings, *, replace, old=None) -> list[Finding]:
    """Replace the report's findings of the fields `replace` selects, keeping dismissals
    of findings that are found again (`old`: the report's findings, [] for a new report)."""
    if old is None:
        old = [f for f in report.findings.all() if replace(f.field)]
    earlier = {(f.kind, f.field, f.start, f.end, f.text): f for f in old}
    if old:
        Finding.objects.filter(pk__in=[f.pk for f in old]).delete()
    rows = []
    for found in found_findings:
        row = Finding(report=report, kind=found.kind, field=found.field[:300],
                      start=found.start, end=found.end, text=found.text[:500],
                      severity=found.severity, masked=(found.masked or "")[:500],
                      detail=found.detail[:200])
        before = earlier.get((row.kind, row.field, row.start, row.end, row.text))
        if before is not None and before.dismissed_at is not None:
            row.dismissed_by_id = before.dismissed_by_id
            row.dismissed_at = before.dismissed_at
            row.justification = before.justification
        rows.append(row)
    Finding.objects.bulk_create(rows)
    return rows


def _run(publication, *, actor, rules=None, report=None, fresh=False,
         events=None) -> ScanReport:
    """Scan the current content: title, body, 文号 and file names now; the attachments'
    text in a Celery task after commit (the report is `pending` until it is done).

    The caller holds the item's lock. `rules` (scanner, signature) and `report` (of the
    current fingerprint), when the caller has just read them, save reading them again;
    `fresh`: the caller found no report of the current fingerprint. With `events` the
    scan's audit event is appended there, for the caller to record with its own.
    """
    scanner, signature = rules or _scanner_and_signature(publication.agency_id)
    names = getattr(publication, "attachment_names", None)
    if names is None:
        names = list(publication.attachments.values_list("name", flat=True))
    result = scanner.scan(title=publication.title, body_html=publication.body,
                          document_number=publication.document_number,
                          attachment_names=names)
    status = ScanStatus.PENDING if names else ScanStatus.COMPLETE
    if fresh:
        report = ScanReport.objects.create(
            publication=publication, fingerprint=publication.fingerprint, run=1,
            rules_signature=signature, status=status, unscanned=[])
        rows = _store(report, result.findings, replace=lambda f: True, old=[])
    else:
        if report is None:
            report, _created = ScanReport.objects.get_or_create(
                publication=publication, fingerprint=publication.fingerprint)
        report.run += 1
        report.rules_signature = signature
        report.created_at = timezone.now()
        report.status = status
        if not names:
            report.unscanned = []
        report.save(update_fields=["run", "rules_signature", "created_at", "status",
                                   "unscanned"])
        rows = _store(report, result.findings, replace=lambda f: not _is_attachment_text(f))
        if not names:
            _store(report, [], replace=_is_attachment_text)
    summary = _summary(report, rows)
    if names:
        summary["attachments"] = ScanStatus.PENDING
        run = report.run
        transaction.on_commit(lambda: dispatch_attachment_scan(report.pk, run), robust=True)
    event = Event(AuditAction.SCAN, subject=publication, actor=actor, round=publication.round,
                  fingerprint=publication.fingerprint, data=summary)
    if events is not None:
        events.append(event)
    else:
        record(agency_id=publication.agency_id, events=[event])
    return report


def dispatch_attachment_scan(report_id: int, run: int) -> None:
    """Queue the attachments' scan (in the embedded mode and in tests: run it now)."""
    scan_report_attachments.delay(report_id, run)


def request_attachment_scan(report) -> None:
    """The approval found the attachments' part still pending: with tasks in-process run
    it now; with a worker queue it again only when it looks lost (pending longer than the
    files could take), so a reviewer's repeated clicks do not pile up 30-second jobs.
    A duplicate finds the report complete and does nothing."""
    from celery import current_app

    if not current_app.conf.task_always_eager:
        files = report.publication.attachments.count()
        patience = dt.timedelta(seconds=settings.SCAN_ATTACHMENT_SECONDS * (files + 1) + 10)
        if timezone.now() - report.created_at < patience:
            return
    try:
        dispatch_attachment_scan(report.pk, report.run)
    except Exception:  # kombu raises many types when the broker is away
        logger.warning("could not queue the attachments' scan of report %s", report.pk,
                       exc_info=True)


# Defined here, not in tasks.py (which re-exports it), so that this module does not import
# the one that imports it.
@shared_task(name="scanning.tasks.scan_report_attachments", acks_late=True,
             reject_on_worker_lost=True, ignore_result=True)
def scan_report_attachments(report_id: int, run: int) -> None:
    scan_attachments(report_id, run)


def scan_attachments(report_id: int, run: int) -> None:
    """The worker's part of a scan: read each attachment with the limits, store findings.

    The files are read and scanned outside any transaction (each may take up to the time
    limit); the result is stored only if the report is still at this run and the item's
    content still has the report's fingerprint. A duplicate task finds the report complete
    and does nothing.
    """
    report = (ScanReport.objects.select_related("publication")
              .filter(pk=report_id, run=run, status=ScanStatus.PENDING).first())
    if report is None or report.publication.fingerprint != report.fingerprint:
        return
    publication = report.publication
    scanner, signature = _scanner_and_signature(publication.agency_id)
    files, missing = _stored_files(publication)
    result = scanner.scan_attachments(files, limits=scan_limits(), extractor=extractor())
    result.unscanned.extend(missing)
    with transaction.atomic():
        publication = (Publication.objects.select_for_update(of=("self",))
                       .filter(pk=publication.pk).first())
        report = (ScanReport.objects.select_for_update()
                  .filter(pk=report_id, run=run, status=ScanStatus.PENDING).first())
        if report is None or publication.fingerprint != report.fingerprint:
            return
        rows = _store(report, result.findings, replace=_is_attachment_text)
        report.unscanned = result.unscanned
        report.status = ScanStatus.COMPLETE
        if signature != report.rules_signature:
            report.rules_signature = ""  # parts under other rules: stale, scanned again
        report.save(update_fields=["unscanned", "status", "rules_signature"])
        summary = _summary(report, rows)
        summary["too_large"] = sum(u.get("code") == TOO_LARGE for u in report.unscanned)
        record(agency_id=publication.agency_id, events=[Event(
            AuditAction.ATTACHMENTS_SCANNED, subject=publication, round=publication.round,
            fingerprint=publication.fingerprint, data=summary)])


def _current_report_and_names(publication) -> tuple[ScanReport | None, list[str]]:
    """The report of the item's current content (None: never scanned) and its attachments'
    names, read once the caller holds the item's lock: one query on PostgreSQL (the item's
    row, its attachments' names as an ARRAY subquery and the report LEFT JOINed), two
    elsewhere.

    Not in the query that takes the lock: under READ COMMITTED a SELECT … FOR UPDATE that
    waited for the lock returns the locked row as the other transaction left it, but reads
    every other table as of before the wait, so an attachment added (or removed) meanwhile
    would be missing from (or still in) the names scanned under the new fingerprint.
    """
    attachments = Attachment.objects.filter(publication_id=publication.pk).order_by("pk")
    if connection.vendor != "postgresql":
        return (_current_reports(publication).first(),
                list(attachments.values_list("name", flat=True)))
    from django.contrib.postgres.expressions import ArraySubquery

    fields = [f.attname for f in ScanReport._meta.concrete_fields]
    [(names, *values)] = (
        Publication.objects.filter(pk=publication.pk)
        .annotate(attachment_names=ArraySubquery(attachments.values("name")),
                  current=FilteredRelation("scan_reports", condition=Q(
                      scan_reports__fingerprint=publication.fingerprint)))
        .values_list("attachment_names", *(f"current__{name}" for name in fields)))
    found = values[fields.index(ScanReport._meta.pk.attname)] is not None
    return (ScanReport.from_db("default", fields, values) if found else None), names


def _current_reports(publication):
    """The item's report for its current content (at most one: unique per fingerprint)."""
    return ScanReport.objects.filter(publication=publication,
                                     fingerprint=publication.fingerprint)


# Who may run a scan (it writes a `scan` event): the item's drafter, before submitting,
# and the reviewers. Auditors and publishers only read the stored scan.
SCANNING_ROLES = (Role.SECTION_HEAD, Role.SECRECY_REVIEWER, Role.LEADER)


def scan_publication(*, user, publication_id: int) -> ScanReport:
    with transaction.atomic():
        publication = visible_publication(user, publication_id, lock=True)
        if publication.drafter_id != user.pk and not any(
                user.has_role(role) for role in SCANNING_ROLES):
            raise NotPermitted(
                _("只有经办人和审核人员可以运行预检；审计监督和发布员可查看预检结果。"))
        return _run(publication, actor=user)


def scan_if_missing(publication_id: int, *, locked=None, events=None) -> ScanReport | None:
    """The automatic scan: at submit (`workflow.services.submit_publication`, in its
    transaction, passing the item it holds locked as `locked` and its `events` to record
    the scan's with them), when an item enters the confidentiality review (after commit),
    and before its approval. It scans only when the current content was never scanned, or
    the agency's word lists or public numbers changed since (a stale scan); otherwise the
    report stands (the drafter's 预检 of the same content, or the scan at submit). Returns
    the report it ran, None when it ran none."""
    with transaction.atomic(savepoint=locked is None):
        publication = locked
        if publication is None:
            publication = (Publication.objects.select_for_update(of=("self",))
                           .filter(pk=publication_id).first())
            if publication is None:
                return None
        report, publication.attachment_names = _current_report_and_names(publication)
        rules = _scanner_and_signature(publication.agency_id)
        if report is None or report.rules_signature != rules[1]:
            return _run(publication, actor=None, rules=rules, report=report,
                        fresh=report is None, events=events)
        return None


def open_blockers(publication) -> list[Finding] | None:
    """Undismissed blocking findings for the item's current content; None if never scanned.

    One query when a report exists and nothing blocks.
    """
    report = (_current_reports(publication)
              .annotate(blockers=Count("findings", filter=Q(
                  findings__severity=Severity.BLOCKING, findings__dismissed_at__isnull=True)))
              .first())
    if report is None:
        return None
    if not report.blockers:
        return []
    return [f for f in report.findings.all() if f.is_open_blocker]


@dataclass
class ApprovalCheck:
    """What stands between the item's current content and the confidentiality approval."""

    report: ScanReport
    pending: bool                  # the attachments' scan has not finished
    blockers: list                 # undismissed blocking findings
    unacknowledged: list           # unscanned entries (dicts) nobody acknowledged this round


def approval_check(publication) -> ApprovalCheck | None:
    """None when the current content has no scan, or a stale one (rules changed since):
    scan it (`scan_if_missing`) and ask again."""
    report = (_current_reports(publication)
              .annotate(blockers=Count("findings", filter=Q(
                  findings__severity=Severity.BLOCKING, findings__dismissed_at__isnull=True)))
              .first())
    if report is None or report.rules_signature != rules_of(publication.agency_id)[0]:
        return None
    pending = report.status == ScanStatus.PENDING
    blockers = ([f for f in report.findings.all() if f.is_open_blocker]
                if report.blockers else [])
    unacknowledged = []
    if report.unscanned and not pending:
        done = set(report.acknowledgements.filter(round=publication.round)
                   .values_list("field", flat=True))
        unacknowledged = [u for u in report.unscanned if u["field"] not in done]
    return ApprovalCheck(report, pending, blockers, unacknowledged)


def finding_data(finding) -> dict:
    return {"id": finding.pk, "kind": finding.kind, "field": finding.field,
            "start": finding.start, "end": finding.end, "text": finding.text,
            "severity": finding.severity, "masked": finding.masked or None,
            "dismissed": finding.dismissed_at is not None}


def current_report(publication) -> ScanReport | None:
    return (_current_reports(publication).select_related("publication")
            .prefetch_related("findings", "acknowledgements__acknowledged_by").first())


def dismiss_finding(*, user, publication, finding_id: int, justification: str):
    """Clear a finding of the item's current content, giving the reason.

    Who may is the review's rule: `workflow.services.dismiss_finding` checks it, with the
    item locked, and calls this in its transaction.
    """
    if not (justification or "").strip():
        raise InvalidInput(_("排除预检发现时必须说明理由。"),
                           fields={"justification": [_("请填写排除理由。")]})
    assert connection.in_atomic_block, "called in the caller's transaction, item locked"
    finding = (Finding.objects.select_for_update()
               .filter(pk=finding_id, report__publication=publication).first())
    if finding is None:
        raise NotFound(_("未找到该预检发现。"))
    if finding.report.fingerprint != publication.fingerprint:
        raise Conflict(_("该发现属于旧版本内容，请重新检查。"))
    if finding.dismissed_at is not None:
        raise Conflict(_("该发现已被排除。"))
    finding.dismissed_by = user
    finding.dismissed_at = timezone.now()
    finding.justification = justification.strip()
    finding.save(update_fields=["dismissed_by", "dismissed_at", "justification"])
    record(agency_id=publication.agency_id, events=[Event(
        AuditAction.FINDING_DISMISSED, subject=publication, actor=user,
        round=publication.round, fingerprint=publication.fingerprint,
        comment=finding.justification, data=_finding_for_trail(finding))])
    return finding


def acknowledge_unscanned(*, user, publication, field: str, note: str):
    """The confidentiality reviewer read an unscanned attachment and notes what they found.

    Like `dismiss_finding`: `workflow.services.acknowledge_unscanned` checks who may, with
    the item locked, and calls this in its transaction. The acknowledgement is of the
    current content's report, in the item's current round.
    """
    if not (note or "").strip():
        raise InvalidInput(_("确认未能检查的附件时必须填写说明。"),
                           fields={"note": [_("请说明人工检查的结果。")]})
    assert connection.in_atomic_block, "called in the caller's transaction, item locked"
    report = _current_reports(publication).select_for_update().first()
    if report is None or report.status == ScanStatus.PENDING:
        raise Conflict(_("附件仍在检查中，请稍后再试。"))
    entries = [u for u in report.unscanned if u.get("field") == field]
    if not entries:
        raise NotFound(_("该附件不在未能检查的列表中。"))
    if report.acknowledgements.filter(round=publication.round, field=field).exists():
        raise Conflict(_("该附件已确认。"))
    acknowledgement = UnscannedAcknowledgement.objects.create(
        report=report, round=publication.round, field=field, note=note.strip(),
        acknowledged_by=user, acknowledged_at=timezone.now())
    record(agency_id=publication.agency_id, events=[Event(
        AuditAction.UNSCANNED_ACKNOWLEDGED, subject=publication, actor=user,
        round=publication.round, fingerprint=publication.fingerprint,
        comment=acknowledgement.note,
        data={"field": field, "reasons": [u.get("reason", "") for u in entries],
              "codes": [u.get("code", "") for u in entries]})])
    return acknowledgement


def unscanned_data(report, round_number) -> list[dict]:
    """The report's unscanned entries with their acknowledgement in `round_number`."""
    done = {a.field: a for a in report.acknowledgements.all() if a.round == round_number}
    rows = []
    for entry in report.unscanned:
        ack = done.get(entry.get("field"))
        rows.append({**entry, "code": entry.get("code", "unreadable"),
                     "acknowledged": ack is not None,
                     "acknowledged_by": str(ack.acknowledged_by) if ack else None,
                     "acknowledged_at": ack.acknowledged_at if ack else None,
                     "note": ack.note if ack else None})
    return rows


def _finding_for_trail(finding) -> dict:
    """What the trail keeps of a finding: never the personal data itself."""
    shown = finding.masked or (finding.text if finding.kind not in PERSONAL_DATA_KINDS else "")
    return {"finding": finding.pk, "kind": finding.kind, "field": finding.field,
            "start": finding.start, "end": finding.end, "shown_as": shown,
            "severity": finding.severity}


def apply_masks(*, user, publication_id: int) -> ScanReport:
    """The drafter masks every personal-data finding in title, body and 文号 in one step
    (a resident ID with a wrong check digit too: it is a warning, but personal data).

    Attachments and their file names cannot be rewritten here; their findings stay for the
    drafter to fix.
    """
    from publications.services import update_publication

    from .masking import apply_masks as masked_text

    with transaction.atomic():
        publication = visible_publication(user, publication_id, lock=True)
        if publication.drafter_id != user.pk:
            raise NotPermitted(_("只有起草该信息的经办人可以脱敏。"))
        report = _run(publication, actor=user)
        findings = [f for f in report.findings.all()
                    if f.kind in PERSONAL_DATA_KINDS and f.masked
                    and f.field in ("title", "body", "document_number")]
        if not findings:
            raise Conflict(_("标题和正文中没有需要脱敏的个人信息。"))
        data = {"title": masked_text(publication.title, findings, field="title"),
                "body": masked_text(publication.body, findings, field="body")}
        if any(f.field == "document_number" for f in findings):
            data["document_number"] = masked_text(publication.document_number, findings,
                                                  field="document_number")
        publication = update_publication(
            user=user, publication_id=publication.pk, data=data,
            action=AuditAction.MASKS_APPLIED,
            extra={"masked": len(findings), "kinds": sorted({f.kind for f in findings})})
        return _run(publication, actor=user)
