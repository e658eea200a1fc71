"""What became of an item's releases, in words people read: each channel's state, why a
release failed (in a sentence, from the adapter's raw error), and the item's overall
release status (部分发布, 发布失败, ...), for the item's page, the drafter's list and the
drafter's summary notice.

Pure functions over `Release` rows already read; nothing here queries or writes. The raw
error stays on the release (and is shown beside the sentence): the sentence says what to
do, the raw text is what a technician asks for.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from notifications.kinds import NotificationKind
from publications.models import PublicationStatus

from .models import ReleaseStatus

#: States in which a release of a round has come to rest for the drafter's summary: it
#: is out, handed to a medium that a publisher confirms later, or failed for good (only a
#: person's retry sends it again).
SETTLED = (ReleaseStatus.PUBLISHED, ReleaseStatus.AWAITING_CONFIRMATION, ReleaseStatus.FAILED)
GOING = (ReleaseStatus.PENDING, ReleaseStatus.SENDING)


class Overall:
    """The item's overall release status (a key for the chip's class, and its label)."""

    RELEASING = "releasing"
    RELEASED = "released"
    PARTLY = "partly_released"
    FAILED = "release_failed"
    AWAITING = "awaiting_confirmation"

    LABELS = {
        RELEASING: gettext_lazy("发布中"),
        RELEASED: gettext_lazy("已发布"),
        PARTLY: gettext_lazy("部分发布"),
        FAILED: gettext_lazy("发布失败"),
        AWAITING: gettext_lazy("待确认刊发"),
    }


@dataclass(frozen=True)
class OverallStatus:
    key: str

    @property
    def label(self) -> str:
        return str(Overall.LABELS[self.key])


def overall_status(publication_status: str, statuses) -> OverallStatus | None:
    """The item's release status from its releases' statuses; None when the item's own
    status says it all (not yet approved, retracted, or approved with no release)."""
    statuses = list(statuses)
    if publication_status != PublicationStatus.APPROVED or not statuses:
        return None
    if any(s in GOING for s in statuses):
        return OverallStatus(Overall.RELEASING)
    failed = sum(s == ReleaseStatus.FAILED for s in statuses)
    if failed == len(statuses):
        return OverallStatus(Overall.FAILED)
    if failed:
        return OverallStatus(Overall.PARTLY)
    if any(s == ReleaseStatus.AWAITING_CONFIRMATION for s in statuses):
        return OverallStatus(Overall.AWAITING)
    return OverallStatus(Overall.RELEASED)


def state_label(release) -> str:
    """The channel's state as the item's page shows it."""
    if release.status == ReleaseStatus.PENDING and release.attempts:
        return _("发布中")  # tried, and tried again later by itself
    return {
        ReleaseStatus.PENDING: _("待发布"),
        ReleaseStatus.SENDING: _("发布中"),
        ReleaseStatus.AWAITING_CONFIRMATION: _("待确认刊发"),
        ReleaseStatus.PUBLISHED: _("已发布"),
        ReleaseStatus.FAILED: _("发布失败"),
        ReleaseStatus.RETRACTED: _("已撤稿"),
        ReleaseStatus.RETRACTION_FAILED: _("撤稿失败"),
    }.get(release.status, release.status)


# --- failure reasons ------------------------------------------------------------------

_RETRIED = re.compile(r"^(?:撤稿)?重试 (\d+) 次后仍失败：")
_PREFIXES = ("撤稿失败：", "撤稿未完成：")
_WECHAT_ERRCODE = re.compile(r"WeChat errcode (-?\d+)")
_WECHAT_PUBLISH = re.compile(r"WeChat publish_status (\d+)")
_HTTP = re.compile(r"\bHTTP (\d{3})\b")
_CRASH = re.compile(r"^[A-Z][A-Za-z]*(?:Error|Exception): ")


def _wechat_errcode(code: int) -> str:
    if code in (40001, 40014, 42001):
        return _("微信接口凭证（access_token）无效或已过期，系统将重新获取后重试")
    if code in (40013, 40125):
        return _("微信公众号的 AppID 或 AppSecret 不正确，请管理员核对渠道配置")
    if code == 40164:
        return _("本系统服务器的 IP 地址不在公众号的 IP 白名单中，请在公众号后台添加")
    if code == 48001:
        return _("公众号没有该接口的权限（需认证的公众号才能使用发布能力）")
    if code == -1:
        return _("微信系统繁忙，稍后重试")
    if code == 45009:
        return _("公众号今日的接口调用次数已用完，次日再试")
    if code in (45011, 53501):
        return _("向微信发送请求过于频繁，稍后重试")
    if code == 87014:
        return _("微信认为内容含有风险或违规信息，拒绝发布；请修改内容后重新送审")
    if code in (45166, 53503):
        return _("微信认为内容不符合发布要求，拒绝发布；请检查正文和图片")
    if code == 40007:
        return _("微信找不到所用的素材（封面或图片），请管理员核对封面素材设置")
    if 45001 <= code <= 45008:
        return _("标题、正文或图片超过了微信的大小限制")
    if code in (44003, 47001):
        return _("发给微信的内容格式有误或为空")
    return _("微信接口返回错误（错误码 %(code)s）") % {"code": code}


def _wechat_publish(status: int) -> str:
    return {
        2: _("微信原创声明校验未通过，未能发表"),
        3: _("微信发表失败（常规失败），可稍后重新发布"),
        4: _("微信平台审核未通过，未能发表；请修改内容后重新送审"),
        5: _("文章发表后已被删除"),
        6: _("文章发表后被微信封禁"),
    }.get(status, _("微信发表失败（状态 %(status)s）") % {"status": status})


def _http(code: int) -> str:
    if 300 <= code < 400:
        return _("对方接口地址已迁移（HTTP %(code)s 重定向），请管理员更新渠道地址") % {
            "code": code}
    if code in (401, 403):
        return _("对方拒绝访问（HTTP %(code)s），请核对渠道密钥或授权") % {"code": code}
    if code == 404:
        return _("对方接口地址不存在（HTTP 404），请核对渠道地址")
    if code in (408, 504):
        return _("对方服务器响应超时（HTTP %(code)s）") % {"code": code}
    if code == 413:
        return _("内容过大，对方拒绝接收（HTTP 413）")
    if code == 429:
        return _("对方限制了请求频率（HTTP 429），稍后重试")
    if 400 <= code < 500:
        return _("对方不接受所发送的内容（HTTP %(code)s），请核对渠道接口要求") % {
            "code": code}
    if code >= 500:
        return _("对方服务器出错（HTTP %(code)s）") % {"code": code}
    return _("对方返回了意外的应答（HTTP %(code)s）") % {"code": code}


def _cause(error: str) -> str:
    if "未配置" in error:
        return _("渠道配置不完整（缺少地址、密钥或 AppID 等），请管理员补全渠道配置")
    if "未收到答复" in error:
        return _("发布请求已发给微信但未收到答复，可能已经发出；请在公众号后台核实")
    if "时间已用完" in error or "this attempt's time is used up" in error:
        return _("本次尝试超时，稍后重试")
    if "投递状态未知" in error:
        return _("投递结果未知，系统将以同一编号重发")
    if match := _WECHAT_ERRCODE.search(error):
        return _wechat_errcode(int(match.group(1)))
    if match := _WECHAT_PUBLISH.search(error):
        return _wechat_publish(int(match.group(1)))
    if match := _HTTP.search(error):
        return _http(int(match.group(1)))
    if "timed out" in error:
        return _("连接对方服务器超时")
    if "cannot connect" in error or "connection failed" in error or "network error" in error:
        return _("无法连接到对方服务器，请稍后重试或核对渠道地址")
    if "invalid request" in error or "secret" in error:
        return _("渠道地址或密钥的格式有误，请管理员核对渠道配置")
    if _CRASH.match(error):
        return _("系统处理时出错，请联系系统管理员")
    return ""


def explain(error: str) -> str:
    """A sentence, in the reader's language, saying why a release failed and what to do;
    empty for no error. The raw error is kept for the technician (shown beside it)."""
    error = (error or "").strip()
    if not error:
        return ""
    retried = _RETRIED.match(error)
    if retried:
        error = error[retried.end():]
    for prefix in _PREFIXES:
        error = error.removeprefix(prefix)
    cause = _cause(error) or (error if re.search(r"[\u4e00-\u9fff]", error) else
                              _("发布未成功，详见原始错误信息"))
    if retried:
        return _("%(cause)s（已自动重试 %(n)s 次）") % {"cause": cause, "n": retried.group(1)}
    return cause


def list_of(names) -> str:
    return pgettext("list separator", "、").join(str(name) for name in names)


# --- the drafter's summary --------------------------------------------------------------

def summary_of(releases) -> tuple[str, str]:
    """The kind of notice and its message (in the site's language: a notice stores its
    message as written) for a round whose releases have all settled, e.g.
    已发布到 政府信息公开专栏、微信公众号；待确认刊发：焦作日报；
    发布失败：温县发布（对方服务器出错（HTTP 502））."""
    published = [r.channel.name for r in releases if r.status == ReleaseStatus.PUBLISHED]
    awaiting = [r.channel.name for r in releases
                if r.status == ReleaseStatus.AWAITING_CONFIRMATION]
    failed = [r for r in releases if r.status == ReleaseStatus.FAILED]
    with translation.override(settings.LANGUAGE_CODE):
        parts = []
        if published:
            parts.append(_("已发布到 %(channels)s") % {"channels": list_of(published)})
        if awaiting:
            parts.append(_("待确认刊发：%(channels)s") % {"channels": list_of(awaiting)})
        if failed:
            parts.append(_("发布失败：%(channels)s") % {"channels": list_of(
                _("%(channel)s（%(reason)s）") % {"channel": r.channel.name,
                                                "reason": explain(r.error)}
                if r.error else r.channel.name for r in failed)})
        message = pgettext("clause separator", "；").join(parts)
    if failed:
        kind = NotificationKind.NOT_RELEASED if len(failed) == len(releases) else (
            NotificationKind.RELEASED_PARTLY)
    elif published:
        kind = NotificationKind.RELEASED
    else:
        kind = NotificationKind.RELEASED_AWAITING
    return kind, message
