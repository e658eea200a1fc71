"""已办: the tasks a reviewer decided, newest first, searchable, in constant queries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from testsupport.factories import approve_through, submitted_item, task_for
from workflow import services as review

pytestmark = pytest.mark.postgres

DONE = "/app/review/done/"


def rows(html) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-testid="done-(\d+)">', html)]


def get(client, **params) -> str:
    response = client.get(DONE, params)
    assert response.status_code == 200
    return response.content.decode()


def test_done_lists_the_persons_decisions_newest_first_with_step_decision_and_comment(
        client, org):
    head = org["head_office"]
    first = submitted_item(org, title="先通过的信息", document_number="温住建〔2024〕3号")
    review.approve_task(user=head, task_id=(approved := task_for(head, first)).pk,
                        comment="同意，内容准确")
    second = submitted_item(org, title="后退回的信息")
    review.reject_task(user=head, task_id=(rejected := task_for(head, second)).pk,
                       comment="请补充发文依据" * 10)
    review.approve_task(user=org["head_office_2"],
                        task_id=task_for(org["head_office_2"], submitted_item(org)).pk)
    client.force_login(head)
    html = get(client)
    assert rows(html) == [rejected.pk, approved.pk]  # not a colleague's decision
    row = re.search(rf'data-testid="done-{approved.pk}">(.*?)</tr>', html, re.S).group(1)
    for text in ("先通过的信息", "温住建〔2024〕3号", "科室审核", "通过", "同意，内容准确"):
        assert text in row
    row = re.search(rf'data-testid="done-{rejected.pk}">(.*?)</tr>', html, re.S).group(1)
    assert "退回" in row
    comment = re.search(r'data-label="审核意见"[^>]*>(.*?)</td>', row, re.S).group(1)
    assert len(comment) == 60 and comment.startswith("请补充发文依据")  # a long one is cut
    assert "已办" in html  # the menu entry


def test_done_search_by_title_or_document_number_and_the_empty_states(client, org):
    secrecy = org["secrecy"]
    client.force_login(secrecy)
    assert "暂无已办任务" in get(client)
    for title, number in (("关于供暖的通知", "温住建〔2024〕1号"), ("关于物业的公告", "")):
        publication = approve_through(org, submitted_item(org, title=title,
                                                          document_number=number),
                                      "head_office")
        review.withhold_task(user=secrecy, task_id=task_for(secrecy, publication).pk,
                             basis="state_secret", comment="涉密")
    assert "关于供暖的通知" in get(client, q="供暖") and "关于物业" not in get(client, q="供暖")
    assert "关于供暖的通知" in get(client, q="〔2024〕1号")
    html = get(client)
    assert "不予公开" in html and "属于国家秘密" in html
    assert "没有符合搜索条件的已办任务" in get(client, q="不存在的标题")
    assert client.get(DONE, {"q": "x" * 500, "page": "abc"}).status_code == 200


def test_done_pages_20_rows_and_its_query_count_does_not_grow(client, org):
    head = org["head_office"]
    client.force_login(head)

    def decide(n):
        for _ in range(n):
            review.approve_task(user=head, task_id=task_for(head, submitted_item(org)).pk)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(DONE).status_code == 200
        return len(captured)

    decide(5)
    five = queries()
    decide(16)
    assert queries() == five
    html = get(client)
    assert len(rows(html)) == 20 and "共 21 条" in html
    assert len(rows(get(client, page="2"))) == 1
