"""Running the pre-scan on an item and acting on its findings; each change audited.

`scanning.engine` does the finding; this module feeds it the item's current
content with the agency's word lists and public numbers, stores the result per
content fingerprint, and keeps reviewers' dismissals.
"""

import hashlib

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Role
from audit.models import AuditAction
from audit.services import Event, record
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from publications.models import Publication
from publications.selectors import visible_publication

from .detectors import PERSONAL_DATA_KINDS
from .engine import Scanner, WordList
from .extract import Limits, extract_text
from .models import Finding, PublicNumber, ScanReport, SensitiveWordList, Severity
from .sandbox import extract_in_child

_scanners: dict = {}


def scanner_for(agency_id) -> Scanner:
    """The agency's scanner, rebuilt only when its word lists or public numbers change."""
    lists = [(wl.name, wl.severity, wl.word_tuple())
             for wl in SensitiveWordList.objects.filter(agency_id=agency_id, is_active=True)
             .order_by("pk")]
    numbers = sorted(PublicNumber.objects.filter(agency_id=agency_id)
                     .values_list("number", flat=True))
    signature = hashlib.sha256(repr((lists, numbers)).encode()).hexdigest()
    cached = _scanners.get(agency_id)
    if cached is None or cached[0] != signature:
        scanner = Scanner(word_lists=[WordList(name, sev, words) for name, sev, words in lists],
                          public_numbers=numbers)
        _scanners[agency_id] = cached = (signature, scanner)
    return cached[1]


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


def _attachments(publication):
    files = []
    for attachment in publication.attachments.all():
        with attachment.file.open("rb") as handle:
            files.append((attachment.name, handle.read()))
    return files


def _summary(report, findings: list[Finding]) -> dict:
    """`findings` are the report's rows, as just stored by `_run`."""
    kinds: dict = {}
    for finding in findings:
        kinds[finding.kind] = kinds.get(finding.kind, 0) + 1
    return {"findings": len(findings),
            "blocking": sum(f.severity == Severity.BLOCKING for f in findings),
            "kinds": kinds, "unscanned": len(report.unscanned)}


def _run(publication, *, actor) -> ScanReport:
    """Scan the current content; keep dismissals of findings that are found again."""
    result = scanner_for(publication.agency_id).scan(
        title=publication.title, body_html=publication.body,
        attachments=_attachments(publication), limits=scan_limits(), extractor=extractor())
    report, _created = ScanReport.objects.get_or_create(
        publication=publication, fingerprint=publication.fingerprint)
    earlier = {(f.kind, f.field, f.start, f.end, f.text): f for f in report.findings.all()}
    report.findings.all().delete()
    report.unscanned = result.unscanned
    report.save(update_fields=["unscanned"])
    rows = []
    for found in result.findings:
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
    record(agency_id=publication.agency_id, events=[Event(
        AuditAction.SCAN, subject=publication, actor=actor, round=publication.round,
        fingerprint=publication.fingerprint, data=_summary(report, rows))])
    return report


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


def scan_if_missing(publication_id: int) -> None:
    """The automatic scan when an item enters the confidentiality review (after commit)."""
    with transaction.atomic():
        publication = (Publication.objects.select_for_update(of=("self",))
                       .filter(pk=publication_id).first())
        if publication is None:
            return
        if not _current_reports(publication).exists():
            _run(publication, actor=None)


def open_blockers(publication) -> list[Finding] | None:
    """Undismissed blocking findings for the item's current content; None if never scanned.

    One query when a report exists and nothing blocks (the confidentiality approval's path).
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


def finding_data(finding) -> dict:
    return {"id": finding.pk, "kind": finding.kind, "field": finding.field,
            "start": finding.start, "end": finding.end, "text": finding.text,
            "severity": finding.severity, "masked": finding.masked or None,
            "dismissed": finding.dismissed_at is not None}


def current_report(publication) -> ScanReport | None:
    return _current_reports(publication).prefetch_related("findings").first()


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


def _finding_for_trail(finding) -> dict:
    """What the trail keeps of a finding: never the personal data itself."""
    shown = finding.masked or (finding.text if finding.kind not in PERSONAL_DATA_KINDS else "")
    return {"finding": finding.pk, "kind": finding.kind, "field": finding.field,
            "start": finding.start, "end": finding.end, "shown_as": shown,
            "severity": finding.severity}


def apply_masks(*, user, publication_id: int) -> ScanReport:
    """The drafter masks every personal-data finding in title and body in one step.

    Attachments cannot be rewritten here; their findings stay for the drafter to fix.
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
                    and f.field in ("title", "body")]
        if not findings:
            raise Conflict(_("标题和正文中没有需要脱敏的个人信息。"))
        title = masked_text(publication.title, findings, field="title")
        body = masked_text(publication.body, findings, field="body")
        publication = update_publication(
            user=user, publication_id=publication.pk, data={"title": title, "body": body},
            action=AuditAction.MASKS_APPLIED,
            extra={"masked": len(findings), "kinds": sorted({f.kind for f in findings})})
        return _run(publication, actor=user)
