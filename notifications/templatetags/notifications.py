"""The bell's unread count."""

from django import template

from ..selectors import unread_count

register = template.Library()


@register.simple_tag
def unread_notifications(user) -> int:
    """One count query for a signed-in person, none for anyone else."""
    return unread_count(user=user)
