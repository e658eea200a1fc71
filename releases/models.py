"""Release channels and the release outbox.

A `Release` is one approved item going to one channel. Rows are created only
by `releases.services.create_releases_for_approval`, at final approval, in the
same transaction; delivery works through them as an outbox.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    SITE = "site", _("政府信息公开专栏")
    WECHAT = "wechat", _("微信公众号")
    WEBHOOK = "webhook", _("媒体平台接口")
    MANUAL = "manual", _("人工发布（报刊、公告栏等）")


class Channel(models.Model):
    agency = models.ForeignKey("agencies.Agency", models.PROTECT, related_name="channels",
                               verbose_name=_("机关"))
    code = models.SlugField(_("代码"), max_length=64)
    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=16, choices=ChannelKind.choices)
    config = models.JSONField(_("配置"), default=dict, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("发布渠道")
        verbose_name_plural = _("发布渠道")
        ordering = ["agency", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "code"], name="channel_code_unique"),
        ]

    def __str__(self):
        return self.name


class ReleaseStatus(models.TextChoices):
    PENDING = "pending", _("待发布")
    SENDING = "sending", _("发布中")
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("待确认")
    PUBLISHED = "published", _("已发布")
    FAILED = "failed", _("发布失败")
    RETRACTED = "retracted", _("已撤稿")


class Release(models.Model):
    publication = models.ForeignKey("publications.Publication", models.PROTECT,
                                    related_name="releases", verbose_name=_("主动公开信息"))
    channel = models.ForeignKey(Channel, models.PROTECT, related_name="releases",
                                verbose_name=_("发布渠道"))
    round = models.PositiveIntegerField(_("审核轮次"))
    fingerprint = models.CharField(_("内容指纹"), max_length=64)
    status = models.CharField(_("状态"), max_length=32, choices=ReleaseStatus.choices,
                              default=ReleaseStatus.PENDING, db_index=True)
    external_url = models.CharField(_("外部地址"), max_length=500, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("发布记录")
        verbose_name_plural = _("发布记录")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["publication", "channel"],
                                    name="one_release_per_channel"),
        ]

    def __str__(self):
        return f"{self.publication_id} → {self.channel.code}"
