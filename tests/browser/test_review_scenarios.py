"""The review as people do it: every tier in its own browser session, then the auditor.

Each person signs in on the login page and works only with what the pages offer: the bell,
the queues, the task page's buttons, the item's editor.
"""

import re

import pytest

from audit.selectors import subject_trail
from publications.models import Publication
from tests.browser.helpers import fill_body, log_in
from testsupport.factories import make_org, submitted_item, task_for
from webui.templatetags.webui import action_label
from workflow import services as review

pytestmark = pytest.mark.postgres


def bell_count(page) -> int:
    count = page.get_by_test_id("bell-count")
    return int(count.inner_text()) if count.is_visible() else 0


def approve_from_the_queue(page, shot, user, title, *, step_label, screenshot=None):
    """Sign in, find the item in the queue, claim it, open it and approve."""
    log_in(page, user, next_path="/app/review/")
    row = page.locator("tr", has_text=title)
    assert step_label in row.inner_text()
    if screenshot:
        shot(page, f"{screenshot}-queue")
    row.get_by_role("button", name="签收").click()
    page.wait_for_url(re.compile(r".*/app/review/tasks/\d+/$"))
    if screenshot:
        shot(page, f"{screenshot}-task")
    page.locator("#decide-approve").get_by_role("button", name="通过").click()
    if step_label == "领导审签":  # the final approval asks to confirm first
        page.get_by_role("dialog").get_by_role("button", name="确认通过").click()
    page.wait_for_url(re.compile(r".*/app/review/(mine/)?(\?.*)?$"))
    assert page.get_by_role("status").first.is_visible()


def test_a_full_approval_round_and_the_auditors_timeline(page, shot):
    org = make_org(code="wenxian_housing")
    title = "关于2024年度住房保障资金分配情况的公示"

    # the drafter drafts and submits
    log_in(page, org["drafter_office"], next_path="/app/items/new/")
    page.fill("input[name=title]", title)
    fill_body(page, "现将2024年度住房保障资金分配情况予以公示。")
    page.select_option("select[name=category]", "work_updates")
    page.fill("input[name=formed_on]", "2024-05-06")
    page.check("input[name=channels][value=website]")
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url(re.compile(r".*/app/items/\d+/$"))
    page.get_by_role("button", name="提交审核").click()
    page.wait_for_url(re.compile(r".*/app/items/\d+/$"))
    assert "科室审核" in page.locator(".webui-bar").inner_text()
    publication = Publication.objects.get(title=title)

    # the section head is told, finds it in the queue and approves
    log_in(page, org["head_office"], next_path="/app/review/")
    assert bell_count(page) == 1
    page.get_by_test_id("bell").click()
    page.wait_for_url("**/app/notifications/")
    assert title in page.get_by_test_id("notification").first.inner_text()
    shot(page, "notifications")
    approve_from_the_queue(page, shot, org["head_office"], title, step_label="科室审核",
                           screenshot="review")

    approve_from_the_queue(page, shot, org["secrecy"], title, step_label="保密审查")
    approve_from_the_queue(page, shot, org["leader"], title, step_label="领导审签")
    publication.refresh_from_db()
    assert publication.status == "approved"

    # the auditor finds it in the trail and reads its timeline, every event in chain order
    log_in(page, org["auditor"], next_path="/app/audit/")
    shot(page, "audit-trail")
    page.get_by_role("link", name=title).first.click()
    page.wait_for_url(f"**/app/audit/items/{publication.pk}/")
    shot(page, "audit-timeline")
    shown = page.locator(".webui-timeline-action").all_inner_texts()
    expected = [str(action_label(action)) for action in
                subject_trail(subject=publication).values_list("action", flat=True)]
    assert shown == expected
    assert len(shown) >= 8  # create, submit, three claims and three approvals at least
    for name in ("head_office", "secrecy", "leader"):
        assert name in page.get_by_test_id("audit-timeline").inner_text()

    page.goto(f"{page.base}/app/audit/verify/")
    page.get_by_role("button", name=re.compile("校验")).click()
    page.wait_for_load_state()
    assert "校验通过" in page.content()
    shot(page, "audit-verify")


def test_a_returned_item_is_edited_resubmitted_and_the_change_shown(page, shot):
    org = make_org(code="wenxian_housing")
    publication = submitted_item(org, title="关于调整公租房租金标准的通知",
                                 body="<div>租金标准为每平方米每月8元。</div>")

    # the head returns it with a comment
    log_in(page, org["head_office"], next_path="/app/review/")
    page.locator("tr", has_text=publication.title).get_by_role("button", name="签收").click()
    page.wait_for_url(re.compile(r".*/app/review/tasks/\d+/$"))
    page.locator("#decide-reject").get_by_role("button", name="退回").click()
    assert page.locator("#decide-reject .webui-field-error").is_visible()  # comment required
    page.locator("#decide-reject textarea").fill("请写明新标准的执行日期")
    page.locator("#decide-reject").get_by_role("button", name="退回").click()
    page.wait_for_url(re.compile(r".*/app/review/(mine/)?(\?.*)?$"))

    # the drafter is told, follows the notice, reads the comment next to the editor
    log_in(page, org["drafter_office"], next_path="/app/items/")
    assert bell_count(page) == 1
    page.get_by_test_id("bell").click()
    notice = page.get_by_test_id("notification").first
    assert "请写明新标准的执行日期" in notice.inner_text()
    notice.get_by_role("link").first.click()
    page.wait_for_url(f"**/app/items/{publication.pk}/")
    assert "退回修改" in page.locator(".webui-bar").inner_text()
    page.get_by_role("link", name="修改", exact=True).click()
    page.wait_for_url(f"**/app/items/{publication.pk}/edit/")
    assert "请写明新标准的执行日期" in page.get_by_test_id("reject-comment").inner_text()
    shot(page, "drafter-returned-edit")
    fill_body(page, "自2024年7月1日起执行。", append=True)
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url(f"**/app/items/{publication.pk}/")
    page.get_by_role("button", name="提交审核").click()
    page.wait_for_url(f"**/app/items/{publication.pk}/")
    assert bell_count(page) == 0  # the notice was read when followed

    # the head sees what changed since the round they returned
    log_in(page, org["head_office"], next_path="/app/review/")
    page.locator("tr", has_text=publication.title).get_by_role("button", name="签收").click()
    page.wait_for_url(re.compile(r".*/app/review/tasks/\d+/$"))
    changes = page.get_by_test_id("body-diff")
    assert "自2024年7月1日起执行。" in changes.locator("ins").all_inner_texts()[0]
    shot(page, "review-diff")


def test_people_without_the_role_get_no_button_and_a_403(page, shot):
    org = make_org(code="wenxian_housing")
    publication = submitted_item(org)

    log_in(page, org["auditor"], next_path=f"/app/items/{publication.pk}/")
    assert page.get_by_role("button", name="提交审核").count() == 0
    assert page.get_by_role("button", name="撤回").count() == 0
    assert page.get_by_role("link", name="新建信息").count() == 0
    assert page.get_by_test_id("app-review").count() == 0  # no review in the drawer
    response = page.goto(f"{page.base}/app/review/")
    assert response.status == 403
    assert "没有权限" in page.content()
    shot(page, "forbidden")

    log_in(page, org["drafter_office"], next_path="/app/items/")
    task = task_for(org["head_office"], publication)
    assert page.goto(f"{page.base}/app/review/tasks/{task.pk}/").status == 403
    assert page.goto(f"{page.base}/app/audit/").status == 403
    publication.refresh_from_db()
    assert publication.status == "in_review"


def test_the_head_is_told_of_a_queued_item_and_the_drafter_of_a_return(page):
    org = make_org(code="wenxian_housing")
    log_in(page, org["head_office"], next_path="/app/review/")
    assert bell_count(page) == 0
    publication = submitted_item(org, title="关于公布住房维修资金使用情况的通知")
    page.reload()
    assert bell_count(page) == 1
    page.get_by_test_id("bell").click()
    page.get_by_test_id("notification").first.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r".*/app/review/tasks/\d+/$"))  # the link leads to the task
    assert publication.title in page.get_by_test_id("content").inner_text()

    review.reject_task(user=org["head_office"], task_id=task_for(org["head_office"],
                                                                 publication).pk,
                       comment="附件缺少盖章页")
    log_in(page, org["drafter_office"], next_path="/app/items/")
    assert bell_count(page) == 1
    page.get_by_test_id("bell").click()
    assert "附件缺少盖章页" in page.get_by_test_id("notification").first.inner_text()
