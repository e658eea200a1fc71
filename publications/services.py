"""Writes to publications: create, edit and attachments, each audited.

Codes (section, category, channels) are resolved within the person's agency;
anything wrong is an InvalidInput naming the field, and nothing is written.
"""

import hashlib
import os

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from agencies.models import Channel, Role, Section
from audit.models import AuditAction
from audit.services import Event, record
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from core.sql import combined_writes, insert_sql, saved

from .fingerprint import compute_fingerprint, fingerprint_of
from .lifecycle import PublicationLifecycle
from .models import Attachment, Category, DecisionType, DocumentType, Publication
from .models import PublicationStatus as S
from .sanitise import sanitise_html
from .selectors import visible_publication

CONTENT_FIELDS = ("title", "body", "article20_item", "document_type", "document_number",
                  "effective_on", "abolished_on", "decision_type", "decision_count",
                  "fee_amount_yuan", "formed_on")


def _one(queryset):
    """The row matching a unique lookup, or None (no ordering, so no join for it)."""
    return next(iter(queryset.order_by()[:1]), None)


def _resolve(user, data: dict, errors: dict) -> dict:
    """Turn codes into objects of the user's agency; collect field errors."""
    resolved = {}
    agency_id = user.agency_id
    if "section" in data:
        section = _one(Section.objects.filter(agency_id=agency_id, code=data["section"]))
        if section is None:
            errors["section"] = [_("未知科室：%s") % data["section"]]
        resolved["section"] = section
    if "category" in data:
        category = _one(Category.objects.filter(agency_id=agency_id, code=data["category"]))
        if category is None:
            errors["category"] = [_("未知公开目录类别：%s") % data["category"]]
        resolved["category"] = category
    if "channels" in data:
        codes = list(dict.fromkeys(data["channels"] or []))
        channels = list(Channel.objects.filter(agency_id=agency_id, code__in=codes,
                                               is_active=True).order_by())
        unknown = sorted(set(codes) - {c.code for c in channels})
        # nothing could be sent to a channel whose settings are incomplete (its release
        # would only fail): refused here, not only left out of the form
        unconfigured = sorted(c.name for c in channels if not c.is_configured)
        if not codes:
            errors["channels"] = [_("至少选择一个发布渠道。")]
        elif unknown:
            errors["channels"] = [_("未知或已停用的发布渠道：%s") % ", ".join(unknown)]
        elif unconfigured:
            errors["channels"] = [
                _("发布渠道尚未配置完成，不能选择：%s。请联系系统管理员补全配置。")
                % "、".join(unconfigured)]
        resolved["channels"] = sorted(channels, key=lambda c: c.code)
    if "body" in data:
        if len(data["body"] or "") > settings.PUBLICATION_BODY_MAX_CHARS:
            errors["body"] = [_("正文过长：最多 %(max)d 个字符，当前 %(n)d 个。")
                              % {"max": settings.PUBLICATION_BODY_MAX_CHARS,
                                 "n": len(data["body"])}]
        resolved["body"] = sanitise_html(data["body"])
    if "abolishes" in data:
        ids = sorted(set(data["abolishes"] or []))
        # Only released documents of this agency can be abolished: statistics (table 二)
        # count them as abolished in the year this item is released.
        found = set(Publication.objects.filter(
            agency_id=agency_id, pk__in=ids, status=S.APPROVED,
            document_type__in=DocumentType.values).order_by().values_list("pk", flat=True))
        missing = [str(pk) for pk in ids if pk not in found]
        if missing:
            errors["abolishes"] = [_("只能废止本机关已发布的规章或行政规范性文件：%s")
                                   % ", ".join(missing)]
        resolved["abolishes"] = ids
    if "title" in data:
        title = (data["title"] or "").strip()
        if not title:
            errors["title"] = [_("标题不能为空。")]
        resolved["title"] = title
    for name in ("article20_item", "document_type", "document_number", "effective_on",
                 "abolished_on", "decision_type", "decision_count", "fee_amount_yuan",
                 "formed_on"):
        if name in data:
            resolved[name] = data[name]
    return resolved


def _check_consistency(values: dict, errors: dict) -> None:
    if values.get("document_type") and values["document_type"] not in DocumentType.values:
        errors["document_type"] = [_("未知文件类型。")]
    if values.get("decision_type") and values["decision_type"] not in DecisionType.values:
        errors["decision_type"] = [_("未知决定类型。")]
    if values.get("document_type") and not values.get("document_number"):
        errors["document_number"] = [_("规章和行政规范性文件须填写文号。")]
    effective, abolished = values.get("effective_on"), values.get("abolished_on")
    if effective and abolished and abolished < effective:
        errors["abolished_on"] = [_("废止日期不能早于生效日期。")]
    if values.get("decision_count") is not None and values["decision_count"] < 1:
        errors["decision_count"] = [_("决定数量至少为 1。")]
    fee = values.get("fee_amount_yuan")
    if fee is not None and fee < 0:
        errors["fee_amount_yuan"] = [_("收费金额不能为负数。")]


def _fingerprint(values: dict, attachment_hashes) -> str:
    return compute_fingerprint(
        title=values["title"], body=values["body"], attachment_hashes=attachment_hashes,
        section_code=values["section"].code, category_code=values["category"].code,
        article20_item=values.get("article20_item"),
        document_type=values.get("document_type", ""),
        document_number=values.get("document_number", ""),
        effective_on=values.get("effective_on"), abolished_on=values.get("abolished_on"),
        decision_type=values.get("decision_type", ""),
        decision_count=values.get("decision_count", 1),
        fee_amount_yuan=values.get("fee_amount_yuan"), formed_on=values.get("formed_on"),
        channel_codes=[c.code for c in values["channels"]],
        abolishes=values.get("abolishes", ()),
    )


def _require_drafter(user, section) -> None:
    if not user.has_role(Role.DRAFTER):
        raise NotPermitted(_("只有经办人可以起草主动公开信息。"))
    if section is not None and user.section_id != section.pk:
        raise NotPermitted(_("只能为本科室起草信息。"))


def _insert_with_channels(publication, channels) -> None:
    """The new item's row and its channel links: one statement on PostgreSQL."""
    if not combined_writes() or not channels:
        publication.save()
        publication.channels.add(*channels)
        return
    insert, params = insert_sql([publication])
    links = Publication.channels.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"WITH new AS ({insert}) INSERT INTO {links} (publication_id, "
                       "channel_id) SELECT new.id, channel FROM new, unnest(%s) AS channel "
                       "RETURNING publication_id",
                       (*params, [channel.pk for channel in channels]))
        saved([publication], cursor.fetchall()[:1])


def create_publication(*, user, data: dict, as_report: bool = False) -> Publication:
    """A new draft item of `user`, its drafter. `as_report`: the item carrying the agency's
    final annual report (disclosure.report_services.submit), created by the report's editor,
    who need not be a drafter of the section; it is reviewed like any other item."""
    if user.agency_id is None:
        raise NotPermitted(_("您未被分配到任何机关。"))
    errors: dict = {}
    for required in ("title", "section", "category", "channels", "formed_on"):
        if data.get(required) in (None, "", []):
            errors[required] = [_("此字段为必填项。")]
    values = _resolve(user, data, errors)
    values.setdefault("body", "")
    _check_consistency(values, errors)
    if errors:
        raise InvalidInput(_("输入有误，请按提示修改。"), fields=errors)
    if not as_report:
        _require_drafter(user, values["section"])
    channels = values.pop("channels")
    abolishes = values.pop("abolishes", [])
    with transaction.atomic():
        publication = Publication(agency_id=user.agency_id, drafter=user, **values)
        publication.fingerprint = _fingerprint(
            {**values, "channels": channels, "abolishes": abolishes}, [])
        _insert_with_channels(publication, channels)
        if abolishes:
            publication.abolishes.add(*abolishes)
        record(agency_id=user.agency_id, events=[Event(
            AuditAction.CREATE, subject=publication, actor=user, round=publication.round,
            fingerprint=publication.fingerprint)])
    return publication


def _editable(user, publication_id) -> Publication:
    """Lock the publication and check the user may edit it now."""
    publication = visible_publication(user, publication_id, lock=True,
                                      related=("section", "category"))
    if publication.drafter_id != user.pk:
        raise NotPermitted(_("只有起草该信息的经办人可以修改。"))
    if not PublicationLifecycle(publication).edit.can_proceed():
        raise Conflict(_("当前状态为“%s”，不能修改；只有草稿或退回修改的信息可以修改。")
                       % publication.get_status_display())
    return publication


def update_publication(*, user, publication_id: int, data: dict,
                       action: str = AuditAction.EDIT, extra: dict | None = None) -> Publication:
    errors: dict = {}
    values = _resolve(user, data, errors)
    with transaction.atomic():
        publication = _editable(user, publication_id)
        current = {name: getattr(publication, name) for name in CONTENT_FIELDS}
        current["section"] = publication.section
        current["category"] = publication.category
        current["channels"] = sorted(publication.channels.all(), key=lambda c: c.code)
        current["abolishes"] = sorted(publication.abolishes.values_list("pk", flat=True))
        merged = {**current, **values}
        _check_consistency(merged, errors)
        if errors:
            raise InvalidInput(_("输入有误，请按提示修改。"), fields=errors)
        if "section" in values:
            _require_drafter(user, values["section"])
        changed = sorted(name for name, value in values.items() if current.get(name) != value)
        if not changed:
            return publication
        for name in changed:
            if name not in ("channels", "abolishes"):
                setattr(publication, name, merged[name])
        hashes = list(publication.attachments.values_list("sha256", flat=True))
        publication.fingerprint = _fingerprint(merged, hashes)
        publication.save()
        if "channels" in changed:
            publication.channels.set(merged["channels"])
        if "abolishes" in changed:
            publication.abolishes.set(merged["abolishes"])
        record(agency_id=publication.agency_id, events=[Event(
            action, subject=publication, actor=user, round=publication.round,
            fingerprint=publication.fingerprint, data={"fields": changed, **(extra or {})})])
    return publication


def check_attachment(uploaded) -> None:
    """Refuse a file of a type or size attachments may not have (before anything is written)."""
    name = os.path.basename(uploaded.name or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in settings.ATTACHMENT_ALLOWED_EXTENSIONS:
        raise InvalidInput(_("不支持的附件类型。"), fields={"file": [
            _("只允许以下类型：%s") % ", ".join(settings.ATTACHMENT_ALLOWED_EXTENSIONS)]})
    if uploaded.size > settings.ATTACHMENT_MAX_BYTES:
        raise InvalidInput(_("附件过大。"), fields={"file": [
            _("附件最大 %(max)d MB，当前 %(size).1f MB。")
            % {"max": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
               "size": uploaded.size / (1024 * 1024)}]})


def add_attachment(*, user, publication_id: int, uploaded) -> Attachment:
    check_attachment(uploaded)
    name = os.path.basename(uploaded.name or "")
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    with transaction.atomic():
        publication = _editable(user, publication_id)
        attachment = Attachment(publication=publication, name=name, size=uploaded.size,
                                sha256=digest.hexdigest(),
                                content_type=getattr(uploaded, "content_type", "") or "")
        attachment.file.save(attachment.sha256, uploaded, save=False)
        attachment.save()
        _refingerprint(publication, user, {"attachment_added": name})
    return attachment


def remove_attachment(*, user, publication_id: int, attachment_id: int) -> None:
    with transaction.atomic():
        publication = _editable(user, publication_id)
        attachment = publication.attachments.filter(pk=attachment_id).first()
        if attachment is None:
            raise NotFound(_("未找到该附件。"))
        name = attachment.name
        attachment.delete()
        _refingerprint(publication, user, {"attachment_removed": name})


def _refingerprint(publication, user, data: dict) -> None:
    publication.fingerprint = fingerprint_of(publication)
    publication.save(update_fields=["fingerprint", "updated_at"])
    record(agency_id=publication.agency_id, events=[Event(
        AuditAction.EDIT, subject=publication, actor=user, round=publication.round,
        fingerprint=publication.fingerprint, data=data)])


def record_attachment_download(*, user, publication, attachment) -> None:
    """Who downloaded which file of an item, in the item's chain (the caller has checked
    that the person may see the item)."""
    with transaction.atomic():
        record(agency_id=publication.agency_id, events=[Event(
            AuditAction.ATTACHMENT_DOWNLOADED, subject=publication, actor=user,
            round=publication.round,
            data={"attachment": attachment.pk, "name": attachment.name,
                  "sha256": attachment.sha256})])
