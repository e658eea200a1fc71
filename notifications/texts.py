"""What a notice says: its headline, and its e-mail. Chinese msgids, translated per reader."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from publications.lifecycle import step_title

from .kinds import SUMMARY_KINDS
from .kinds import NotificationKind as K


def headline(notice) -> str:
    if notice.kind == K.TASK_QUEUED:
        return _("待您%(step)s") % {"step": step_title(notice.step, default=notice.step)}
    if notice.kind == K.CLAIM_TAKEN_BACK:
        return _("您签收的%(step)s任务已被收回") % {
            "step": step_title(notice.step, default=notice.step)}
    if notice.kind == K.ITEM_DUE_SOON:
        # the key says which reminder: "due1:…" one working day left (or the last day)
        if notice.reminder.startswith("due1:"):
            return _("信息明天（或今天）到达公开期限，请尽快处理")
        return _("信息距公开期限不足 5 个工作日")
    if notice.kind == K.DAILY_DIGEST:
        return _("政务公开每日待办 %(date)s") % {"date": notice.title}
    if notice.kind == K.TASK_URGED:
        return _("有人催办您的%(step)s任务") % {
            "step": step_title(notice.step, default=notice.step)}
    return {
        K.RETURNED: _("您的信息被退回修改"),
        K.APPROVED: _("您的信息已通过审核"),
        K.WITHHELD: _("您的信息被决定不予公开"),
        K.RELEASED: _("您的信息已发布"),
        K.RELEASED_PARTLY: _("您的信息部分发布，有渠道发布失败"),
        K.NOT_RELEASED: _("您的信息未能发布到任何渠道"),
        K.RELEASED_AWAITING: _("您的信息已送交媒体，待确认刊发"),
        K.RELEASE_FAILED: _("信息发布失败，请处理"),
        K.RELEASE_AWAITING: _("有信息待确认刊发"),
        K.RETRACTION_REQUESTED: _("有撤稿申请待您审批"),
        K.RETRACTION_APPROVED: _("您的撤稿申请已批准，信息已撤稿"),
        K.RETRACTION_DECLINED: _("您的撤稿申请未获批准"),
        K.APPLICATION_ASSIGNED: _("请您承办政府信息公开申请"),
        K.APPLICATION_ONLINE: _("收到新的网上政府信息公开申请，请确认收到"),
        K.DEADLINE_APPROACHING: _("政府信息公开申请答复期限临近"),
        K.APPLICATION_OVERDUE: _("政府信息公开申请已超过答复期限"),
        K.DEADLINE_MOVED: _("节假日安排变更，申请的答复期限已重新计算"),
        K.DEADLINE_UNKNOWN: _("申请的答复期限超出已录入的节假日安排，无法确定"),
        K.REPLY_TO_APPROVE: _("有政府信息公开申请答复待您审批"),
        K.EXTENSION_TO_APPROVE: _("有政府信息公开申请延期待您审批"),
        K.REPLY_RETURNED: _("您拟写的申请答复被退回"),
        K.HOLIDAY_YEAR_MISSING: _("缺少下一年节假日安排，跨入该年的公开时限无法计算"),
        K.ITEM_OVERDUE: _("信息已超过条例第二十六条规定的公开期限"),
        K.SUBSTITUTE_NAMED: _("您被指定为请假同事的代理审核人"),
    }.get(notice.kind, notice.get_kind_display())


def message_label(notice) -> str:
    if notice.kind == K.RETURNED:
        return _("退回意见")
    if notice.kind == K.WITHHELD:
        return _("不予公开理由")
    if notice.kind == K.CLAIM_TAKEN_BACK:
        return _("收回人")
    if notice.kind == K.RELEASE_FAILED:
        return _("失败原因")
    if notice.kind == K.RELEASE_AWAITING:
        return _("发布渠道")
    if notice.kind == K.RETRACTION_REQUESTED:
        return _("撤稿理由")
    if notice.kind in SUMMARY_KINDS:
        return _("发布情况")
    if notice.kind in (K.REPLY_RETURNED, K.RETRACTION_APPROVED, K.RETRACTION_DECLINED):
        return _("审批意见")
    if notice.kind in (K.DEADLINE_APPROACHING, K.APPLICATION_OVERDUE):
        return _("答复期限")
    if notice.kind in (K.ITEM_DUE_SOON, K.ITEM_OVERDUE):
        return _("公开期限")
    if notice.kind == K.TASK_URGED:
        return _("催办意见")
    if notice.kind == K.SUBSTITUTE_NAMED:
        return _("设置人")
    return _("说明")


def absolute_url(path: str) -> str:
    return settings.SITE_URL + path  # the setting has no trailing slash


def email_of(notice) -> tuple[str, str]:
    """Subject and plain-text body, in the site's language (Chinese)."""
    with translation.override(settings.LANGUAGE_CODE):
        what = headline(notice)
        subject = _("【政务公开】%(headline)s：%(title)s") % {"headline": what,
                                                            "title": notice.title}
        lines = [
            _("%(name)s，您好：") % {"name": notice.recipient},
            "",
            _("%(headline)s：《%(title)s》") % {"headline": what, "title": notice.title},
        ]
        if notice.message:
            lines.append(_("%(label)s：%(message)s") % {"label": message_label(notice),
                                                        "message": notice.message})
        lines += [
            "",
            _("请打开以下链接查看和处理："),
            absolute_url(notice.path),
            "",
            _("此邮件由政府信息公开审核发布系统自动发送，请勿回复。"
              "如不需要邮件通知，可在系统的“通知设置”中关闭。"),
        ]
    # one line: a subject must not carry a line break (an item title could)
    return " ".join(subject.split()), "\n".join(str(line) for line in lines) + "\n"
