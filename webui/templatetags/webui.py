"""Labels for the web UI: role names, status chips and review steps in Chinese."""

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from agencies.models import Role
from audit.models import AuditAction
from publications.models import PublicationStatus
from releases.outcome import explain

register = template.Library()

_ROLE_LABELS = dict(Role.choices)
_STATUS_LABELS = dict(PublicationStatus.choices)


@register.filter
def role_labels(user) -> str:
    # the list separator is itself translatable: 、 in Chinese, a comma in English
    separator = pgettext("list separator", "、")
    return separator.join(str(_ROLE_LABELS.get(role, role)) for role in (user.roles or []))


@register.filter
def status_label(status) -> str:
    return str(_STATUS_LABELS.get(status, status))


@register.filter
def step_label(node) -> str:
    """The title of a review step (科室审核, 保密审查, 领导审签)."""
    if node is None:
        return ""
    return str(getattr(node, "task_title", "") or node)


@register.filter
def has_role(user, role) -> bool:
    return user.is_authenticated and user.has_role(role)


@register.filter
def menu_links(application, user) -> list:
    """The drawer links of a RoleApplication this person may follow."""
    return application.menu_links(user)


# --- the audit trail --------------------------------------------------------------------
# Imports inside the filters keep the audit labels out of the drafter pages' import path.


@register.filter
def app_entry(application, user) -> str:
    """Where the drawer's link to an application leads a person: the first page of its menu
    they may use (an agency admin's 审核 holds only 代理), else its index."""
    links = application.menu_links(user) if hasattr(application, "menu_links") else []
    return links[0][0] if links else application.reverse("index")


@register.filter
def action_label(action) -> str:
    """An audit action in words (通过, 退回, 不予公开, …)."""
    from audit.models import AuditAction

    return str(dict(AuditAction.choices).get(action, action or ""))


@register.filter
def tier_label(tier) -> str:
    """The review step an event belongs to (科室审核, 保密审查, 领导审签), from the flow."""
    from publications.lifecycle import step_title

    return step_title(tier, default=tier or "")


@register.filter
def short_hash(value, length=12) -> str:
    """The first characters of a fingerprint or hash: enough to compare by eye."""
    return (value or "")[:int(length)]


@register.filter
def person_label(user, username="") -> str:
    """Who acted: 姓名（用户名）, or the username the trail kept when no person is linked."""
    if user is None:
        return username or ""
    name = getattr(user, "display_name", "")
    login = user.get_username()
    return f"{name}（{login}）" if name else login


def on_behalf_name(event) -> str:
    """The absent colleague an event's actor acted for as substitute (代理), or ""."""
    data = event.data if isinstance(event.data, dict) else {}
    return data.get("on_behalf_of_name") or data.get("on_behalf_of") or ""


@register.filter
def actor_name(event) -> str:
    """Who acted, by name: 李强; a substitute's action says for whom: 李强 代 王敏."""
    actor = event.actor
    name = (actor.display_name or actor.username) if actor is not None else (
        event.actor_username or "")
    absent = on_behalf_name(event)
    if name and absent:
        return _("%(actor)s 代 %(absent)s") % {"actor": name, "absent": absent}
    return name


# events whose comment is a channel's own error text (machine output, often in English)
_CHANNEL_ERRORS = {AuditAction.RELEASE_FAILED, AuditAction.RELEASE_ATTEMPT_FAILED,
                   AuditAction.RELEASE_RETRACTION_FAILED}


@register.filter
def event_comment(event, length=None):
    """An audit event's comment for the page: a channel's error is explained in the reader's
    language, with the channel's own words kept beside it as data (<code>)."""
    comment = event.comment or ""
    if event.action not in _CHANNEL_ERRORS or not comment:
        shown = Truncator(comment).chars(int(length)) if length else comment
        return linebreaksbr(shown, autoescape=True)
    return channel_error(comment, length)


@register.filter
def channel_error(error, length=None):
    """A channel's error text explained in the reader's language, its own words beside."""
    if not error:
        return ""
    raw = Truncator(error).chars(int(length)) if length else error
    return format_html('{} <code class="webui-raw">{}</code>', explain(error), raw)
