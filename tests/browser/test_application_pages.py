"""依申请公开 in a real browser, at desktop and phone widths: the registrar registers an
application, finds it in the queue, drafts the reply on the case page, and the leader in
charge approves it. Any JavaScript error fails the test."""

import re

import pytest

from agencies.models import Role
from applications.models import Application, ApplicationStatus
from tests.browser.helpers import log_in, watch_errors
from testsupport.factories import make_org, make_user

pytestmark = pytest.mark.postgres

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def fits_the_width(page) -> bool:
    """Nothing but the tables' own scroll boxes is wider than the window."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_register_queue_reply_and_approval(page, shot, width):
    page.set_viewport_size(WIDTHS[width])
    errors = watch_errors(page)
    org = make_org(code="wenxian_housing")
    handler = make_user(org.agency, "handler_office", [Role.APPLICATION_HANDLER],
                        org.sections["office"], display_name="李承办")

    # the registrar registers a letter received today
    log_in(page, handler, next_path="/app/applications/new/")
    form = page.get_by_test_id("intake-form")
    form.locator("select[name=received_via]").select_option("post")
    form.locator("input[name=applicant_name]").fill("张三")
    form.locator("input[name=contact_phone]").fill("13812341234")
    form.locator("textarea[name=content]").fill("2023 年度本县保障性住房分配名单及分配依据")
    form.locator("select[name=handler]").select_option("handler_office")
    shot(page, f"applications-intake-{width}")
    assert fits_the_width(page)
    form.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_url(re.compile(r".*/app/applications/\d+/$"))
    application = Application.objects.get()
    assert "已登记，申请编号" in page.get_by_role("status").first.inner_text()
    assert page.get_by_test_id("tracking-code").inner_text() == application.tracking_code
    assert "13812341234" in page.get_by_test_id("contact-phone").inner_text()

    # it waits in the registrar's queue, masked, with its days left; the drawer leads there
    # (on a phone, behind the menu button)
    if width == "phone":
        page.get_by_role("button", name="打开导航菜单").click()
    page.locator(".webui-app-menu").get_by_role("link", name="我的承办").click()
    page.wait_for_url("**/app/applications/mine/")
    row = page.get_by_test_id(f"application-{application.pk}")
    assert "138****1234" not in row.inner_text() and "张*" in row.inner_text()
    assert "剩余 20 个工作日" in row.inner_text() or "无法确定" in row.inner_text()
    shot(page, f"applications-queue-{width}")
    assert fits_the_width(page)
    row.get_by_role("link", name=application.tracking_code).click()
    page.wait_for_url(f"**/app/applications/{application.pk}/")

    # the case page: the clock, the day-by-day account, then the reply
    assert page.get_by_test_id("clock-history").is_visible()
    page.get_by_test_id("days-link").click()
    page.wait_for_url(f"**/app/applications/{application.pk}/days/")
    assert page.get_by_test_id("days").is_visible()
    shot(page, f"applications-days-{width}")
    assert fits_the_width(page)
    page.go_back()
    reply = page.get_by_test_id("action-reply")
    competent = reply.locator("#field-reply-competent_agency")
    assert competent.is_hidden()  # only for information not held here
    reply.locator("select[name=outcome]").select_option("unable_not_held")
    assert competent.is_visible()
    reply.locator("select[name=outcome]").select_option("disclosed")
    assert competent.is_hidden()
    reply.locator("textarea[name=basis]").fill(
        "《中华人民共和国政府信息公开条例》第三十六条第（二）项")
    reply.locator("textarea[name=text]").fill("经审查，您申请获取的政府信息予以公开，现提供如下。")
    shot(page, f"applications-case-{width}")
    assert fits_the_width(page)
    reply.get_by_role("button", name="提交审批").click()
    page.wait_for_url(f"**/app/applications/{application.pk}/")
    assert "答复已提交分管领导审批。" in page.get_by_role("status").first.inner_text()
    assert "答复待审批" in page.get_by_test_id("status").inner_text()

    # the leader in charge approves it from their queue, after confirming
    log_in(page, org["leader"], next_path="/app/applications/approvals/")
    row = page.get_by_test_id(f"approval-{application.pk}")
    assert "答复待审批" in row.inner_text() and "予以公开" in row.inner_text()
    shot(page, f"applications-approvals-{width}")
    row.get_by_role("link", name="审批").click()
    page.wait_for_url(f"**/app/applications/{application.pk}/#approve")
    approve = page.get_by_test_id("action-approve-reply")
    approve.locator("textarea[name=comment]").fill("同意")
    approve.get_by_role("button", name="批准并发出答复").click()
    assert page.get_by_test_id("confirm").is_visible()
    shot(page, f"applications-confirm-{width}")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REPLY_PENDING_APPROVAL
    page.get_by_test_id("confirm-button").click()
    page.wait_for_url(f"**/app/applications/{application.pk}/")
    assert "已批准，答复已发出。" in page.get_by_role("status").first.inner_text()
    assert "已答复" in page.get_by_test_id("status").inner_text()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REPLIED
    shot(page, f"applications-replied-{width}")
    assert not errors, errors
