"""Stored results of the confidentiality and privacy pre-scan, per content fingerprint.

The scanning itself lives in `scanning.engine` and knows nothing of Django; this
module keeps what it found, what the agency configured, and reviewers' dismissals.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    BLOCKING = "blocking", _("阻断")
    WARNING = "warning", _("提示")


class FindingKind(models.TextChoices):
    ID_NUMBER = "id_number", _("身份证号码")
    MOBILE = "mobile", _("手机号码")
    LANDLINE = "landline", _("固定电话")
    BANK_CARD = "bank_card", _("银行卡号")
    EMAIL = "email", _("电子邮箱")
    SECRECY_MARKING = "secrecy_marking", _("密级标识")
    SENSITIVE_WORD = "sensitive_word", _("敏感词")


class SensitiveWordList(models.Model):
    agency = models.ForeignKey("agencies.Agency", models.PROTECT, related_name="word_lists",
                               verbose_name=_("机关"))
    name = models.CharField(_("名称"), max_length=100)
    severity = models.CharField(_("级别"), max_length=16, choices=Severity.choices,
                                default=Severity.WARNING)
    words = models.TextField(_("词语"), blank=True, help_text=_("每行一个词"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("敏感词表")
        verbose_name_plural = _("敏感词表")
        ordering = ["agency", "name"]

    def __str__(self):
        return self.name

    def word_tuple(self) -> tuple[str, ...]:
        return tuple(w.strip() for w in self.words.splitlines() if w.strip())


class PublicNumber(models.Model):
    """A phone number the agency publishes itself (e.g. its office line): never a finding."""

    agency = models.ForeignKey("agencies.Agency", models.PROTECT, related_name="public_numbers",
                               verbose_name=_("机关"))
    number = models.CharField(_("号码"), max_length=40)
    label = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("公开电话")
        verbose_name_plural = _("公开电话")
        constraints = [models.UniqueConstraint(fields=["agency", "number"],
                                               name="public_number_unique")]

    def __str__(self):
        return self.number


class ScanStatus(models.TextChoices):
    PENDING = "pending", _("附件检查中")
    COMPLETE = "complete", _("已完成")


class ScanReport(models.Model):
    """The scan of one content fingerprint, run again (same row) when asked or stale.

    Title, body, 文号 and file names are scanned at once; the attachments' text by a
    Celery task (`status` pending until it is done). `run` counts the runs, so a task
    of an earlier run stores nothing; `rules_signature` names the agency's word lists
    and public numbers the scan used — when they change, the report is stale.
    """

    publication = models.ForeignKey("publications.Publication", models.PROTECT,
                                    related_name="scan_reports", verbose_name=_("主动公开信息"))
    fingerprint = models.CharField(_("内容指纹"), max_length=64)
    unscanned = models.JSONField(_("未能检查的附件"), default=list, blank=True)
    created_at = models.DateTimeField(_("检查时间"), auto_now_add=True)
    status = models.CharField(_("状态"), max_length=16, choices=ScanStatus.choices,
                              default=ScanStatus.COMPLETE)
    run = models.PositiveIntegerField(_("检查次数"), default=0)
    rules_signature = models.CharField(_("规则版本"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("预检报告")
        verbose_name_plural = _("预检报告")
        constraints = [models.UniqueConstraint(fields=["publication", "fingerprint"],
                                               name="one_report_per_fingerprint")]

    def __str__(self):
        return f"{self.publication_id} @ {self.fingerprint[:12]}"


class Finding(models.Model):
    report = models.ForeignKey(ScanReport, models.CASCADE, related_name="findings")
    kind = models.CharField(_("类型"), max_length=32, choices=FindingKind.choices)
    field = models.CharField(_("位置"), max_length=300)
    start = models.PositiveIntegerField(_("起始"))
    end = models.PositiveIntegerField(_("结束"))
    text = models.CharField(_("内容"), max_length=500)
    severity = models.CharField(_("级别"), max_length=16, choices=Severity.choices)
    masked = models.CharField(_("脱敏形式"), max_length=500, blank=True)
    detail = models.CharField(_("说明"), max_length=200, blank=True)
    dismissed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                     blank=True, related_name="+", verbose_name=_("排除人"))
    dismissed_at = models.DateTimeField(_("排除时间"), null=True, blank=True)
    justification = models.TextField(_("排除理由"), blank=True)

    class Meta:
        verbose_name = _("预检发现")
        verbose_name_plural = _("预检发现")
        ordering = ["report", "field", "start", "id"]

    def __str__(self):
        return f"{self.kind} {self.field}:{self.start}"

    @property
    def is_open_blocker(self) -> bool:
        return self.severity == Severity.BLOCKING and self.dismissed_at is None


class UnscannedAcknowledgement(models.Model):
    """The confidentiality reviewer read an attachment the scanner could not, and says so.

    Belongs to one round of one content fingerprint (the report): a changed attachment
    is new content with a new report, and a new round needs a new acknowledgement.
    """

    report = models.ForeignKey(ScanReport, models.PROTECT, related_name="acknowledgements")
    round = models.PositiveIntegerField(_("审核轮次"))
    field = models.CharField(_("附件"), max_length=300)
    note = models.TextField(_("说明"))
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT,
                                        related_name="+", verbose_name=_("确认人"))
    acknowledged_at = models.DateTimeField(_("确认时间"))

    class Meta:
        verbose_name = _("未检查附件的人工确认")
        verbose_name_plural = _("未检查附件的人工确认")
        constraints = [models.UniqueConstraint(fields=["report", "round", "field"],
                                               name="one_acknowledgement_per_file_and_round")]

    def __str__(self):
        return f"{self.field} @ {self.report_id} r{self.round}"
