"""The annual report in a real browser, at desktop and phone widths: the report editor fills
in the narrative, finalises and submits it; the review (called through the workflow
services) approves it and the site channel publishes it; a citizen finds it in the
column's 年度报告 section, with its tables and the .docx and .pdf. Any JavaScript error
fails the test."""

import re

import pytest
from django.utils import timezone

from agencies.models import Role
from disclosure import reports
from publications.models import Publication
from releases import delivery
from releases.models import Release
from tests.browser.helpers import log_in, watch_errors
from testsupport.factories import approve_through, make_org, make_user

pytestmark = pytest.mark.postgres

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
YEAR = timezone.localdate().year - 1


def fits_the_width(page) -> bool:
    """Nothing but the tables' own scroll boxes is wider than the window."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_report_is_written_finalised_reviewed_and_published(page, shot, width):
    page.set_viewport_size(WIDTHS[width])
    errors = watch_errors(page)
    org = make_org(code="wenxian_housing")
    org.agency.name = "温县住房和城乡建设局"
    org.agency.report_section = org.sections["office"]
    org.agency.save()
    editor = make_user(org.agency, "report_editor", [Role.REPORT_EDITOR],
                       display_name="王编辑")
    title = f"温县住房和城乡建设局{YEAR}年政府信息公开工作年度报告"

    # the editor lands on last year's report: a draft, with placeholders to fill in
    log_in(page, editor, next_path="/app/")
    page.wait_for_url(f"**/app/reports/{YEAR}/")
    assert "草稿" in page.get_by_test_id("report-status").inner_text()
    assert page.get_by_test_id("check-narrative_unfinished").is_visible()
    assert page.locator("mark.webui-placeholder").first.is_visible()
    shot(page, f"report-draft-{width}")
    assert fits_the_width(page)

    for key in reports.SECTION_KEYS:
        box = page.locator(f"textarea[name={key}]")
        text = box.input_value()
        if reports.PLACEHOLDER in text:
            box.fill(re.sub(r"【请填写[^】]*】", "本年度各项工作均按计划完成。", text))
    page.get_by_test_id("save-sections").click()
    page.wait_for_url(f"**/app/reports/{YEAR}/**")
    assert "已保存正文" in page.get_by_role("status").first.inner_text()
    assert page.locator("mark.webui-placeholder").count() == 0
    assert page.get_by_test_id("edited-supervision").is_visible()

    # finalise, behind its confirmation page
    page.get_by_test_id("finalise-link").click()
    page.wait_for_url(f"**/app/reports/{YEAR}/finalise/")
    shot(page, f"report-finalise-{width}")
    page.get_by_test_id("confirm-finalise").click()
    page.wait_for_url(f"**/app/reports/{YEAR}/")
    assert "已定稿" in page.get_by_test_id("report-status").inner_text()
    assert page.locator("textarea").count() == 0

    # the downloads are the API's files, signed in by the session
    with page.expect_download() as download:
        page.get_by_test_id("downloads").get_by_role("link", name="Word").click()
    assert download.value.suggested_filename == f"{title}.docx"

    # submit for review in the report section (the office, preselected)
    page.get_by_test_id("submit-link").click()
    page.wait_for_url(f"**/app/reports/{YEAR}/submit/")
    assert page.locator("select[name=section]").input_value() == "office"
    shot(page, f"report-submit-{width}")
    assert fits_the_width(page)
    page.get_by_test_id("confirm-submit").click()
    page.wait_for_url(f"**/app/reports/{YEAR}/")
    assert "已报送审核" in page.get_by_role("status").first.inner_text()
    assert "审核中" in page.get_by_test_id("report-state").inner_text()
    shot(page, f"report-final-{width}")
    assert fits_the_width(page)
    publication = Publication.objects.get(title=title)

    # the review, and the site channel delivers the release
    approve_through(org, publication, "head_office", "secrecy", "leader")
    assert publication.status == "approved"
    delivery.deliver(Release.objects.get(publication=publication, channel__kind="site").pk)
    page.reload()
    assert "已发布" in page.get_by_test_id("report-state").inner_text()

    # a citizen finds it in the column's 年度报告 section
    page.context.clear_cookies()
    page.goto(f"{page.base}/gk/wenxian_housing/")
    page.get_by_test_id("reports-link").click()
    page.wait_for_url("**/gk/wenxian_housing/reports/")
    entry = page.get_by_test_id(f"annual-report-{YEAR}")
    assert title in entry.inner_text()
    shot(page, f"public-reports-{width}")
    assert fits_the_width(page)
    entry.get_by_role("link", name=title).click()
    page.wait_for_url(f"**/gk/wenxian_housing/items/{publication.pk}/")
    body = page.locator(".body")
    assert "三、收到和处理政府信息公开申请情况" in body.inner_text()
    assert body.locator("table").count() >= 3
    assert "（三）不予公开" in body.inner_text()
    files = page.locator("#attachments + ul").inner_text()
    assert f"{title}.docx" in files and f"{title}.pdf" in files
    with page.expect_download() as download:
        page.get_by_role("link", name=f"{title}.pdf").click()
    assert download.value.suggested_filename == f"{title}.pdf"
    shot(page, f"public-report-{width}")
    assert fits_the_width(page)
    assert errors == []
