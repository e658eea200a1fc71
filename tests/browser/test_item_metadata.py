"""A drafter enters a 规章 with its 文号 and effective date in a real browser, at desktop and
phone widths: the document fields appear once Art. 20 item (1) is chosen, the decision and
fee fields stay hidden, the document it abolishes is found by its 文号, and the item page
shows what was saved. Any JavaScript error fails
the test."""

import datetime as dt

import pytest

from publications.models import Publication
from tests.browser.helpers import fill_body, log_in, watch_errors
from testsupport.factories import approve_through, make_org, submitted_item

pytestmark = pytest.mark.postgres

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def released_documents(org, n) -> list:
    return [approve_through(org, submitted_item(
        org, title=f"建筑市场管理规定（第{i}版）", article20_item=1,
        document_type="normative_document", document_number=f"温住建〔2019〕{i}号"),
        "head_office", "secrecy", "leader") for i in range(1, n + 1)]


def fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_drafter_creates_a_rule_with_number_and_effective_date(page, shot, width):
    page.set_viewport_size(WIDTHS[width])
    errors = watch_errors(page)
    org = make_org(code="wenxian_housing")
    documents = released_documents(org, 9)
    log_in(page, org["drafter_office"], next_path="/app/items/new/")
    page.wait_for_url("**/app/items/new/")

    document, decision, fee = (page.get_by_test_id(f"group-{name}")
                               for name in ("document", "decision", "fee"))
    # nothing chosen yet: none of table 二's fields apply
    assert not document.is_visible() and not decision.is_visible() and not fee.is_visible()
    page.get_by_label("第（5）项", exact=False).check()
    assert decision.is_visible() and not document.is_visible()
    assert page.locator("select[name=decision_type] option[value=penalty]").is_disabled()

    page.fill("input[name=title]", "温县建筑市场管理办法")
    fill_body(page, "第一条 为规范本县建筑市场秩序，制定本办法。")
    page.select_option("select[name=category]", "work_updates")
    page.get_by_label("第（1）项　行政法规、规章和规范性文件").check()
    assert document.is_visible() and not decision.is_visible() and not fee.is_visible()
    document.get_by_label("文件类型").select_option("rule")
    document.get_by_label("文号", exact=True).fill("温住建规〔2024〕1号")
    document.get_by_label("生效日期").fill("2024-04-01")
    # nine documents to choose from: the list gets a filter by 文号 or title
    document.get_by_placeholder("按文号或标题查找").fill("〔2019〕7号")
    choices = document.locator("[data-filter-list=abolishes] label")
    assert [c.inner_text() for c in choices.all() if c.is_visible()] == [
        "温住建〔2019〕7号　建筑市场管理规定（第7版）（行政规范性文件）"]
    choices.filter(has_text="〔2019〕7号").locator("input").check()
    page.fill("input[name=formed_on]", "2024-03-01")
    page.check("input[name=channels][value=website]")
    shot(page, f"item-metadata-form-{width}")
    assert fits_the_width(page)
    page.get_by_role("button", name="保存", exact=True).click()

    publication = Publication.objects.get(document_type="rule")
    page.wait_for_url(f"**/app/items/{publication.pk}/")
    assert (publication.article20_item, publication.document_type, publication.document_number,
            publication.effective_on) == (1, "rule", "温住建规〔2024〕1号", dt.date(2024, 4, 1))
    assert publication.decision_type == "" and publication.fee_amount_yuan is None
    facts = page.get_by_test_id("table2-facts")
    assert "第（1）项　行政法规、规章和规范性文件" in facts.inner_text()
    assert page.get_by_test_id("fact-document_type").inner_text() == "规章"
    assert page.get_by_test_id("fact-document_number").inner_text() == "温住建规〔2024〕1号"
    assert page.get_by_test_id("fact-effective_on").inner_text() == "2024-04-01"
    assert page.get_by_test_id("fact-abolishes").inner_text() == (
        "温住建〔2019〕7号　建筑市场管理规定（第7版）")
    assert list(publication.abolishes.all()) == [documents[6]]
    shot(page, f"item-metadata-detail-{width}")
    assert fits_the_width(page)

    # the edit form opens with the document fields shown and filled
    page.get_by_role("link", name="修改", exact=True).click()
    page.wait_for_url(f"**/app/items/{publication.pk}/edit/")
    assert document.is_visible() and not decision.is_visible()
    assert document.get_by_label("文号", exact=True).input_value() == "温住建规〔2024〕1号"
    assert errors == []
