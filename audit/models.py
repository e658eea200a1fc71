"""The append-only, hash-chained audit trail (one chain per agency).

Rows are written only by `audit.services.record`, inside the transaction of the
change they describe. On PostgreSQL a trigger refuses UPDATE and DELETE. An event names
its subject generically (`subject_type`, `subject_id`); the trail imports no domain app.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("创建")
    EDIT = "edit", _("修改")
    SUBMIT = "submit", _("提交审核")
    CLAIM = "claim", _("签收")
    UNCLAIM = "unclaim", _("取消签收")
    APPROVE = "approve", _("通过")
    REJECT = "reject", _("退回")
    WITHHOLD = "withhold", _("不予公开")
    WITHDRAW = "withdraw", _("撤回")
    RELEASE_CREATED = "release_created", _("生成发布任务")
    CONTENT_CHANGED = "content_changed", _("审核中内容被改动，本轮作废")
    SCAN = "scan", _("保密与隐私预检")
    FINDING_DISMISSED = "finding_dismissed", _("排除预检发现")
    MASKS_APPLIED = "masks_applied", _("一键脱敏")
    RELEASE_PUBLISHED = "release_published", _("渠道发布成功")
    RELEASE_FAILED = "release_failed", _("渠道发布失败")
    RELEASE_AWAITING_CONFIRMATION = "release_awaiting_confirmation", _("待人工确认刊发")
    RELEASE_CONFIRMED = "release_confirmed", _("确认刊发")
    RELEASE_RETRY = "release_retry", _("重新发布")
    RELEASE_RETRACTED = "release_retracted", _("渠道撤稿")
    RETRACT = "retract", _("撤稿")
    RETRACTION_REQUESTED = "retraction_requested", _("申请撤稿")
    RETRACTION_DECLINED = "retraction_declined", _("撤稿申请未批准")
    RELEASE_RETRACTION_FAILED = "release_retraction_failed", _("渠道撤稿失败")
    RELEASE_SUBMITTED = "release_submitted", _("渠道已受理，待生效")
    RELEASE_ATTEMPT_FAILED = "release_attempt_failed", _("渠道调用失败，稍后重试")
    # logins (issue 10, defects 10 and 13; subject: the person, "agencies.user")
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOGIN_LOCKED_OUT = "login_locked_out", _("连续登录失败被锁定")
    LOGIN_UNLOCKED = "login_unlocked", _("解除登录锁定")
    # issue 10, defects 8 and 13: configuration changes, downloads and exports
    CONFIG_CHANGED = "config_changed", _("修改配置")
    ATTACHMENT_DOWNLOADED = "attachment_downloaded", _("下载附件")
    TRAIL_EXPORTED = "trail_exported", _("导出审计日志")
    # issue 10, claims (workflow.services.take_back_claim, release_lost_claims)
    CLAIM_TAKEN_BACK = "claim_taken_back", _("收回签收")
    CLAIM_RELEASED = "claim_released", _("签收自动释放")
    # issue 10, pre-scan (scanning): attachments read by the worker; an unreadable one
    # acknowledged by the confidentiality reviewer
    ATTACHMENTS_SCANNED = "attachments_scanned", _("附件预检完成")
    UNSCANNED_ACKNOWLEDGED = "unscanned_acknowledged", _("确认未能检查的附件")
    # issue 11, 依申请公开 (subject: the application, "applications.application", or the case)
    APPLICATION_SUBMITTED = "application_submitted", _("提交网上申请")
    APPLICATION_RECEIVED = "application_received", _("登记收到申请")
    APPLICATION_ASSIGNED = "application_assigned", _("分配承办")
    APPLICATION_VIEWED = "application_viewed", _("查看申请人完整信息")
    CORRECTION_REQUESTED = "correction_requested", _("发出补正告知")
    CORRECTION_RECEIVED = "correction_received", _("收到补正")
    EXTENSION_REQUESTED = "extension_requested", _("申请延期答复")
    APPLICATION_EXTENDED = "application_extended", _("批准延期答复")
    THIRD_PARTY_CONSULTED = "third_party_consulted", _("征求第三方意见")
    THIRD_PARTY_REPLIED = "third_party_replied", _("第三方回复意见")
    FEE_NOTICE_SENT = "fee_notice_sent", _("发出收费通知")
    FEE_PAID = "fee_paid", _("申请人缴费")
    REPLY_DRAFTED = "reply_drafted", _("拟写答复")
    REPLY_APPROVED = "reply_approved", _("批准答复")
    REPLY_REJECTED = "reply_rejected", _("退回答复")
    APPLICATION_WITHDRAWN = "application_withdrawn", _("申请人撤回申请")
    APPLICATION_DISCARDED = "application_discarded", _("网上申请不予登记")
    DEADLINE_RECOMPUTED = "deadline_recomputed", _("节假日变更，重算答复期限")
    LETTER_GENERATED = "letter_generated", _("生成文书")
    CASE_FILED = "case_filed", _("登记复议诉讼案件")
    CASE_DECIDED = "case_decided", _("登记案件结果")
    CASE_UPDATED = "case_updated", _("修改案件")
    REPLY_ATTACHMENT_ADDED = "reply_attachment_added", _("添加答复附件")
    REPLY_ATTACHMENT_REMOVED = "reply_attachment_removed", _("删除答复附件")
    CASE_DOCUMENT_ADDED = "case_document_added", _("添加案件材料")
    # issue 12, the annual report (subject: "disclosure.annualreport")
    REPORT_EDITED = "report_edited", _("修改年度报告正文")
    REPORT_FINALISED = "report_finalised", _("年度报告定稿")
    REPORT_VERSION_CREATED = "report_version_created", _("新建年度报告版本")
    REPORT_SUBMITTED = "report_submitted", _("年度报告报送审核")
    OPENING_BALANCE_ENTERED = "opening_balance_entered", _("录入上年结转申请期初数")
    # issue 13: 导入 Word (scanning.docx_import), the body replaced by a .docx's
    DOCX_IMPORTED = "docx_imported", _("导入 Word 文档")
    # issue 14: a section head or covering leader urges a review task's holder (催办)
    URGE = "urge", _("催办")
    # issue 14: a reviewer on leave names a substitute (代理), or an agency admin does
    # (subject: "workflow.substitution"); decisions by the substitute carry
    # data["on_behalf_of"], the absent person's username
    SUBSTITUTE_NAMED = "substitute_named", _("设置代理")
    SUBSTITUTE_CANCELLED = "substitute_cancelled", _("取消代理")


class AuditChain(models.Model):
    """Head of an agency's chain; its row lock serialises appends to the chain."""

    agency = models.OneToOneField("agencies.Agency", models.PROTECT, primary_key=True,
                                  related_name="audit_chain")
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")

    class Meta:
        verbose_name = _("审计链")
        verbose_name_plural = _("审计链")

    def __str__(self):
        return f"{self.agency_id}: #{self.last_seq}"


class AuditEvent(models.Model):
    agency = models.ForeignKey("agencies.Agency", models.PROTECT, related_name="audit_events")
    seq = models.PositiveBigIntegerField(_("序号"))
    # What the event is about, by kind ("app_label.model") and id: an item, an application,
    # a report, a configuration row. The trail knows no domain model, so no foreign key.
    subject_type = models.CharField(_("对象类型"), max_length=64, blank=True, default="")
    subject_id = models.BigIntegerField(_("对象编号"), null=True, blank=True)
    action = models.CharField(_("动作"), max_length=40, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                              related_name="+")
    actor_username = models.CharField(_("操作人"), max_length=150, blank=True)
    tier = models.CharField(_("审核环节"), max_length=40, blank=True)
    round = models.PositiveIntegerField(_("审核轮次"), null=True, blank=True)
    at = models.DateTimeField(_("时间"))
    fingerprint = models.CharField(_("内容指纹"), max_length=64, blank=True)
    comment = models.TextField(_("意见"), blank=True)
    data = models.JSONField(_("附加信息"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    # Which form of audit.hashing computed `hash` (events keep the form they were written in).
    hash_form = models.PositiveSmallIntegerField(_("哈希格式"), default=2)

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["agency", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "seq"], name="audit_seq_unique"),
        ]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "seq"], name="audit_subject"),
            # the auditor's trail filtered by action or by person, paged by seq (keyset):
            # a page reads its own rows, however long the agency's trail
            models.Index(fields=["agency", "action", "seq"], name="audit_agency_action"),
            models.Index(fields=["agency", "actor", "seq"], name="audit_agency_actor"),
            # ... and by a day range
            models.Index(fields=["agency", "at"], name="audit_agency_at"),
        ]

    def __str__(self):
        return f"#{self.seq} {self.action}"


def subject_type_of(subject) -> str:
    """The kind an event records for a model instance: its "app_label.model"."""
    return subject._meta.label_lower


class ChainVerification(models.Model):
    """One run of the chain check (issue 10): asked for on the auditor's page, or nightly by
    beat (no one asked). A Celery task walks the chain and writes its progress here in short
    updates, so a long chain holds no web worker and no long transaction."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("校验中")
        OK = "ok", _("校验通过")
        BROKEN = "broken", _("校验未通过")
        ERROR = "error", _("校验出错")

    PENDING = (Status.QUEUED, Status.RUNNING)

    agency = models.ForeignKey("agencies.Agency", models.PROTECT,
                               related_name="chain_verifications")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                     blank=True, related_name="+")
    requested_at = models.DateTimeField(_("请求时间"))
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices,
                              default=Status.QUEUED)
    # moved on every progress write: a pending run that has not moved for
    # AUDIT_VERIFICATION_STALE_SECONDS is taken as lost (worker killed, broker down)
    updated_at = models.DateTimeField(_("更新时间"))
    events_checked = models.PositiveBigIntegerField(_("已核对事件"), default=0)
    head_seq = models.PositiveBigIntegerField(_("链头序号"), null=True, blank=True)
    # as audit.verification.ChainReport carries them
    break_kind = models.CharField(max_length=20, blank=True)
    break_seq = models.PositiveBigIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        verbose_name = _("审计链校验")
        verbose_name_plural = _("审计链校验")
        indexes = [models.Index(fields=["agency", "-requested_at"],
                                name="audit_verification_latest")]
        constraints = [
            # at most one queued or running check per agency: a second request joins it
            models.UniqueConstraint(fields=["agency"], condition=models.Q(
                status__in=["queued", "running"]), name="audit_one_pending_verification"),
        ]

    def __str__(self):
        return f"{self.agency_id}: {self.status} ({self.requested_at:%Y-%m-%d %H:%M})"

    @property
    def pending(self) -> bool:
        return self.status in self.PENDING

    @property
    def percent(self) -> int | None:
        if not self.head_seq:
            return None
        return min(100, self.events_checked * 100 // self.head_seq)
