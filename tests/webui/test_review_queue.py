"""The reviewers' queues: ordered by the Art. 26 deadline, who holds what, batch 签收."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from testsupport.factories import submitted_item, task_for
from workflow import services as review

pytestmark = pytest.mark.postgres

QUEUE, INBOX = "/app/review/", "/app/review/mine/"


def row_ids(html) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-testid="task-(\d+)">', html)]


def get(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


# ---------------------------------------------------------------- order

def test_queues_put_the_earliest_art26_deadline_first_and_unknown_ones_last(client, org):
    head = org["head_office"]
    today = timezone.localdate()
    unknown = submitted_item(org, title="时限待定", formed_on=dt.date(2031, 6, 1))
    recent = submitted_item(org, title="近期形成", formed_on=today - dt.timedelta(days=3))
    overdue = submitted_item(org, title="早已超期", formed_on=today - dt.timedelta(days=90))
    tasks = [task_for(head, p).pk for p in (overdue, recent, unknown)]
    client.force_login(head)
    assert row_ids(get(client, QUEUE)) == tasks
    assert row_ids(get(client, QUEUE, sort="submitted")) == tasks[::-1]
    assert row_ids(get(client, QUEUE, sort="nonsense")) == tasks  # never a 500

    for pk in tasks:
        review.claim_task(user=head, task_id=pk)
    assert row_ids(get(client, INBOX)) == tasks
    assert row_ids(get(client, INBOX, sort="submitted")) == tasks[::-1]


def test_sorting_is_not_a_filter(client, org):
    client.force_login(org["head_office"])
    html = get(client, QUEUE, sort="submitted")
    assert "暂无待认领的审核任务" in html and "没有符合筛选条件" not in html
