"""The yearly warning to every agency admin that a year's holiday notice is missing.

From 1 October of a year, next year's deadlines cannot be counted until the platform
operator imports the State Council's notice for it (`workdays.selectors`); items and
applications whose deadlines run into that year show "待定". Beat runs the sweep daily; each
agency admin hears once per missing year (the notice's `reminder` is "holidays:2027" and
the constraint `one_holiday_year_notice_per_year` admits it once, however many sweeps or
beats run).

The Celery task lives here rather than in `tasks`, which `services` imports for its e-mail;
`NotificationsConfig.ready` imports this module so workers register it.
"""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Role, holding_role
from workdays.selectors import missing_holiday_year

from .inserts import insert_notices
from .kinds import NotificationKind as K
from .services import email_on_commit


def reminder_key(year: int) -> str:
    return f"holidays:{year}"


def notify_holiday_year_missing(*, year: int) -> list[int]:
    """One notice to each active agency admin who has not had this year's (one statement)."""
    admins = get_user_model().objects.filter(holding_role(Role.AGENCY_ADMIN), is_active=True,
                                             agency__isnull=False)
    ids = insert_notices(
        admins, ignore_conflicts=True, recipient_id=F("pk"), agency_id=F("agency_id"),
        kind=K.HOLIDAY_YEAR_MISSING, reminder=reminder_key(year), step="",
        title=_("国务院办公厅关于%(year)d年部分节假日安排的通知") % {"year": year},
        message=_("缺少 %(year)d 年节假日安排：%(year)d 年的公开时限无法计算，请平台运维导入"
                  "国务院办公厅通知") % {"year": year},
        link=reverse("admin:workdays_holidayyear_changelist"))
    email_on_commit(ids)
    return ids


def sweep(*, today) -> list[int]:
    year = missing_holiday_year(today=today)
    if year is None:
        return []
    with transaction.atomic():
        return notify_holiday_year_missing(year=year)


@shared_task(ignore_result=True)
def warn_missing_holiday_year() -> int:
    return len(sweep(today=timezone.localdate()))
