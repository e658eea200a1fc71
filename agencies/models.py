"""Agencies (机关), their sections (科室/股室), the people who work in them, and the
channels they publish on.

An agency may have a parent (上级机关): a county government above its departments, a city
above its counties. The platform operator sets it; the tree has no cycles (`Agency.clean`),
and the parent's supervisors follow the subordinates' annual reports
(`disclosure.report_overview`).

A person belongs to one agency. What they may do is given by their roles; a
section head heads given sections and a leader covers given sections. A channel is the
agency's configuration of one outlet (its disclosure column, a WeChat account, a media
platform, a newspaper): an item names its target channels here, and `releases` delivers.
"""

import datetime as dt
import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DRAFTER = "drafter", _("经办人")
    SECTION_HEAD = "section_head", _("科室负责人")
    SECRECY_REVIEWER = "secrecy_reviewer", _("保密审查员")
    LEADER = "leader", _("分管领导")
    PUBLISHER = "publisher", _("发布员")
    AUDITOR = "auditor", _("审计监督")
    AGENCY_ADMIN = "agency_admin", _("机关管理员")
    # 依申请公开: registers applications (registrars hold it too) and handles them
    APPLICATION_HANDLER = "application_handler", _("依申请公开承办人")
    # the annual report: edits its narrative and finalises it (agency admins may too)
    REPORT_EDITOR = "report_editor", _("年度报告编辑")


def default_urgent_kinds() -> list[str]:
    """The kinds of notice whose e-mail and group-robot message go out even in quiet hours
    (codes of `notifications.kinds.NotificationKind`, which sits above this app)."""
    return ["task_urged", "release_failed"]


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("未知时区：%(zone)s") % {"zone": value})


class Agency(models.Model):
    code = models.SlugField(_("代码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("上级机关"),
        help_text=_("如县政府工作部门的上级为县人民政府；上级机关的管理员、年度报告编辑、"
                    "分管领导和审计监督人员可查看本机关年度报告的进度与汇总"))
    # issue 14: when its people hear of things (notifications.quiet, workflow.digest)
    time_zone = models.CharField(
        _("时区"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone],
        help_text=_("每日待办和免打扰时段按此时区计算，如 Asia/Shanghai、Asia/Urumqi"))
    digest_time = models.TimeField(
        _("每日待办发送时间"), default=dt.time(8, 30),
        help_text=_("工作日到此时间后向每人发送一份每日待办（没有待办事项的人不发送）"))
    quiet_from = models.TimeField(
        _("免打扰开始时间"), default=dt.time(20, 0),
        help_text=_("此时起至免打扰结束时间，以及周末和节假日，普通通知的邮件和群机器人消息"
                    "暂不发送，到下一个工作日免打扰结束时再发"))
    quiet_until = models.TimeField(_("免打扰结束时间"), default=dt.time(8, 0))
    urgent_kinds = models.JSONField(
        _("紧急通知类型"), default=default_urgent_kinds, blank=True,
        help_text=_("免打扰时段也立即发送的通知类型代码，如 task_urged（催办）、"
                    "release_failed（发布失败）"))
    # the section whose review the annual report goes through (disclosure.report_services)
    report_section = models.ForeignKey(
        "Section", models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("年度报告报审科室"),
        help_text=_("年度报告定稿后作为主动公开信息报送“三审”时所属的科室，通常为办公室"))

    class Meta:
        verbose_name = _("机关")
        verbose_name_plural = _("机关")
        ordering = ["code"]
        constraints = [
            # a longer cycle is refused by clean(): it takes walking up the tree
            models.CheckConstraint(condition=~models.Q(parent=models.F("pk")),
                                   name="agency_not_own_parent"),
        ]

    def __str__(self):
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def clean(self):
        super().clean()
        if not isinstance(self.urgent_kinds, list) or not all(
                isinstance(kind, str) for kind in self.urgent_kinds):
            raise ValidationError({"urgent_kinds": _("请填写通知类型代码的列表，如 "
                                                     '["task_urged", "release_failed"]。')})
        if self.parent_id is None:
            return
        if self.pk is not None and self.parent_id == self.pk:
            raise ValidationError({"parent": _("机关不能是自己的上级机关。")})
        # Walk up from the chosen parent: meeting this agency means the parent is one of
        # its own subordinates. `seen` stops at a cycle already in the data.
        seen, ancestor = set(), self.parent_id
        while ancestor is not None and ancestor not in seen:
            if ancestor == self.pk:
                raise ValidationError({"parent": _(
                    "“%(parent)s”是本机关的下属机关（直接或间接），不能作为本机关的上级机关。")
                    % {"parent": self.parent.name}})
            seen.add(ancestor)
            ancestor = (Agency.objects.filter(pk=ancestor)
                        .values_list("parent_id", flat=True).first())


class Section(models.Model):
    agency = models.ForeignKey(Agency, models.PROTECT, related_name="sections",
                               verbose_name=_("机关"))
    code = models.SlugField(_("代码"), max_length=64)
    name = models.CharField(_("名称"), max_length=200)
    heads = models.ManyToManyField("User", blank=True, related_name="headed_sections",
                                   verbose_name=_("科室负责人"))
    leaders = models.ManyToManyField("User", blank=True, related_name="covered_sections",
                                     verbose_name=_("分管领导"))

    class Meta:
        verbose_name = _("科室")
        verbose_name_plural = _("科室")
        ordering = ["agency", "code"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "code"], name="section_code_unique"),
        ]

    def __str__(self):
        return self.name


def holding_role(role: str) -> models.Q:
    """People whose roles include `role`, as a filter."""
    if connection.vendor == "postgresql":
        return models.Q(roles__contains=[role])
    # SQLite (the embedded mode) has no JSON containment. Roles are a JSON list of fixed
    # codes, so the quoted code occurs in the list's text exactly when it is an element.
    return models.Q(roles__icontains=f'"{role}"')


class User(AbstractUser):
    agency = models.ForeignKey(Agency, models.PROTECT, null=True, blank=True,
                               related_name="people", verbose_name=_("机关"))
    section = models.ForeignKey(Section, models.PROTECT, null=True, blank=True,
                                related_name="members", verbose_name=_("所在科室"))
    display_name = models.CharField(_("姓名"), max_length=100, blank=True)
    roles = models.JSONField(_("角色"), default=list, blank=True,
                             help_text=_("经办人、科室负责人、保密审查员、分管领导、发布员、审计监督、机关管理员、"
                                         "依申请公开承办人、年度报告编辑"))

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")

    def __str__(self):
        return self.display_name or self.username

    def clean(self):
        super().clean()
        unknown = set(self.roles or []) - set(Role.values)
        if unknown:
            raise ValidationError({"roles": _("未知角色：%s") % ", ".join(sorted(unknown))})
        if self.section_id and self.agency_id and self.section.agency_id != self.agency_id:
            raise ValidationError({"section": _("科室必须属于该人员所在机关。")})

    def has_role(self, role: str) -> bool:
        return self.is_active and role in (self.roles or [])


class ChannelKind(models.TextChoices):
    SITE = "site", _("政府信息公开专栏")
    WECHAT = "wechat", _("微信公众号")
    WEBHOOK = "webhook", _("媒体平台接口")
    MANUAL = "manual", _("人工发布（报刊、公告栏等）")


#: The settings a channel of each kind needs before anything can be sent to it (the keys of
#: `Channel.config`; see the table of channel kinds in docs/features.md). The adapters in
#: `releases.adapters` read them; the item form and `publications.services` offer and accept
#: only channels that have them all.
REQUIRED_SETTINGS = {
    ChannelKind.SITE: (),
    ChannelKind.MANUAL: (),
    ChannelKind.WEBHOOK: ("url", "secret"),
    ChannelKind.WECHAT: ("appid", "secret"),
}


#: How an agency's channels are listed to drafters and on an item: the agency's own order,
#: then by kind and name.
CHANNEL_ORDER = ("order", "kind", "name", "pk")


class Channel(models.Model):
    agency = models.ForeignKey(Agency, models.PROTECT, related_name="channels",
                               verbose_name=_("机关"))
    code = models.SlugField(_("代码"), max_length=64)
    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=16, choices=ChannelKind.choices)
    config = models.JSONField(_("配置"), default=dict, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveIntegerField(
        _("排序"), default=100,
        help_text=_("数字小的排在前面；起草信息时按此顺序列出渠道（政府信息公开专栏通常为 0）"))
    is_default = models.BooleanField(
        _("默认选中"), default=False, help_text=_("新建信息时预先勾选此渠道"))

    class Meta:
        verbose_name = _("发布渠道")
        verbose_name_plural = _("发布渠道")
        ordering = ["agency", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "code"], name="channel_code_unique"),
        ]

    def __str__(self):
        return self.name

    def missing_settings(self) -> list[str]:
        """The settings of its kind that the channel's config lacks (empty when complete)."""
        config = self.config if isinstance(self.config, dict) else {}
        return [key for key in REQUIRED_SETTINGS.get(self.kind, ())
                if not str(config.get(key) or "").strip()]

    @property
    def is_configured(self) -> bool:
        return not self.missing_settings()
