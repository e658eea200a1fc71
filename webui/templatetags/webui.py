"""Labels for the web UI: role names, status chips and review steps in Chinese."""

from django import template

from agencies.models import Role
from publications.models import PublicationStatus

register = template.Library()

_ROLE_LABELS = dict(Role.choices)
_STATUS_LABELS = dict(PublicationStatus.choices)


@register.filter
def role_labels(user) -> str:
    return "、".join(str(_ROLE_LABELS.get(role, role)) for role in (user.roles or []))


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
