"""Release actions: creation at final approval (the only writer of new Release rows),
confirmation of manual media, retry of failed releases, and retraction (撤稿)."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import ChannelKind, Role
from audit.models import AuditAction
from audit.services import Event, record
from core import column_cache
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted, StaleContent
from notifications.services import (
    notify_retraction_decided,
    notify_retraction_requested,
)
from publications.fingerprint import fingerprint_of, with_content_of
from publications.lifecycle import PublicationLifecycle
from publications.models import Publication, PublicationStatus
from publications.selectors import visible_publication, visible_publications

from .models import ChannelCall, Release, ReleaseStatus, RetractionRequest
from .selectors import DIRECTLY, THROUGH_CHANNEL, covers_section, retraction_route
from .tasks import dispatch_on_commit


@dataclass(frozen=True)
class Approval:
    """A review round that every tier approved, as the review hands it over.

    Delivery does not depend on how approval happened: `workflow` decides that a round is
    fully approved (three tiers, three different people, none the drafter, all on this
    fingerprint) and says so with this; releases only check that the item still has the
    content and channels that were approved.
    """

    publication: Publication
    round: int
    fingerprint: str
    approvers: tuple[int, ...]


def create_releases_for_approval(*, approval: Approval) -> list[Release]:
    """One pending release per target channel; delivery is dispatched after commit."""
    publication = approval.publication
    channels = with_content_of(publication)
    if channels is None:
        channels = list(publication.channels.all())
    current = fingerprint_of(publication, channels=channels)
    if current != approval.fingerprint or current != publication.fingerprint:
        raise StaleContent(_("内容指纹与审核时不一致，拒绝发布。"))
    if (publication.status != PublicationStatus.APPROVED
            or publication.drafter_id in approval.approvers
            or len(set(approval.approvers)) != len(approval.approvers)):
        raise Conflict(_("三审须由不同人员完成且均已通过，拒绝发布。"))
    releases = Release.objects.bulk_create([
        Release(publication=publication, channel=channel, round=approval.round,
                fingerprint=current)
        for channel in channels
    ])
    dispatch_on_commit([release.pk for release in releases])
    return releases


def _release_for(user, release_id, *, lock=True) -> Release:
    qs = Release.objects.filter(publication__in=visible_publications(user)).select_related(
        "channel", "publication")
    if lock:
        qs = qs.select_for_update(of=("self",))
    release = qs.filter(pk=release_id).first()
    if release is None:
        raise NotFound(_("未找到该发布记录。"))
    return release


def _require_publisher(user) -> None:
    if not user.has_role(Role.PUBLISHER):
        raise NotPermitted(_("只有发布员可以执行此操作。"))


def confirm_release(*, user, release_id: int, published_on, reference: str, scan=None) -> Release:
    """A publisher records that a newspaper, magazine or notice board carried the item."""
    if not (reference or "").strip():
        raise InvalidInput(_("请填写版面或链接。"), fields={"reference": [_("请填写版面或链接。")]})
    if published_on > timezone.localdate():
        raise InvalidInput(_("刊发日期不能晚于今天。"),
                           fields={"published_on": [_("刊发日期不能晚于今天。")]})
    with transaction.atomic():
        release = _release_for(user, release_id)
        _require_publisher(user)
        if release.channel.kind != ChannelKind.MANUAL:
            raise Conflict(_("只有人工发布渠道（报刊、公告栏等）需要确认刊发。"))
        if release.status != ReleaseStatus.AWAITING_CONFIRMATION:
            raise Conflict(_("当前状态为“%s”，不能确认刊发。") % release.get_status_display())
        if published_on < release.created_at.date():
            raise InvalidInput(_("刊发日期不能早于审核通过的日期。"),
                               fields={"published_on": [_("刊发日期不能早于审核通过的日期。")]})
        release.status = ReleaseStatus.PUBLISHED
        release.published_on = published_on
        release.published_at = timezone.now()
        release.reference = reference.strip()
        release.external_url = reference.strip() if reference.strip().startswith("http") else ""
        release.confirmed_by = user
        if scan is not None:
            release.confirmation_scan.save(scan.name, scan, save=False)
        release.save()
        record(agency_id=release.channel.agency_id, events=[Event(
            AuditAction.RELEASE_CONFIRMED, subject=release.publication, actor=user,
            round=release.round, fingerprint=release.fingerprint,
            data={"release": release.pk, "channel": release.channel.code,
                  "published_on": published_on.isoformat(), "reference": release.reference})])
        # no notice: the drafter's summary of the round already said it awaits confirmation
    return release


def retry_release(*, user, release_id: int) -> Release:
    """A publisher sends a failed release again (after fixing what the error said), or asks
    the channel again to take back a release whose retraction failed."""
    with transaction.atomic():
        release = _release_for(user, release_id)
        _require_publisher(user)
        if release.status == ReleaseStatus.RETRACTION_FAILED:
            return _retry_retraction(user, release)
        if release.status != ReleaseStatus.FAILED:
            raise Conflict(_("只有发布失败的记录可以重新发布。"))
        if release.publication.status != PublicationStatus.APPROVED:
            raise Conflict(_("该信息已撤稿，不能重新发布。"))
        release.status = ReleaseStatus.PENDING
        release.attempts = 0
        _send_again(user, release, ChannelCall.Action.DELIVER)
    return release


def _retry_retraction(user, release):
    release.status = (ReleaseStatus.PUBLISHED if release.published_at
                      else ReleaseStatus.SENDING)
    release.retract_attempts = 0
    _send_again(user, release, ChannelCall.Action.RETRACT, retraction=True)
    return release


def _send_again(user, release, action, **data):
    """Back to the outbox for `action`, due at once: its failed calls stay as history under
    another key (the new attempt starts afresh), the trail says who asked, and the task is
    dispatched after commit."""
    release.next_attempt_at = None
    release.lease_expires_at = None
    release.save()
    release.calls.filter(action=action, outcome=ChannelCall.Outcome.FAILED).update(
        idempotency_key=Concat(F("idempotency_key"), Value("-superseded-"),
                               Cast(F("pk"), CharField())))
    record(agency_id=release.channel.agency_id, events=[Event(
        AuditAction.RELEASE_RETRY, subject=release.publication, actor=user,
        round=release.round, fingerprint=release.fingerprint,
        data={"release": release.pk, "channel": release.channel.code, **data})])
    dispatch_on_commit([release.pk], action=action)


def _require_reason(text, field="reason"):
    if not (text or "").strip():
        raise InvalidInput(_("撤稿必须说明理由。"), fields={field: [_("请填写撤稿理由。")]})


def _require_covering_leader(user, publication):
    if not covers_section(user, publication.section_id):
        raise NotPermitted(_("只有分管该科室的领导可以撤稿或批准撤稿。"))


def _require_retractable(publication):
    if not PublicationLifecycle(publication).retract.can_proceed():
        raise Conflict(_("只有已通过发布的信息可以撤稿。"))


def retract_publication(*, user, publication_id: int, reason: str):
    """撤稿: a leader covering the item's section takes it back from every channel."""
    _require_reason(reason)
    with transaction.atomic():
        publication = visible_publication(user, publication_id, lock=True)
        _require_covering_leader(user, publication)
        _require_retractable(publication)
        _retract(publication, leader=user, reason=reason.strip())
    return publication


def request_retraction(*, user, publication_id: int, reason: str):
    """A publisher asks a leader to retract a released item."""
    _require_reason(reason)
    with transaction.atomic():
        publication = visible_publication(user, publication_id, lock=True)
        _require_publisher(user)
        _require_retractable(publication)
        if publication.retraction_requests.filter(
                status=RetractionRequest.Status.PENDING).exists():
            raise Conflict(_("该信息已有待审批的撤稿申请。"))
        request = RetractionRequest.objects.create(publication=publication, requested_by=user,
                                                   reason=reason.strip())
        record(agency_id=publication.agency_id, events=[Event(
            AuditAction.RETRACTION_REQUESTED, subject=publication, actor=user,
            round=publication.round, fingerprint=publication.fingerprint,
            comment=request.reason, data={"request": request.pk})])
        notify_retraction_requested(publication=publication, request_id=request.pk,
                                    requester=user, reason=request.reason)
    return request


def decide_retraction(*, user, request_id: int, approve: bool, comment: str = ""):
    """A leader covering the section approves (and so retracts) or declines a request."""
    with transaction.atomic():
        request = (RetractionRequest.objects.select_for_update()
                   .filter(pk=request_id, publication__agency_id=user.agency_id).first())
        if request is None:
            raise NotFound(_("未找到该撤稿申请。"))
        publication = visible_publication(user, request.publication_id, lock=True)
        _require_covering_leader(user, publication)
        if request.status != RetractionRequest.Status.PENDING:
            raise Conflict(_("该撤稿申请已处理。"))
        request.decided_by = user
        request.decided_at = timezone.now()
        request.decision_comment = (comment or "").strip()
        if approve:
            _require_retractable(publication)
            request.status = RetractionRequest.Status.APPROVED
            request.save()
            _retract(publication, leader=user, reason=request.reason,
                     data={"request": request.pk,
                           "requested_by": request.requested_by.get_username()})
        else:
            if not request.decision_comment:
                raise InvalidInput(_("不批准时请说明理由。"),
                                   fields={"comment": [_("请填写审批意见。")]})
            request.status = RetractionRequest.Status.DECLINED
            request.save()
            record(agency_id=publication.agency_id, events=[Event(
                AuditAction.RETRACTION_DECLINED, subject=publication, actor=user,
                round=publication.round, fingerprint=publication.fingerprint,
                comment=request.decision_comment, data={"request": request.pk})])
        notify_retraction_decided(publication=publication, requester=request.requested_by,
                                  approved=approve, comment=request.decision_comment,
                                  actor=user)
    return request


def _retract(publication, *, leader, reason, data=None):
    """Retract a locked, approved publication: releases never sent are withdrawn at once,
    published ones are taken back through their channels after commit."""
    PublicationLifecycle(publication).retract()
    publication.save(update_fields=["status", "updated_at"])
    releases = list(Release.objects.select_for_update(of=("self",))
                    .filter(publication=publication).select_related("channel"))
    now = timezone.now()
    events = [Event(AuditAction.RETRACT, subject=publication, actor=leader,
                    round=publication.round, fingerprint=publication.fingerprint,
                    comment=reason, data=data or {})]
    to_channels = []
    for release in releases:
        route = retraction_route(release)
        if route == THROUGH_CHANNEL:
            to_channels.append(release.pk)
        elif route == DIRECTLY:
            release.status = ReleaseStatus.RETRACTED
            release.retracted_at = now
            release.save(update_fields=["status", "retracted_at", "updated_at"])
            events.append(Event(AuditAction.RELEASE_RETRACTED, subject=publication,
                                round=release.round, fingerprint=release.fingerprint,
                                data={"release": release.pk, "channel": release.channel.code,
                                      "note": "未发出，直接撤回"}))
    record(agency_id=publication.agency_id, events=events)
    # off the column from this commit, before any channel has been told
    column_cache.purge(publication.agency.code)
    dispatch_on_commit(to_channels, action="retract")
