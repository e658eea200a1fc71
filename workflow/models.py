"""One review round of one publication is one viewflow process."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process
from viewflow.workflow.status import STATUS

# a task still waiting for someone: in the queue, or claimed and not decided
OPEN_TASK_STATES = (STATUS.NEW, STATUS.ASSIGNED)


class RoundOutcome(models.TextChoices):
    OPEN = "", _("审核中")
    APPROVED = "approved", _("已通过")
    RETURNED = "returned", _("退回修改")
    WITHHELD = "withheld", _("不予公开")
    WITHDRAWN = "withdrawn", _("已撤回")


class Decision(models.TextChoices):
    """What a reviewer decides on a task (kept in the task's data with the fingerprint)."""

    APPROVE = "approve", _("通过")
    REJECT = "reject", _("退回")
    WITHHOLD = "withhold", _("不予公开")


class WithholdBasis(models.TextChoices):
    """The eight 不予公开 grounds of Art. 14-16, as rows of the annual report's table 三."""

    STATE_SECRET = "state_secret", _("属于国家秘密")
    PROHIBITED_BY_LAW = "prohibited_by_law", _("其他法律行政法规禁止公开")
    THREE_SECURITY_ONE_STABILITY = "three_security_one_stability", _("危及“三安全一稳定”")
    THIRD_PARTY_RIGHTS = "third_party_rights", _("保护第三方合法权益")
    INTERNAL_AFFAIRS = "internal_affairs", _("属于三类内部事务信息")
    PROCESS_INFORMATION = "process_information", _("属于四类过程性信息")
    LAW_ENFORCEMENT_FILE = "law_enforcement_file", _("属于行政执法案卷")
    ADMINISTRATIVE_QUERY = "administrative_query", _("属于行政查询事项")


class ReviewProcess(Process):
    """A round. Agency, section and drafter are copied from the item when the round starts
    (they cannot change while it is in review), so queues filter open rounds without
    joining through every item ever published."""

    publication = models.ForeignKey("publications.Publication", models.PROTECT,
                                    related_name="review_rounds", verbose_name=_("主动公开信息"))
    agency = models.ForeignKey("agencies.Agency", models.PROTECT, related_name="+",
                               verbose_name=_("机关"))
    section = models.ForeignKey("agencies.Section", models.PROTECT, related_name="+",
                                verbose_name=_("科室"))
    drafter = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                verbose_name=_("经办人"))
    round = models.PositiveIntegerField(_("审核轮次"))
    fingerprint = models.CharField(_("提交时内容指纹"), max_length=64)
    outcome = models.CharField(_("结果"), max_length=16, choices=RoundOutcome.choices,
                               blank=True, default=RoundOutcome.OPEN)

    class Meta:
        verbose_name = _("审核轮次")
        verbose_name_plural = _("审核轮次")
        constraints = [
            models.UniqueConstraint(fields=["publication", "round"], name="one_process_per_round"),
        ]
        indexes = [
            models.Index(fields=["agency", "section"], condition=models.Q(outcome=""),
                         name="open_rounds_by_section"),
        ]

    #: the review task this instance's round opened last (not a field): set by
    #: `flows.ReviewActivation.create`, so the notice of who may claim it names it without
    #: a query to find it
    opened_task = None

    @property
    def submitted(self) -> dict | None:
        """{"title", "body"} as submitted in this round (workflow.services.submit_publication
        keeps them); None for a round started before they were kept."""
        kept = self.data.get("submitted") if isinstance(self.data, dict) else None
        return kept if isinstance(kept, dict) and kept.get("title") else None


class CommentPhrase(models.Model):
    """A reviewer's saved comment phrase (常用意见), offered beside every decision's comment.

    A personal preference, not part of any review: `workflow.phrases` changes it, without
    an audit event.
    """

    person = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE,
                               related_name="comment_phrases", verbose_name=_("人员"))
    text = models.CharField(_("常用意见"), max_length=200)
    order = models.PositiveIntegerField(_("顺序"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("常用意见")
        verbose_name_plural = _("常用意见")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "text"], name="one_phrase_per_text"),
        ]

    def __str__(self):
        return self.text


class SubstitutionQuerySet(models.QuerySet):
    def active_on(self, day):
        """Substitutions in force on `day` (an agency-local date): not cancelled, and the
        day within their dates (both inclusive)."""
        return self.filter(cancelled_at__isnull=True, starts_on__lte=day, ends_on__gte=day)


class Substitution(models.Model):
    """A reviewer on leave (代理): from `starts_on` to `ends_on` (agency-local dates, both
    inclusive) `substitute` may claim and decide the review tasks `absent` could.

    Written by `workflow.substitutions` (named, cancelled, the absent person's claims
    released when the leave starts); read by `workflow.permissions` and the queues.
    """

    agency = models.ForeignKey("agencies.Agency", models.PROTECT, related_name="+",
                               verbose_name=_("机关"))
    absent = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT,
                               related_name="substitutions_away", verbose_name=_("请假人"))
    substitute = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT,
                                   related_name="substitutions_covering",
                                   verbose_name=_("代理人"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                   verbose_name=_("设置人"))
    created_at = models.DateTimeField(_("设置时间"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    # when the absent person's claims were released (at the start of the leave, once)
    claims_released_at = models.DateTimeField(_("签收释放时间"), null=True, blank=True)

    objects = SubstitutionQuerySet.as_manager()

    class Meta:
        verbose_name = _("代理")
        verbose_name_plural = _("代理")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                   name="substitution_ends_after_start"),
            models.CheckConstraint(condition=~models.Q(absent=models.F("substitute")),
                                   name="substitution_not_oneself"),
        ]
        indexes = [
            # the queue's EXISTS: a person's substitutions still in force
            models.Index(fields=["substitute", "ends_on", "starts_on"],
                         condition=models.Q(cancelled_at__isnull=True),
                         name="substitution_by_substitute"),
            models.Index(fields=["absent", "ends_on"],
                         condition=models.Q(cancelled_at__isnull=True),
                         name="substitution_by_absent"),
        ]

    def __str__(self):
        return f"{self.substitute} 代 {self.absent} ({self.starts_on}–{self.ends_on})"
