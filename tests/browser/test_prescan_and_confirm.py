"""The drafter pre-scans, masks and submits in a real browser, then withdraws through the
confirmation dialog (cancelled once, then confirmed)."""

import re

import pytest

from publications.models import Publication
from tests.browser.helpers import log_in, resize
from testsupport.factories import create_item, make_org

pytestmark = pytest.mark.postgres

MOBILE = "13812345678"


def test_the_drafter_prescans_masks_submits_and_withdraws_after_confirming(page, shot):
    org = make_org(code="wenxian_housing")
    publication = create_item(org, body=f"<p>联系人电话：{MOBILE}</p>")
    url = f"**/app/items/{publication.pk}/"
    log_in(page, org["drafter_office"], next_path=f"/app/items/{publication.pk}/")

    page.get_by_test_id("prescan-button").click()
    page.wait_for_url(url + "#prescan")
    card = page.get_by_test_id("prescan")
    assert "手机号码" in card.inner_text() and MOBILE not in card.inner_text()
    assert not card.locator("input[name=confirm]").is_visible()  # the dialog asks instead
    resize(page, 390, 844)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "prescan-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    card.get_by_role("button", name="一键脱敏").click()
    page.get_by_role("dialog").get_by_role("button", name="确认脱敏").click()
    page.wait_for_load_state()
    assert "未发现敏感词、个人信息或密级标识" in page.get_by_test_id("prescan").inner_text()
    assert MOBILE not in Publication.objects.get(pk=publication.pk).body

    page.get_by_role("button", name="提交审核").click()
    page.wait_for_url(re.compile(r".*/app/items/\d+/$"))
    assert "待签收" in page.get_by_test_id("progress-section_head_review").inner_text()

    withdraw = page.get_by_role("button", name="撤回", exact=True)
    withdraw.click()
    dialog = page.get_by_role("dialog")
    assert "撤回后本轮审核终止" in dialog.inner_text()
    shot(page, "withdraw-dialog")
    dialog.get_by_role("button", name="取消").click()
    assert Publication.objects.get(pk=publication.pk).status == "in_review"

    withdraw.click()
    page.get_by_role("dialog").get_by_role("button", name="确认撤回").click()
    page.wait_for_load_state()
    assert "已撤回" in page.get_by_role("status").inner_text()
    assert Publication.objects.get(pk=publication.pk).status == "withdrawn"
