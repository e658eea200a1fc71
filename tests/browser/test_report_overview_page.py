"""年度报告汇总 in a real browser, at desktop and phone widths: the county's supervisor lands on
the page after login, reads the departments' coloured statuses, opens a department's failing
checks and downloads the workbook under its Chinese name. Any JavaScript error fails."""

import pytest

from agencies.models import Role
from disclosure import report_services
from tests.browser.helpers import log_in
from tests.browser.test_application_pages import WIDTHS, fits_the_width, watch_errors
from testsupport.factories import make_org, make_user

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_supervisor_reads_the_statuses_and_downloads_the_summary(page, shot, width):
    page.set_viewport_size(WIDTHS[width])
    errors = watch_errors(page)
    gov = make_org(code="wenxian_gov", prefix="gov_")
    gov.agency.name = "温县人民政府"
    gov.agency.save()
    supervisor = make_user(gov.agency, "county_supervisor", [Role.AUDITOR],
                           display_name="马丽")
    housing = make_org(code="wenxian_housing", prefix="h_")
    housing.agency.name, housing.agency.parent = "温县住房和城乡建设局", gov.agency
    housing.agency.save()
    archives = make_org(code="wenxian_archives", prefix="a_")
    archives.agency.name, archives.agency.parent = "温县档案馆", gov.agency
    archives.agency.save()
    year = report_services.timezone.localdate().year - 1
    report_services.edit_sections(user=housing["admin"], agency=housing.agency, year=year,
                                  sections={"other": "无。"})

    log_in(page, supervisor)
    page.wait_for_url("**/app/subordinates/")
    housing_row = page.get_by_test_id("agency-wenxian_housing")
    assert "校核未通过" in housing_row.inner_text()
    assert "尚未开始" in page.get_by_test_id("agency-wenxian_archives").inner_text()
    chip = housing_row.locator(".webui-chip")
    assert chip.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 205, 210)"
    housing_row.locator("summary").click()
    assert housing_row.locator(".webui-overview-checks li").first.is_visible()
    shot(page, f"report-overview-{width}")
    assert fits_the_width(page)

    with page.expect_download() as download:
        page.get_by_test_id("download").click()
    assert download.value.suggested_filename == (
        f"温县人民政府{year}年下属单位政府信息公开工作年度报告汇总.xlsx")
    assert errors == []
