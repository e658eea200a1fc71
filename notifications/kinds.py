"""The kinds of notice (what happened to the reader's work)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    TASK_QUEUED = "task_queued", _("待审核任务")
    RETURNED = "returned", _("退回修改")
    APPROVED = "approved", _("审核通过")
    WITHHELD = "withheld", _("不予公开")
    RELEASED = "released", _("已发布")
    RETRACTION_FAILED = "retraction_failed", _("撤稿失败")
    # issue 10, claims: a section head or leader took back the reader's claim
    CLAIM_TAKEN_BACK = "claim_taken_back", _("认领被收回")
