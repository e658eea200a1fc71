"""Changes to the annual report: the narrative of a draft, finalising, a new version, the
opening balance, and submitting the final report into the review as an item.

Who: the agency's administrators and report editors (`report_editor`) change it; leaders,
auditors and drafters read it (`can_read`). Each change writes its audit event in the
same transaction.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import ChannelKind, Role
from applications.models import ApplicantType
from audit.models import AuditAction
from audit.services import Event, record
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from publications.models import Category
from publications.services import create_publication
from workflow.services import submit_publication

from . import reports
from .models import AnnualReport, OpeningBalance, ReportStatus

EDITORS = (Role.AGENCY_ADMIN, Role.REPORT_EDITOR)
READERS = (*EDITORS, Role.LEADER, Role.AUDITOR, Role.DRAFTER)
REPORT_CATEGORY = ("annual_report", "年度报告")
MAX_SECTION_LENGTH = 20_000


def can_read(user, agency) -> bool:
    return (user.is_authenticated and user.agency_id == agency.pk
            and any(user.has_role(r) for r in READERS))


def can_edit(user, agency) -> bool:
    return (user.is_authenticated and user.agency_id == agency.pk
            and any(user.has_role(r) for r in EDITORS))


def _require_editor(user, agency) -> None:
    if not can_edit(user, agency):
        if can_read(user, agency):
            raise NotPermitted(_("只有机关管理员和年度报告编辑可以修改、定稿年度报告。"))
        raise NotFound(_("未找到该机关。"))


def latest(agency, year, *, lock=False) -> AnnualReport | None:
    qs = AnnualReport.objects.filter(agency=agency, year=year).order_by("-version")
    if lock:
        qs = qs.select_for_update()
    return qs.first()


def _draft_for_change(agency, year) -> AnnualReport:
    """The latest version, locked, created as version 1 when there is none; a final one
    may not change (a new version must be made)."""
    report = latest(agency, year, lock=True)
    if report is None:
        try:
            with transaction.atomic():
                report = AnnualReport.objects.create(agency=agency, year=year, version=1)
        except IntegrityError:  # created by a concurrent request: take theirs
            report = latest(agency, year, lock=True)
    if report.status == ReportStatus.FINAL:
        raise Conflict(_("第 %(v)s 版已定稿，不能再修改；如需更正，请新建版本。") % {
            "v": report.version})
    return report


def edit_sections(*, user, agency, year: int, sections: dict) -> AnnualReport:
    """Replace the narrative of the given sections; a null text goes back to the text
    generated from the figures."""
    _require_editor(user, agency)
    if not isinstance(sections, dict) or not sections:
        raise InvalidInput(_("请提交要修改的正文部分。"), fields={"sections": [_("必填。")]})
    unknown = sorted(set(sections) - set(reports.SECTION_KEYS))
    if unknown:
        raise InvalidInput(_("没有这些正文部分：%(keys)s。") % {"keys": "、".join(unknown)},
                           fields={"sections": [_("可用：%(keys)s") % {
                               "keys": ", ".join(reports.SECTION_KEYS)}]})
    for key, text in sections.items():
        if text is not None and (not isinstance(text, str) or len(text) > MAX_SECTION_LENGTH):
            raise InvalidInput(_("正文须为不超过 %(n)s 字的文字。") % {"n": MAX_SECTION_LENGTH},
                               fields={"sections": {key: [_("无效的正文。")]}})
    with transaction.atomic():
        report = _draft_for_change(agency, year)
        edited = dict(report.sections)
        for key, text in sections.items():
            if text is None:
                edited.pop(key, None)
            else:
                edited[key] = text.replace("\r\n", "\n").strip()
        report.sections = edited
        report.save(update_fields=["sections", "updated_at"])
        record(agency_id=agency.pk, events=[Event(
            AuditAction.REPORT_EDITED, subject=report, actor=user,
            data={"year": year, "version": report.version, "sections": sorted(sections)})])
    return report


def finalise(*, user, agency, year: int) -> tuple[AnnualReport, list[dict]]:
    """Freeze the report if no error check fails: (the final version, []); otherwise
    (the draft, the failing checks) and nothing changes."""
    _require_editor(user, agency)
    if year >= timezone.localdate().year + 1:
        raise InvalidInput(_("不能为尚未开始的年度定稿。"), fields={"year": [_("年度无效。")]})
    with transaction.atomic():
        report = _draft_for_change(agency, year)
        content = reports.live_report(agency=agency, year=year, report=report)
        failing = reports.failing(content)
        if failing:
            transaction.set_rollback(True)  # nothing changes, not even an empty draft row
            return report, failing
        content["status"] = ReportStatus.FINAL.value
        report.snapshot, report.fingerprint = content, content["fingerprint"]
        report.status, report.finalised_at, report.finalised_by = (
            ReportStatus.FINAL, timezone.now(), user)
        report.save()
        record(agency_id=agency.pk, events=[Event(
            AuditAction.REPORT_FINALISED, subject=report, actor=user,
            fingerprint=report.fingerprint, data={"year": year, "version": report.version})])
    return report, []


def new_version(*, user, agency, year: int) -> AnnualReport:
    """A draft version after the final one, starting from its text; the final stays."""
    _require_editor(user, agency)
    with transaction.atomic():
        current = latest(agency, year, lock=True)
        if current is None or current.status != ReportStatus.FINAL:
            raise Conflict(_("当前版本尚未定稿，直接修改即可，无需新建版本。"))
        report = AnnualReport.objects.create(
            agency=agency, year=year, version=current.version + 1,
            sections=dict(current.snapshot.get("sections", {})))
        record(agency_id=agency.pk, events=[Event(
            AuditAction.REPORT_VERSION_CREATED, subject=report, actor=user,
            data={"year": year, "version": report.version, "after": current.version})])
    return report


def enter_opening_balance(*, user, agency, year: int, counts: dict) -> OpeningBalance:
    """Last year's carried-forward applications, as the agency reported them by hand, for
    the first year it reports from the system (once)."""
    _require_editor(user, agency)
    unknown = sorted(set(counts) - set(ApplicantType.values))
    bad = [k for k, v in counts.items()
           if not isinstance(v, int) or isinstance(v, bool) or v < 0]
    if unknown or bad:
        raise InvalidInput(_("期初数须为各类申请人的非负整数件数。"), fields={"counts": [
            _("未知类型：%(u)s；无效数字：%(b)s") % {"u": ", ".join(unknown) or "—",
                                              "b": ", ".join(bad) or "—"}]})
    with transaction.atomic():
        if OpeningBalance.objects.filter(agency=agency, year=year).exists():
            raise Conflict(_("该年度的期初数已录入，只能录入一次。"))
        balance = OpeningBalance.objects.create(agency=agency, year=year, counts=counts,
                                                entered_by=user)
        record(agency_id=agency.pk, events=[Event(
            AuditAction.OPENING_BALANCE_ENTERED, subject=balance, actor=user,
            data={"year": year, "counts": counts})])
    return balance


def submit(*, user, agency, year: int, section=None, render=None) -> AnnualReport:
    """Send the final report into the 三审 + 保密审查 as an item of the category 年度报告 in
    `section` (default: the agency's report section), for the agency's public column. The
    report's editor is the item's drafter. `render(snapshot)` gives the item's body and the
    attachments to add (callables taking the item); it runs only once the checks passed."""
    _require_editor(user, agency)
    with transaction.atomic():
        report = latest(agency, year, lock=True)
        if report is None or report.status != ReportStatus.FINAL:
            raise Conflict(_("年度报告须先定稿，才能报送审核。"))
        if report.publication_id is not None:
            raise Conflict(_("第 %(v)s 版已报送审核（信息编号 %(id)s）。") % {
                "v": report.version, "id": report.publication_id})
        section = _section(agency, section)
        channels = list(agency.channels.filter(kind=ChannelKind.SITE, is_active=True)
                        .values_list("code", flat=True))
        if not channels:
            raise Conflict(_("本机关没有启用的政府信息公开专栏渠道，年度报告无处发布。"))
        category, _created = Category.objects.get_or_create(
            agency=agency, code=REPORT_CATEGORY[0], defaults={"name": REPORT_CATEGORY[1]})
        # the report's title, in Chinese whatever the editor's language
        title = f"{agency.name}{year}年政府信息公开工作年度报告"
        if report.version > 1:
            title += f"（第 {report.version} 版）"
        body_html, attachments = render(report.snapshot) if render else ("", ())
        publication = create_publication(user=user, as_report=True, data={
            "title": title, "body": body_html, "section": section.code,
            "category": category.code, "channels": channels,
            "formed_on": report.finalised_at.date() if report.finalised_at else dt.date.today()})
        for attach in attachments:
            attach(publication)
        # into the review: the section's heads are told, as for any item
        submit_publication(user=user, publication_id=publication.pk)
        report.publication = publication
        report.save(update_fields=["publication", "updated_at"])
        record(agency_id=agency.pk, events=[Event(
            AuditAction.REPORT_SUBMITTED, subject=report, actor=user,
            fingerprint=report.fingerprint,
            data={"year": year, "version": report.version, "publication": publication.pk})])
    return report


def _section(agency, code):
    if code:
        section = agency.sections.filter(code=code).first()
        if section is None:
            raise InvalidInput(_("本机关没有该科室。"), fields={"section": [_("未找到该科室。")]})
        return section
    if agency.report_section_id is None:
        raise InvalidInput(_("本机关未设置年度报告报审科室：请指定科室，"
                             "或由机关管理员在机关设置中选定。"), fields={"section": [_("必填。")]})
    return agency.report_section
