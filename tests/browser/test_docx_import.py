"""The drafter's whole job in a real browser, at desktop and phone widths: 导入 Word (a .docx
with a heading, a merged-cell table, a centred and an indented paragraph lands in the editor
as it was), the preview shows the table as the column will, then 预检 finds the contact's
mobile number, 一键脱敏 masks it after the dialog's confirmation, and the item is submitted.
Any JavaScript error fails the test."""

import re

import pytest

from publications.models import Publication
from tests.browser.helpers import body_editor, log_in, watch_errors
from testsupport.docx_files import TITLE, word_document
from testsupport.factories import make_org

pytestmark = pytest.mark.postgres

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MOBILE = "13912345678"


@pytest.mark.parametrize("width", list(WIDTHS))
def test_a_docx_with_a_table_is_imported_into_the_editor(page, shot, width):
    page.set_viewport_size(WIDTHS[width])
    errors = watch_errors(page)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    org = make_org(code="wenxian_housing")
    log_in(page, org["drafter_office"], next_path="/app/items/new/")
    page.wait_for_url("**/app/items/new/")
    body_editor(page)  # the editor is up before anything is imported
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    page.get_by_test_id("docx-import").locator("input[type=file]").set_input_files(
        files=[{"name": "资金分配公示.docx", "mimeType": DOCX,
                "buffer": word_document(contact=MOBILE)}])
    page.get_by_role("button", name="导入", exact=True).click()
    page.wait_for_url("**/app/items/new/import/")
    editor = body_editor(page)
    cell = editor.locator("td[colspan='3']")
    assert cell.inner_text().strip() == "资金分配表"
    assert editor.locator("tr").count() == 3
    assert editor.locator("h2", has_text="一、分配原则").is_visible()
    assert editor.locator("p[style*='text-align: center']", has_text="温县住房").count() == 1
    assert editor.locator("p[style*='text-indent: 2em']").count() == 1
    assert page.input_value("input[name=title]") == TITLE
    assert "保存草稿后，在修改页面再次导入该文档" in page.get_by_role("status").inner_text()
    shot(page, f"docx-import-{width}")

    page.select_option("select[name=category]", "work_updates")
    page.check("input[name=article20_item][value=\"12\"]")
    page.fill("input[name=formed_on]", "2024-03-01")
    page.check("input[name=channels][value=website]")
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url(re.compile(r".*/app/items/\d+/$"))
    publication = Publication.objects.get()
    saved = re.sub(r">\s+<", "><", publication.body)  # the editor indents its HTML
    assert '<td colspan="3"><p>资金分配表</p></td>' in saved
    assert '<p style="text-indent:2em">现将' in saved

    page.get_by_test_id("preview-link").click()
    page.wait_for_url(f"**/app/items/{publication.pk}/preview/")
    assert "预览 — 尚未发布" in page.get_by_test_id("preview-banner").inner_text()
    assert page.locator(".body td[colspan='3']").inner_text().strip() == "资金分配表"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, f"docx-preview-{width}")

    # 预检 before submitting: the mobile number is found (and shown masked), 一键脱敏 masks it
    page.goto(f"{page.base}/app/items/{publication.pk}/")
    page.get_by_test_id("prescan-button").click()
    card = page.get_by_test_id("prescan")
    assert "手机号码" in card.inner_text() and MOBILE not in card.inner_text()
    card.get_by_role("button", name="一键脱敏").click()
    page.get_by_role("dialog").get_by_role("button", name="确认脱敏").click()
    page.wait_for_load_state()
    assert MOBILE not in Publication.objects.get(pk=publication.pk).body
    assert "资金分配表" in Publication.objects.get(pk=publication.pk).body  # the rest is kept
    page.get_by_role("button", name="提交审核").click()
    page.wait_for_url(re.compile(r".*/app/items/\d+/$"))
    assert "待签收" in page.get_by_test_id("progress-section_head_review").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, f"docx-submitted-{width}")
    assert errors == []
    assert all(url.startswith(page.base) or url.startswith("data:") for url in requests), [
        url for url in requests if not url.startswith(page.base)]
