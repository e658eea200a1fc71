"""依申请公开: applications for disclosure, their statutory clock, replies, and the
reconsideration and litigation cases about them.

An `Application` is written only by `applications.services`. Its clock is not stored as
state to be edited: every fact that moves it (received, a 补正 notice, the correction, an
extension, a third-party consultation, a fee notice, the payment, the approved reply) is a
`ClockEvent`, and `applications.clock` computes the deadline from them with the holiday
calendar. The computed deadline is kept on the application (`deadline`, `clock_stopped_by`,
`deadline_beyond_known`) so that queues and the reminder sweep can sort and filter in SQL;
it is recomputed whenever an event is added or the holiday table changes.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .letters import LetterTemplate  # noqa: F401  (the letters' templates, editable per agency)
from .outcomes import Outcome


class ApplicationStatus(models.TextChoices):
    PENDING_CONFIRMATION = "pending_confirmation", _("待确认收到")
    RECEIVED = "received", _("办理中")
    AWAITING_CORRECTION = "awaiting_correction", _("待补正")
    CONSULTING_THIRD_PARTY = "consulting_third_party", _("征求第三方意见")
    AWAITING_FEE = "awaiting_fee", _("待缴费")
    REPLY_PENDING_APPROVAL = "reply_pending_approval", _("答复待审批")
    REPLIED = "replied", _("已答复")
    CLOSED = "closed", _("已终止")


#: Statuses in which the application is still being handled (its clock matters).
OPEN_STATUSES = (
    ApplicationStatus.RECEIVED, ApplicationStatus.AWAITING_CORRECTION,
    ApplicationStatus.CONSULTING_THIRD_PARTY, ApplicationStatus.AWAITING_FEE,
    ApplicationStatus.REPLY_PENDING_APPROVAL,
)


class ReceivedVia(models.TextChoices):
    IN_PERSON = "in_person", _("当面提交")
    POST = "post", _("邮寄")
    ONLINE = "online", _("网上申请")
    FAX = "fax", _("传真")
    EMAIL = "email", _("电子邮件")


class ApplicantType(models.TextChoices):
    """The six applicant columns of table 三."""

    NATURAL_PERSON = "natural_person", _("自然人")
    COMMERCIAL = "commercial", _("商业企业")
    RESEARCH = "research", _("科研机构")
    SOCIAL_WELFARE = "social_welfare", _("社会公益组织")
    LEGAL_SERVICE = "legal_service", _("法律服务机构")
    OTHER = "other", _("其他")


class DeliveryForm(models.TextChoices):
    PAPER = "paper", _("纸质文本")
    ELECTRONIC = "electronic", _("电子文档")
    OTHER = "other", _("其他")


class DeliveryMethod(models.TextChoices):
    POST = "post", _("邮寄")
    EMAIL = "email", _("电子邮件")
    PICKUP = "pickup", _("当面领取")
    FAX = "fax", _("传真")
    ONLINE = "online", _("网上获取")


class StopReason(models.TextChoices):
    """What stops the clock now (empty: it runs)."""

    CORRECTION = "correction", _("等待申请人补正")
    CONSULTATION = "consultation", _("征求第三方意见")
    FEE = "fee", _("等待申请人缴费")


class Application(models.Model):
    agency = models.ForeignKey("agencies.Agency", models.PROTECT, related_name="applications",
                               verbose_name=_("机关"))
    tracking_code = models.CharField(_("申请编号"), max_length=20, unique=True)
    status = models.CharField(_("状态"), max_length=32, choices=ApplicationStatus.choices)
    received_via = models.CharField(_("申请方式"), max_length=16, choices=ReceivedVia.choices)
    # Art. 31: the hand-in date, the postal sign-off date, or for online/fax/e-mail the date
    # the agency confirmed receipt. Empty while an online application awaits confirmation.
    received_on = models.DateField(_("收到申请日期"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    applicant_type = models.CharField(_("申请人类型"), max_length=20,
                                      choices=ApplicantType.choices)
    applicant_name = models.CharField(_("申请人姓名或名称"), max_length=200)
    applicant_id_number = models.CharField(_("证件号码"), max_length=40, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    contact_address = models.CharField(_("通信地址"), max_length=300, blank=True)
    contact_email = models.EmailField(_("电子邮箱"), blank=True)
    content = models.TextField(_("申请公开的政府信息"))
    delivery_form = models.CharField(_("信息的指定提供载体形式"), max_length=16,
                                     choices=DeliveryForm.choices, default=DeliveryForm.PAPER)
    delivery_method = models.CharField(_("获取信息的方式"), max_length=16,
                                       choices=DeliveryMethod.choices,
                                       default=DeliveryMethod.POST)
    section = models.ForeignKey("agencies.Section", models.PROTECT, null=True, blank=True,
                                related_name="applications", verbose_name=_("承办科室"))
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                related_name="handled_applications", verbose_name=_("承办人"))
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                      blank=True, related_name="+", verbose_name=_("登记人"))
    # --- the clock, as last computed by applications.clock (see the module docstring) ---
    deadline = models.DateField(_("答复期限"), null=True, blank=True,
                                help_text=_("时钟停止（待补正、征求意见、待缴费）时为空"))
    deadline_beyond_known = models.BooleanField(
        _("超出已知节假日数据"), default=False,
        help_text=_("期限落入尚未录入节假日安排的年份：日期仅按周末推算，须核对"))
    clock_stopped_by = models.CharField(_("时钟暂停原因"), max_length=16, blank=True,
                                        choices=StopReason.choices)
    extended = models.BooleanField(_("已延期"), default=False)
    # a handler's request for the one extension, until a leader decides it
    extension_requested_reason = models.TextField(_("延期申请理由"), blank=True)
    extension_requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT,
                                               null=True, blank=True, related_name="+",
                                               verbose_name=_("延期申请人"))
    # --- the result ---
    outcome = models.CharField(_("办理结果"), max_length=40, blank=True,
                               choices=Outcome.choices)
    # the day the reply was approved (and so issued): it counts in table 三 of this year
    replied_on = models.DateField(_("答复日期"), null=True, blank=True)
    closed_on = models.DateField(_("终止日期"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("政府信息公开申请")
        verbose_name_plural = _("政府信息公开申请")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            # the handler's queue and the overdue list: open applications by deadline
            models.Index(fields=["agency", "deadline", "id"],
                         condition=models.Q(status__in=[s.value for s in OPEN_STATUSES]),
                         name="application_open_deadline"),
            models.Index(fields=["handler", "deadline", "id"],
                         condition=models.Q(status__in=[s.value for s in OPEN_STATUSES]),
                         name="application_handler_queue"),
            # the reminder sweep across all agencies
            models.Index(fields=["deadline"],
                         condition=models.Q(status__in=[s.value for s in OPEN_STATUSES]),
                         name="application_sweep"),
            models.Index(fields=["agency", "status", "-submitted_at"],
                         name="application_agency_status"),
            models.Index(fields=["agency", "replied_on"], name="application_replied"),
            # the register (every application of the agency, newest first)
            models.Index(fields=["agency", "-submitted_at", "-id"],
                         name="application_agency_recent"),
        ]

    def __str__(self):
        return self.tracking_code

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ClockEventKind(models.TextChoices):
    RECEIVED = "received", _("收到申请")
    CORRECTION_REQUESTED = "correction_requested", _("发出补正告知")
    CORRECTION_RECEIVED = "correction_received", _("收到补正")
    EXTENDED = "extended", _("延期答复")
    CONSULTATION_SENT = "consultation_sent", _("征求第三方意见")
    CONSULTATION_REPLIED = "consultation_replied", _("第三方回复")
    FEE_NOTICE = "fee_notice", _("发出收费通知")
    FEE_PAID = "fee_paid", _("申请人缴费")
    REPLIED = "replied", _("答复")
    CLOSED = "closed", _("终止办理")


class ClockEvent(models.Model):
    """A dated fact that moves an application's clock; never changed once written."""

    application = models.ForeignKey(Application, models.CASCADE, related_name="clock_events",
                                    verbose_name=_("申请"))
    kind = models.CharField(_("事项"), max_length=32, choices=ClockEventKind.choices)
    on = models.DateField(_("日期"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("操作人"))
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    # per kind: items and period_days (补正), reason (延期), third_party (征求意见),
    # the fee computation and period_days (收费), outcome (答复)
    data = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("期限事项")
        verbose_name_plural = _("期限事项")
        ordering = ["application", "on", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.on}"


class ReplyStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已退回")


class Reply(models.Model):
    """A reply the handler drafted; issued when a leader covering the section approves it.
    Rejected drafts stay, with the leader's comment."""

    application = models.ForeignKey(Application, models.CASCADE, related_name="replies",
                                    verbose_name=_("申请"))
    outcome = models.CharField(_("办理结果"), max_length=40, choices=Outcome.choices)
    basis = models.TextField(_("法律依据"))
    text = models.TextField(_("答复内容"))
    competent_agency = models.CharField(
        _("负责公开的机关"), max_length=200, blank=True,
        help_text=_("不属于本机关负责公开时，告知申请人负责公开的机关名称和联系方式"))
    proposed_on = models.DateField(_("拟答复日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=ReplyStatus.choices,
                              default=ReplyStatus.PENDING)
    # the application's status before the draft, to go back to when it is rejected
    from_status = models.CharField(max_length=32, choices=ApplicationStatus.choices)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                   verbose_name=_("拟稿人"))
    drafted_at = models.DateTimeField(_("拟稿时间"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                   blank=True, related_name="+", verbose_name=_("审批人"))
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_comment = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("答复")
        verbose_name_plural = _("答复")
        ordering = ["application", "-drafted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["application"],
                                    condition=models.Q(status__in=["pending", "approved"]),
                                    name="one_live_reply_per_application"),
        ]

    def __str__(self):
        return f"{self.application} {self.get_outcome_display()}"


def _reply_file_path(instance, filename):
    return f"applications/{instance.reply.application_id}/{filename}"


class ReplyAttachment(models.Model):
    """Information provided with the reply."""

    reply = models.ForeignKey(Reply, models.CASCADE, related_name="attachments",
                              verbose_name=_("答复"))
    file = models.FileField(_("文件"), upload_to=_reply_file_path)
    name = models.CharField(_("文件名"), max_length=255)
    size = models.PositiveBigIntegerField(_("大小"), default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("答复附件")
        verbose_name_plural = _("答复附件")

    def __str__(self):
        return self.name


class CaseKind(models.TextChoices):
    RECONSIDERATION = "reconsideration", _("行政复议")
    LITIGATION_DIRECT = "litigation_direct", _("行政诉讼（未经复议直接起诉）")
    LITIGATION_AFTER_RECONSIDERATION = "litigation_after_reconsideration", \
        _("行政诉讼（复议后起诉）")


class CaseResult(models.TextChoices):
    UPHELD = "upheld", _("结果维持")
    CORRECTED = "corrected", _("结果纠正")
    OTHER = "other", _("其他结果")
    PENDING = "pending", _("尚未审结")


class Case(models.Model):
    """A reconsideration (行政复议) or lawsuit (行政诉讼) about the agency's disclosure work.

    It counts in table 四 of the year it was filed, with its result as known when the report
    is finalised. A suit in which this agency is only the reconsideration body sued as
    co-defendant (`co_defendant_as_reconsideration_body`) counts for the original agency, not
    here: it is kept in the register and left out of the table.
    """

    agency = models.ForeignKey("agencies.Agency", models.PROTECT, related_name="cases",
                               verbose_name=_("机关"))
    kind = models.CharField(_("类型"), max_length=40, choices=CaseKind.choices)
    application = models.ForeignKey(Application, models.PROTECT, null=True, blank=True,
                                    related_name="cases", verbose_name=_("所涉申请"))
    filed_on = models.DateField(_("立案（申请）日期"))
    body = models.CharField(_("复议机关或法院"), max_length=200)
    co_defendant_as_reconsideration_body = models.BooleanField(
        _("本机关作为复议机关共同被告"), default=False,
        help_text=_("只计入原行政行为机关，不计入本机关年度报告表四"))
    result = models.CharField(_("结果"), max_length=16, choices=CaseResult.choices,
                              default=CaseResult.PENDING)
    decided_on = models.DateField(_("审结日期"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                   verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("复议诉讼案件")
        verbose_name_plural = _("复议诉讼案件")
        ordering = ["-filed_on", "-id"]
        indexes = [models.Index(fields=["agency", "filed_on"], name="case_agency_filed")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.filed_on}"


def _case_file_path(instance, filename):
    return f"cases/{instance.case_id}/{filename}"


class CaseDocument(models.Model):
    case = models.ForeignKey(Case, models.CASCADE, related_name="documents",
                             verbose_name=_("案件"))
    file = models.FileField(_("文件"), upload_to=_case_file_path)
    name = models.CharField(_("文件名"), max_length=255)
    size = models.PositiveBigIntegerField(_("大小"), default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("案件材料")
        verbose_name_plural = _("案件材料")

    def __str__(self):
        return self.name
