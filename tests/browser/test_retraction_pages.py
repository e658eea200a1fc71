"""The leader's 撤稿 in a browser, on a desktop and on a phone: from the item page through
the confirmation that lists each channel, and a publisher's request approved from the queue."""

import re

import pytest

from publications.models import Publication
from releases.services import request_retraction
from tests.browser.helpers import log_in
from testsupport.factories import approve_through, make_org, submitted_item

pytestmark = pytest.mark.postgres

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def released(org, title):
    publication = submitted_item(org, channels=["website", "jiaozuo_daily"], title=title)
    return approve_through(org, publication, "head_office", "secrecy", "leader")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_a_leader_retracts_and_decides_a_request(page, shot, width):
    page.set_viewport_size(WIDTHS[width])
    org = make_org(code="wenxian_housing")
    direct = released(org, "关于2024年度保障性住房分配结果的公示（第一批）")
    asked = released(org, "关于暂停办理住房公积金提取业务的通知")
    request = request_retraction(user=org["publisher"], publication_id=asked.pk,
                                 reason="业务已恢复办理，通知内容已失效")

    # 撤稿 from the item page: the confirmation says what happens on each channel
    log_in(page, org["leader"], next_path=f"/app/items/{direct.pk}/")
    page.get_by_test_id("retract-link").click()
    page.wait_for_url(f"**/app/items/{direct.pk}/retract/")
    assert "将通过渠道撤回" in page.get_by_test_id("plan-website").inner_text()
    assert "尚未发出，直接撤回" in page.get_by_test_id("plan-jiaozuo_daily").inner_text()
    shot(page, f"retraction-confirm-{width}")
    assert fits_the_width(page)
    page.locator("textarea[name=reason]").fill("公示名单有误，需重新核对")
    page.get_by_test_id("retract-button").click()
    assert page.locator(".webui-field-error").first.is_visible()  # the box is not ticked
    page.locator("input[name=confirmed]").check()
    page.get_by_test_id("retract-button").click()
    page.wait_for_url(f"**/app/items/{direct.pk}/")
    record = page.get_by_test_id("end-record").inner_text()
    assert "公示名单有误" in record and "领导直接撤稿" in record
    shot(page, f"retraction-record-{width}")
    assert fits_the_width(page)

    # the publisher's request, from the queue
    page.goto(f"{page.base}/app/review/retractions/")
    row = page.get_by_test_id(f"retraction-{request.pk}")
    assert "业务已恢复办理" in row.inner_text()
    shot(page, f"retraction-queue-{width}")
    assert fits_the_width(page)
    row.get_by_role("link", name=asked.title).click()
    page.wait_for_url(f"**/app/review/retractions/{request.pk}/")
    shot(page, f"retraction-request-{width}")
    assert fits_the_width(page)
    approve = page.get_by_test_id("approve")
    approve.locator("input[name=confirmed]").check()
    approve.get_by_test_id("approve-button").click()
    page.wait_for_url(re.compile(r".*/app/review/retractions/$"))
    assert page.get_by_test_id("empty").is_visible()
    asked.refresh_from_db()
    assert asked.status == "retracted"
    assert Publication.objects.filter(status="retracted").count() == 2
