"""`{% missing_holiday_year as year %}`: for pages outside the web UI's views (the admin
index), the year whose holiday notice is missing now (see `selectors`)."""

from django import template
from django.utils import timezone

from workdays.selectors import missing_holiday_year as _missing

register = template.Library()


@register.simple_tag
def missing_holiday_year():
    return _missing(today=timezone.localdate())
