"""A reviewer picks a saved phrase (常用意见): the script puts it into the comment, which the
approval records; afterwards the next task opens and 已办 lists the decision; the lists fit
a phone's width."""

import re

import pytest

from tests.browser.helpers import log_in
from testsupport.factories import make_org, submitted_item, task_for
from workflow import services as review
from workflow.phrases import add_comment_phrase

pytestmark = pytest.mark.postgres


def test_a_phrase_is_inserted_into_the_comment_and_the_next_task_opens(page, shot):
    org = make_org(code="wenxian_housing")
    head = org["head_office"]
    add_comment_phrase(user=head, text="内容准确，同意公开。")
    first = submitted_item(org, title="关于公租房租金标准的通知")
    submitted_item(org, title="关于物业服务收费的公告")
    task = task_for(head, first)
    review.claim_task(user=head, task_id=task.pk)

    log_in(page, head, next_path=f"/app/review/tasks/{task.pk}/")
    comment = page.locator("#approve_comment")
    comment.fill("经核对")
    page.locator("#approve_comment_phrase").select_option(label="内容准确，同意公开。")
    assert comment.input_value() == "经核对；内容准确，同意公开。"
    assert page.locator("#approve_comment_phrase").input_value() == ""
    shot(page, "review-phrase-inserted")
    page.locator("#decide-approve").get_by_role("button", name="通过").click()
    page.wait_for_url(re.compile(r".*/app/review/tasks/\d+/$"))
    assert "关于物业服务收费的公告" in page.locator("h1").first.inner_text()
    task.refresh_from_db()
    assert task.data["comment"] == "经核对；内容准确，同意公开。"

    page.goto(f"{page.base}/app/review/done/")
    assert "经核对；内容准确，同意公开。" in page.get_by_test_id("done-rows").inner_text()

    # the reviewers' lists fit a phone's width
    page.set_viewport_size({"width": 390, "height": 800})
    for path in ("/app/review/", "/app/review/mine/", "/app/review/done/",
                 "/app/review/phrases/"):
        page.goto(f"{page.base}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
