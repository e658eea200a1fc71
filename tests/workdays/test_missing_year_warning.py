"""From 1 October, a next year without its holiday notice is shown on the dashboard and the
admin index, and every agency admin is told once."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings

from notifications.holiday_warnings import sweep, warn_missing_holiday_year
from notifications.models import Notification
from testsupport.factories import make_user
from workdays.models import HolidayYear

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("known_data_ends_with_2026")]

DASHBOARD = "/app/statistics/"
BANNER = "缺少 2027 年节假日安排：2027 年的公开时限无法计算，请平台运维导入国务院办公厅通知"



@pytest.fixture
def operator(db):
    return make_user(None, "operator", [], is_staff=True, is_superuser=True)


def pages(client, org, operator):
    client.force_login(org["auditor"])
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    dashboard = response.content.decode()
    assert "主动公开统计" in dashboard
    client.force_login(operator)
    admin_index = client.get("/admin/").content.decode()
    return dashboard, admin_index


def test_on_30_september_nothing_warns(client, org, operator):
    with time_machine.travel("2026-09-30 20:00 +0800", tick=False):
        dashboard, admin_index = pages(client, org, operator)
        assert sweep(today=dt.date(2026, 9, 30)) == []
        warn_missing_holiday_year()
    assert BANNER not in dashboard and BANNER not in admin_index
    assert not Notification.objects.filter(kind="holiday_year_missing").exists()


def test_from_1_october_the_pages_warn_and_each_agency_admin_is_told_once(
        client, org, other_org, operator):
    with time_machine.travel("2026-10-01 08:00 +0800", tick=False):
        dashboard, admin_index = pages(client, org, operator)
        assert warn_missing_holiday_year() == 2
        assert warn_missing_holiday_year() == 0  # the next day's run, or a second beat
    assert BANNER in dashboard
    assert BANNER in admin_index
    assert 'href="/admin/workdays/holidayyear/import/"' in admin_index  # the operator's way
    notices = Notification.objects.filter(kind="holiday_year_missing")
    assert sorted(n.recipient.username for n in notices) == ["admin", "other_admin"]
    notice = notices.get(recipient=org["admin"])
    assert notice.agency == org.agency
    assert notice.title == "国务院办公厅关于2027年部分节假日安排的通知"
    assert notice.headline == "缺少下一年节假日安排，跨入该年的公开时限无法计算"
    assert notice.message == BANNER
    assert notice.path == "/admin/workdays/holidayyear/"


def test_the_agency_admin_reads_the_notice_in_the_bell(client, org):
    with time_machine.travel("2026-10-01 08:00 +0800", tick=False):
        warn_missing_holiday_year()
    client.force_login(org["admin"])
    html = client.get("/app/notifications/").content.decode()
    assert "缺少下一年节假日安排" in html


def test_once_the_year_is_imported_nothing_warns(client, org, operator):
    HolidayYear.objects.create(year=2027, complete=True)
    with time_machine.travel("2026-12-03 09:00 +0800", tick=False):
        dashboard, admin_index = pages(client, org, operator)
        assert warn_missing_holiday_year() == 0
    assert "节假日安排：" not in dashboard and "年的公开时限无法计算" not in admin_index


def test_the_warning_runs_daily_in_beat():
    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values()
               if e["task"] == "notifications.holiday_warnings.warn_missing_holiday_year"]
    assert entry["schedule"].hour == {8}
