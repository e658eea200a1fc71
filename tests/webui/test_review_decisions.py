"""After a decision the reviewer lands on their next task; a refused one keeps the comment."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from testsupport.factories import approve_through, submitted_item, task_for
from workflow import services as review

pytestmark = pytest.mark.postgres

INBOX = "/app/review/mine/"


def task_url(task, action=""):
    return f"/app/review/tasks/{task.pk}/" + (f"{action}/" if action else "")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def claimed(user, publication):
    task = task_for(user, publication)
    review.claim_task(user=user, task_id=task.pk)
    return task


def test_after_approving_the_next_task_held_opens_earliest_deadline_first(client, org):
    head = org["head_office"]
    today = timezone.localdate()
    current = claimed(head, submitted_item(org, title="当前任务"))
    claimed(head, submitted_item(org, title="较晚时限", formed_on=today - dt.timedelta(days=2)))
    urgent = claimed(head, submitted_item(org, title="最紧迫", formed_on=today - dt.timedelta(
        days=400)))
    submitted_item(org, title="待签收的更紧迫", formed_on=today - dt.timedelta(days=900))
    client.force_login(head)
    response = client.post(task_url(current, "approve"), {"comment": "同意"}, follow=True)
    assert response.redirect_chain[-1][0] == task_url(urgent)
    assert messages_of(response) == ["已通过“当前任务”。", "下一项任务：“最紧迫”。"]


def test_with_nothing_held_the_next_claimable_task_opens(client, org):
    head = org["head_office"]
    current = claimed(head, submitted_item(org, title="当前任务"))
    waiting = submitted_item(org, title="等待签收")
    submitted_item(org, "drafter_construction", title="别的科室")  # not this head's
    client.force_login(head)
    response = client.post(task_url(current, "reject"), {"comment": "请补充依据"}, follow=True)
    assert response.redirect_chain[-1][0] == task_url(task_for(head, waiting))
    assert messages_of(response) == ["已将“当前任务”退回经办人。", "下一项任务：“等待签收”。"]
    assert "签收并审核" in response.content.decode()  # opened, not claimed for them


def test_with_no_task_left_the_inbox_says_so(client, org):
    publication = approve_through(org, submitted_item(org, title="最后一项"), "head_office")
    task = claimed(org["secrecy"], publication)
    # the later step of a round the person decided is not offered to them
    client.force_login(org["secrecy"])
    response = client.post(task_url(task, "withhold"),
                           {"basis": "state_secret", "comment": "含国家秘密", "confirm": "1"},
                           follow=True)
    assert response.redirect_chain[-1][0] == INBOX
    assert messages_of(response) == ["已决定“最后一项”不予公开。", "没有待办任务了。"]


def test_a_refused_approval_keeps_the_typed_comment_with_422(client, org):
    body = "<p>本文件为机密★1年，不得外传。</p>"
    publication = approve_through(org, submitted_item(org, body=body), "head_office")
    task = claimed(org["secrecy"], publication)
    client.force_login(org["secrecy"])
    response = client.post(task_url(task, "approve"), {"comment": "已逐段核对，同意公开"})
    assert response.status_code == 422
    html = response.content.decode()
    decision = re.search(r'id="decide-approve">(.*?)</section>', html, re.S).group(1)
    assert "请逐条排除并说明理由后再通过" in decision
    assert "已逐段核对，同意公开</textarea>" in decision
    assert task_for(org["secrecy"], publication).status == "ASSIGNED"
