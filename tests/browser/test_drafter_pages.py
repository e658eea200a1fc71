"""A drafter drafts and submits an item in a real browser."""

import pytest

from publications.models import Publication
from tests.browser.helpers import fill_body, log_in
from testsupport.factories import make_org

pytestmark = pytest.mark.postgres


def test_drafter_creates_and_submits_an_item(page, shot):
    org = make_org(code="wenxian_housing")
    drafter = org["drafter_office"]
    page.goto(f"{page.base}/app/items/")
    page.wait_for_url("**/app/login/**")
    log_in(page, drafter, next_path="/app/items/")
    assert page.url.endswith("/app/items/")
    assert page.get_by_text("还没有信息，点击“新建”开始起草").is_visible()

    page.get_by_role("link", name="新建", exact=True).click()
    page.wait_for_url("**/app/items/new/")
    page.fill("input[name=title]", "关于开展建筑施工安全大检查的通知")
    fill_body(page, "各建筑施工企业：现将有关事项通知如下。")
    page.select_option("select[name=category]", "work_updates")
    page.check("input[name=article20_item][value=\"12\"]")
    page.fill("input[name=formed_on]", "2024-03-01")
    page.check("input[name=channels][value=website]")
    shot(page, "drafter-form")
    page.get_by_role("button", name="保存", exact=True).click()
    publication = Publication.objects.get()
    page.wait_for_url(f"**/app/items/{publication.pk}/")
    assert page.get_by_text("草稿").first.is_visible()

    page.get_by_role("button", name="提交审核").click()
    page.wait_for_url(f"**/app/items/{publication.pk}/")
    assert "已提交审核" in page.get_by_role("status").inner_text()
    shot(page, "drafter-item")

    page.get_by_role("link", name="我的信息").click()
    page.wait_for_url("**/app/items/")
    row = page.locator("tr", has_text="关于开展建筑施工安全大检查的通知")
    assert "审核中" in row.inner_text() and "科室审核" in row.inner_text()
    shot(page, "drafter-list")
