"""Labels for the web UI: role names, status chips and review steps in Chinese."""

from django import template
from django.utils.translation import pgettext

from agencies.models import Role
from publications.models import PublicationStatus

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
