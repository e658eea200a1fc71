"""Notices to people: a task entered their queue, their item was returned, approved,
withheld or released. Rows are written by `notifications.services` (the `notify_*`
functions), which the action that causes a notice calls in its own transaction; e-mail
copies go out after commit.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .kinds import SUMMARY_KINDS, NotificationKind
from .links import path_of
from .texts import headline


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE,
                                  related_name="notifications", verbose_name=_("接收人"))
    agency = models.ForeignKey("agencies.Agency", models.PROTECT, related_name="+",
                               verbose_name=_("机关"))
    kind = models.CharField(_("类型"), max_length=32, choices=NotificationKind.choices)
    # what the notice is about: an item under review, or an application (依申请公开) by id —
    # no foreign key there: applications sit above notifications in the layers
    publication = models.ForeignKey("publications.Publication", models.PROTECT, null=True,
                                    blank=True, related_name="notifications",
                                    verbose_name=_("主动公开信息"))
    application_id = models.BigIntegerField(_("政府信息公开申请"), null=True, blank=True)
    # which reminder this is (e.g. "due5:2026-12-20"): a reminder is written at most once
    # per person, application (or item) and key, however many sweeps run (the constraints)
    reminder = models.CharField(_("提醒"), max_length=40, blank=True, default="", db_default="")
    step = models.CharField(_("审核环节"), max_length=40, blank=True,
                            help_text=_("待审核任务所在的环节"))
    # viewflow's task, by id: what a task notice's link is computed from (see links.path_of).
    # No foreign key: a notice must never hold up, nor vanish with, the workflow's history.
    task_id = models.BigIntegerField(_("待审核任务"), null=True, blank=True)
    # the review round a release summary tells of (one per round, see the constraint)
    round = models.PositiveIntegerField(_("审核轮次"), null=True, blank=True)
    title = models.CharField(_("信息标题"), max_length=300)
    message = models.TextField(_("说明"), blank=True, help_text=_("如审核人的退回意见"))
    link = models.CharField(_("链接"), max_length=300, blank=True,
                            help_text=_("站内处理页面的路径"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    # Set and committed before the e-mail is handed to the mail server, so that no crash or
    # redelivery sends it twice (see notifications.emails).
    email_claimed_at = models.DateTimeField(_("邮件开始发送时间"), null=True, blank=True)
    # Written in the agency's quiet hours (notifications.quiet): its e-mail waits until then
    email_held_until = models.DateTimeField(_("邮件推迟至"), null=True, blank=True)
    # what a daily digest lists (workflow.digest), as ids, titles and dates: shown in the
    # reader's language on its page and in its e-mail
    details = models.JSONField(_("内容"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            # the bell's count on every page: a person's unread notices only
            models.Index(fields=["recipient"], condition=models.Q(read_at__isnull=True),
                         name="notification_unread"),
            models.Index(fields=["recipient", "-created_at", "-id"],
                         name="notification_list"),
            # the sweeper of lost e-mails, every few minutes: unsent notices by age only
            models.Index(fields=["created_at"], condition=models.Q(emailed_at__isnull=True),
                         name="notification_unemailed"),
            # the sweep of e-mails held over quiet hours
            models.Index(fields=["email_held_until"],
                         condition=models.Q(emailed_at__isnull=True,
                                            email_held_until__isnull=False),
                         name="notification_held"),
        ]
        constraints = [
            # a drafter hears once per round what became of their item's releases, however
            # many channels settle, and however many workers settle them at once
            models.UniqueConstraint(fields=["recipient", "publication", "round"],
                                    condition=models.Q(kind__in=SUMMARY_KINDS),
                                    name="one_release_summary_per_round"),
            models.UniqueConstraint(fields=["recipient", "application_id", "reminder"],
                                    condition=~models.Q(reminder=""),
                                    name="one_reminder_per_application"),
            # an agency admin hears once per year that its holiday notice is missing,
            # however many days and beats the sweep runs
            models.UniqueConstraint(fields=["recipient", "reminder"],
                                    condition=models.Q(kind=NotificationKind.HOLIDAY_YEAR_MISSING),
                                    name="one_holiday_year_notice_per_year"),
            # the same for items (workflow.reminders): two beats, or a redelivered sweep,
            # write each reminder of an item once per person
            models.UniqueConstraint(fields=["recipient", "publication", "kind", "reminder"],
                                    condition=~models.Q(reminder="")
                                    & models.Q(publication__isnull=False),
                                    name="one_reminder_per_item"),
            # one daily digest per person and local date ("digest:2026-12-03")
            models.UniqueConstraint(fields=["recipient", "reminder"],
                                    condition=models.Q(kind=NotificationKind.DAILY_DIGEST),
                                    name="one_digest_per_day"),
        ]

    def __str__(self):
        return f"{self.recipient_id}: {self.get_kind_display()} {self.title}"

    @property
    def path(self) -> str:
        """The page of this site the notice sends its reader to, to act on."""
        return path_of(self)

    @property
    def digest_summary(self) -> str:
        """A daily digest's sections and counts on one line (empty for other notices)."""
        from .digest_texts import summary  # digest_texts reads notices, models come first

        return summary(self) if self.kind == NotificationKind.DAILY_DIGEST else ""

    @property
    def headline(self) -> str:
        """What happened, in the reader's language (stored rows keep only the facts)."""
        return headline(self)


class NotificationSettings(models.Model):
    """A person's choices about notices; no row means the defaults (e-mail on)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, primary_key=True,
                                related_name="notification_settings",
                                verbose_name=_("人员"))
    email_enabled = models.BooleanField(_("邮件通知"), default=True,
                                        help_text=_("有邮箱地址时，同时以邮件发送通知"))
    digest_enabled = models.BooleanField(_("每日待办"), default=True,
                                         help_text=_("工作日早上汇总待办、临期和超期事项"))

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")

    def __str__(self):
        return str(self.user_id)


class MessengerKind(models.TextChoices):
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")


def default_forwarded_kinds() -> list[str]:
    return [NotificationKind.TASK_QUEUED, NotificationKind.RELEASE_FAILED,
            NotificationKind.ITEM_OVERDUE]


class MessengerHook(models.Model):
    """A group robot (企业微信 or 钉钉) of an agency, or of one of its sections, that hears of
    notices of the kinds it forwards (`notifications.messengers`). A section's hooks take
    the section's items; an agency-wide hook (no section) those of sections without one."""

    agency = models.ForeignKey("agencies.Agency", models.CASCADE, related_name="+",
                               verbose_name=_("机关"))
    section = models.ForeignKey("agencies.Section", models.CASCADE, null=True, blank=True,
                                related_name="+", verbose_name=_("科室"),
                                help_text=_("留空则为全机关的群机器人"))
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=MessengerKind.choices)
    # the robot's address carries its key (企业微信 ?key=…, 钉钉 ?access_token=…): named so
    # that the audit trail of configuration changes records only that it changed
    url_with_token = models.URLField(
        _("Webhook 地址"), max_length=500,
        help_text=_("群机器人的 Webhook 地址（含 key 或 access_token）"))
    secret = models.CharField(
        _("加签密钥"), max_length=200, blank=True,
        help_text=_("钉钉机器人“加签”安全设置的密钥（SEC 开头）；企业微信留空"))
    kinds = models.JSONField(_("转发的通知类型"), default=default_forwarded_kinds, blank=True,
                             help_text=_("通知类型代码的列表，默认 task_queued（待审核任务）、"
                                         "release_failed（发布失败）、item_overdue（信息超期）"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("群机器人")
        verbose_name_plural = _("群机器人")
        ordering = ["agency", "section", "pk"]

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        super().clean()
        if self.section_id and self.agency_id and self.section.agency_id != self.agency_id:
            raise ValidationError({"section": _("科室必须属于该机关。")})
        if not isinstance(self.kinds, list) or set(map(str, self.kinds)) - set(
                NotificationKind.values):
            raise ValidationError({"kinds": _("请填写通知类型代码的列表，如 "
                                              '["task_queued", "release_failed"]。')})
