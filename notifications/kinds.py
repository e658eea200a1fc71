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
    # issue 13, releases: a channel failed for good, or a manual medium waits to be confirmed
    RELEASE_FAILED = "release_failed", _("发布失败")
    RELEASE_AWAITING = "release_awaiting", _("待确认刊发")
    # issue 13, 撤稿: a publisher asked the covering leaders; the leader's decision, to them
    RETRACTION_REQUESTED = "retraction_requested", _("撤稿申请")
    RETRACTION_APPROVED = "retraction_approved", _("撤稿申请已批准")
    RETRACTION_DECLINED = "retraction_declined", _("撤稿申请未批准")
    # the drafter's summary once every release of the round has settled: RELEASED when
    # nothing failed, else what really happened (see SUMMARY_KINDS)
    RELEASED_PARTLY = "released_partly", _("部分发布")
    NOT_RELEASED = "not_released", _("未能发布")
    RELEASED_AWAITING = "released_awaiting", _("已送交媒体")
    # issue 10, claims: a section head or leader took back the reader's claim
    CLAIM_TAKEN_BACK = "claim_taken_back", _("签收被收回")
    # issue 11, 依申请公开 (about an application: `application_id`, no publication)
    APPLICATION_ASSIGNED = "application_assigned", _("分配承办申请")
    APPLICATION_ONLINE = "application_online", _("新的网上申请")
    DEADLINE_APPROACHING = "deadline_approaching", _("答复期限临近")
    APPLICATION_OVERDUE = "application_overdue", _("申请答复已超期")
    DEADLINE_MOVED = "deadline_moved", _("答复期限变更")
    DEADLINE_UNKNOWN = "deadline_unknown", _("答复期限无法确定")
    REPLY_TO_APPROVE = "reply_to_approve", _("待审批答复")
    EXTENSION_TO_APPROVE = "extension_to_approve", _("待审批延期")
    REPLY_RETURNED = "reply_returned", _("答复被退回")
    # issue 14: next year's holiday notice not entered by 1 October (to every agency admin,
    # once a year: `reminder` names the year, see the constraint)
    HOLIDAY_YEAR_MISSING = "holiday_year_missing", _("缺少节假日安排")
    # issue 14, Art. 26 reminders about an item (workflow.reminders) and 催办 of a task
    ITEM_DUE_SOON = "item_due_soon", _("公开期限临近")
    ITEM_OVERDUE = "item_overdue", _("信息已超过公开期限")
    TASK_URGED = "task_urged", _("催办")
    # issue 14: one summary a working day per person (workflow.digest; `reminder` names
    # the local date, "digest:2026-12-03", and `details` holds what it lists)
    DAILY_DIGEST = "daily_digest", _("每日待办")
    # issue 14: a colleague on leave named the reader their substitute (代理)
    SUBSTITUTE_NAMED = "substitute_named", _("代理审核")


#: The drafter's release summary, one per item and round (the constraint
#: `one_release_summary_per_round`).
SUMMARY_KINDS = (NotificationKind.RELEASED, NotificationKind.RELEASED_PARTLY,
                 NotificationKind.NOT_RELEASED, NotificationKind.RELEASED_AWAITING)
