"""The reviewers' queues: ordered by the Art. 26 deadline, who holds what, batch 签收."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from audit.models import AuditAction, AuditEvent
from testsupport.factories import approve_through, submitted_item, task_for
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
    assert "暂无待签收的审核任务" in html and "没有符合筛选条件" not in html


# ---------------------------------------------------------------- who holds a task

def test_a_task_claimed_by_a_colleague_shows_who_and_since_when(client, org):
    org["secrecy_2"].display_name = "张三"
    org["secrecy_2"].save()
    publication = approve_through(org, submitted_item(org, title="保密审查中"), "head_office")
    task = task_for(org["secrecy_2"], publication)
    review.claim_task(user=org["secrecy_2"], task_id=task.pk)
    claimed_at = timezone.localtime(Task.objects.get(pk=task.pk).assigned).strftime(
        "%Y-%m-%d %H:%M")
    client.force_login(org["secrecy"])  # a colleague who could have claimed it
    queue = get(client, QUEUE)
    row = re.search(rf'<tr data-testid="held-{task.pk}">(.*?)</tr>', queue, re.S).group(1)
    assert f"由 张三 签收于 {claimed_at}" in row
    assert "收回签收" not in row  # not a head or leader of the section
    assert f"由 张三 签收于 {claimed_at}" in get(client, f"/app/review/tasks/{task.pk}/")
    # a leader covering the section sees it too, and may take it back
    client.force_login(org["leader"])
    row = re.search(rf'<tr data-testid="held-{task.pk}">(.*?)</tr>', get(client, QUEUE),
                    re.S).group(1)
    assert "由 张三 签收于" in row and "收回签收" in row
    # someone of another step and section does not
    client.force_login(org["head_construction"])
    assert f'data-testid="held-{task.pk}"' not in get(client, QUEUE)


# ---------------------------------------------------------------- batch 签收

def claim_many(client, *task_ids, follow=True):
    return client.post("/app/review/claim/", {"task": [str(pk) for pk in task_ids]},
                       follow=follow)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_batch_claim_claims_each_ticked_task_and_reports_those_lost_to_a_colleague(
        client, org):
    head = org["head_office"]
    mine = [submitted_item(org, title=f"批量{n}") for n in range(3)]
    lost = submitted_item(org, title="被同事抢先")
    tasks = [task_for(head, p) for p in [*mine, lost]]
    review.claim_task(user=org["head_office_2"], task_id=tasks[-1].pk)  # after the page loaded
    client.force_login(head)
    assert 'form="batch-claim"' in get(client, QUEUE)
    response = claim_many(client, *[t.pk for t in tasks])
    assert response.redirect_chain[-1][0] == INBOX
    assert messages_of(response) == ["已签收 3 项任务。", "以下任务已由他人签收或处理：被同事抢先"]
    for task in tasks[:3]:
        task.refresh_from_db()
        assert task.status == STATUS.ASSIGNED and task.owner == head
    assert Task.objects.get(pk=tasks[-1].pk).owner == org["head_office_2"]
    assert AuditEvent.objects.filter(action=AuditAction.CLAIM, actor=head).count() == 3
    # decisions stay one by one: no batch approval anywhere
    assert "批量通过" not in get(client, INBOX)


def test_batch_claim_without_a_choice_or_with_bad_values_never_fails(client, org, other_org):
    foreign = task_for(other_org["head_office"], submitted_item(other_org))
    client.force_login(org["head_office"])
    response = claim_many(client)
    assert response.redirect_chain[-1][0] == QUEUE
    assert messages_of(response) == ["请先勾选要签收的任务。"]
    response = client.post("/app/review/claim/", {"task": ["x", "²", "9" * 30, "-1",
                                                           str(foreign.pk)]}, follow=True)
    assert response.status_code == 200 and response.redirect_chain[-1][0] == QUEUE
    assert Task.objects.get(pk=foreign.pk).status == STATUS.NEW  # another agency's
    assert client.get("/app/review/claim/").status_code == 405


def test_batch_claim_refuses_what_the_person_may_not_claim(client, org):
    task = task_for(org["head_construction"],
                    submitted_item(org, "drafter_construction", title="建筑业的信息"))
    client.force_login(org["leader_construction"])  # sees the item, not at this step
    response = claim_many(client, task.pk)
    assert messages_of(response) == ["以下任务您不能签收：建筑业的信息"]
    assert Task.objects.get(pk=task.pk).status == STATUS.NEW
