"""The release outbox: one approved item going to one of its target channels
(`agencies.Channel`), with the calls made to deliver or retract it.

A `Release` is one approved item going to one channel. Rows are created only
by `releases.services.create_releases_for_approval`, at final approval, in the
same transaction; delivery works through them as an outbox.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReleaseStatus(models.TextChoices):
    PENDING = "pending", _("待发布")
    SENDING = "sending", _("发布中")
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("待确认")
    PUBLISHED = "published", _("已发布")
    FAILED = "failed", _("发布失败")
    RETRACTED = "retracted", _("已撤稿")
    RETRACTION_FAILED = "retraction_failed", _("撤稿失败")


class Release(models.Model):
    publication = models.ForeignKey("publications.Publication", models.PROTECT,
                                    related_name="releases", verbose_name=_("主动公开信息"))
    channel = models.ForeignKey("agencies.Channel", models.PROTECT, related_name="releases",
                                verbose_name=_("发布渠道"))
    round = models.PositiveIntegerField(_("审核轮次"))
    fingerprint = models.CharField(_("内容指纹"), max_length=64)
    status = models.CharField(_("状态"), max_length=32, choices=ReleaseStatus.choices,
                              default=ReleaseStatus.PENDING, db_index=True)
    external_url = models.CharField(_("外部地址"), max_length=500, blank=True)
    external_id = models.CharField(_("外部编号"), max_length=200, blank=True,
                                   help_text=_("如微信发布任务号、文章号"))
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_on = models.DateField(_("发布日期"), null=True, blank=True, db_index=True,
                                    help_text=_("统计按此日期计年；人工渠道为确认的刊发日期"))
    reference = models.CharField(_("版面或链接"), max_length=500, blank=True)
    confirmation_scan = models.FileField(_("刊发扫描件"), upload_to="confirmations/", blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                     blank=True, related_name="+", verbose_name=_("确认人"))
    error = models.TextField(_("错误"), blank=True)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    lease_expires_at = models.DateTimeField(_("处理租约到期"), null=True, blank=True)
    # The fencing token of the lease: raised by every claim. A worker writes a result, or starts
    # another call out, only while the token it claimed with is still the newest.
    claim_token = models.PositiveBigIntegerField(_("认领令牌"), default=0)
    retract_attempts = models.PositiveIntegerField(_("撤稿尝试次数"), default=0)
    retracted_at = models.DateTimeField(_("撤稿时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("发布记录")
        verbose_name_plural = _("发布记录")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["publication", "channel"],
                                    name="one_release_per_channel"),
        ]
        indexes = [
            # the publisher's queues (the agency's channels, one status, newest carried
            # first): a page reads the agency's releases of that status, not the platform's
            models.Index(fields=["channel", "status", "-published_on", "-id"],
                         name="release_channel_queue"),
            # the sweeper's scan: releases still to be sent, or whose worker went silent
            models.Index(fields=["status", "lease_expires_at"],
                         condition=models.Q(status__in=["pending", "sending"]),
                         name="release_outbox"),
        ]

    def __str__(self):
        return f"{self.publication_id} → {self.channel.code}"


class ChannelCall(models.Model):
    """One call out to a channel, keyed for idempotency.

    Written before calling out and completed with the result, so a redelivered
    task finds what was already done (and e.g. polls a WeChat publish instead of
    submitting it again).
    """

    class Action(models.TextChoices):
        DELIVER = "deliver", _("发布")
        RETRACT = "retract", _("撤稿")

    class Outcome(models.TextChoices):
        STARTED = "started", _("进行中")
        SUCCEEDED = "succeeded", _("成功")
        FAILED = "failed", _("失败")

    release = models.ForeignKey(Release, models.PROTECT, related_name="calls")
    action = models.CharField(max_length=16, choices=Action.choices)
    idempotency_key = models.CharField(max_length=100, unique=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.STARTED)
    state = models.JSONField(default=dict, blank=True,
                             help_text="what the adapter needs to resume (ids it got back)")
    result = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("渠道调用记录")
        verbose_name_plural = _("渠道调用记录")

    def __str__(self):
        return self.idempotency_key


class RetractionRequest(models.Model):
    """A publisher asks for a retraction (撤稿); a leader covering the section decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待领导审批")
        APPROVED = "approved", _("已批准并撤稿")
        DECLINED = "declined", _("未批准")

    publication = models.ForeignKey("publications.Publication", models.PROTECT,
                                    related_name="retraction_requests",
                                    verbose_name=_("主动公开信息"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                     verbose_name=_("申请人"))
    reason = models.TextField(_("撤稿理由"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices,
                              default=Status.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                   blank=True, related_name="+", verbose_name=_("审批领导"))
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_comment = models.TextField(_("审批意见"), blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("撤稿申请")
        verbose_name_plural = _("撤稿申请")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["publication"], condition=models.Q(status="pending"),
                                    name="one_pending_retraction_request"),
        ]

    def __str__(self):
        return f"{self.publication_id}: {self.get_status_display()}"
