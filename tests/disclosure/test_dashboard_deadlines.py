"""The statistics dashboard counts, per section, the open items whose Art. 26 deadline has
passed or falls within 5 working days (as every queue shows them)."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from disclosure.open_items import open_item_deadlines
from publications.models import Publication
from testsupport.factories import create_item, submitted_item, task_for
from workdays.calendar import WorkingCalendar
from workflow import services as review

pytestmark = pytest.mark.postgres

DASHBOARD = "/app/statistics/"


def formed_with_days_left(days_left: int) -> dt.date:
    """A formed-on date whose deadline is `days_left` working days from today."""
    today = timezone.localdate()
    calendar = WorkingCalendar()
    calendar.load(today.year - 1, today.year)
    day = today
    for _ in range(60):
        deadline = calendar.add_working_days(day, 20)
        if not deadline.beyond_known_data:
            between = sum(calendar.is_working_day(today + dt.timedelta(days=n))
                          for n in range(1, (deadline.date - today).days + 1))
            if deadline.date >= today and between == days_left:
                return day
        day -= dt.timedelta(days=1)
    raise AssertionError("no such date")


def test_per_section_open_items_overdue_and_due_soon(client, org):
    today = timezone.localdate()
    long_ago = today - dt.timedelta(days=120)
    create_item(org, formed_on=long_ago)                                  # draft, overdue
    submitted_item(org, formed_on=long_ago)                               # in review, overdue
    returned = submitted_item(org, formed_on=formed_with_days_left(3))    # returned, soon
    review.reject_task(user=org["head_office"],
                       task_id=task_for(org["head_office"], returned).pk, comment="改")
    create_item(org, "drafter_construction", formed_on=formed_with_days_left(15))  # not soon
    withheld = create_item(org, formed_on=long_ago)
    Publication.objects.filter(pk=withheld.pk).update(status="withheld")  # nothing to keep
    approved = create_item(org, formed_on=long_ago)  # approved, nothing published yet
    Publication.objects.filter(pk=approved.pk).update(status="approved")

    client.force_login(org["auditor"])
    html = client.get(DASHBOARD).content.decode()
    table = re.search(r'data-testid="section-deadlines">(.*?)</table>', html, re.S).group(1)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row)
             for row in re.findall(r"<tr data-testid=\"deadlines-\d+\">(.*?)</tr>", table)]
    # sections in code order: construction, office; open, overdue, within 5 days, pending
    assert cells == [["建筑业管理股", "1", "0", "0", "0"], ["办公室", "4", "3", "1", "0"]]
    assert "5 个工作日内到期" in table


def test_the_count_takes_the_same_queries_for_few_and_many_items(org):
    today = timezone.localdate()

    def queries():
        with CaptureQueriesContext(connection) as captured:
            open_item_deadlines(agency=org.agency, today=today)
        return len(captured)

    create_item(org, formed_on=today - dt.timedelta(days=30))
    few = queries()
    for n in range(10):
        create_item(org, formed_on=today - dt.timedelta(days=n * 7))
    assert queries() == few
