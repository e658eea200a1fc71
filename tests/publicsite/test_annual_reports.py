"""The column's 年度报告 section (/gk/<agency>/reports/): the agency's released annual
reports by year, each linking to its item page, and nothing that is not public."""

import pytest
from django.utils import timezone

from disclosure.models import AnnualReport
from publications.models import Category
from releases.models import Release
from tests.publicsite.test_public_site import (
    approved_item,
    public_item,
    retract,
    submitted_item,
)
from testsupport.factories import make_org

pytestmark = pytest.mark.django_db
BASE = "/gk/test_agency"


def report_category(org):
    return Category.objects.get_or_create(agency=org.agency, code="annual_report",
                                          defaults={"name": "年度报告"})[0]


def carried_by_report(org, publication, year, version=1):
    AnnualReport.objects.create(agency=org.agency, year=year, version=version, status="final",
                                snapshot={}, fingerprint="f" * 64, publication=publication)
    return publication


def listed(client, base=BASE) -> str:
    response = client.get(f"{base}/reports/")
    assert response.status_code == 200
    return response.content.decode()


def test_only_released_annual_reports_are_listed(client, org, other_org):
    report_category(org)
    report_category(other_org)
    released = public_item(org, title="2025年政府信息公开工作年度报告", category="annual_report")
    hidden = {
        "in review": submitted_item(org, title="审核中的年度报告", category="annual_report"),
        "release pending": approved_item(org, title="待发布的年度报告", category="annual_report"),
        "retracted": public_item(org, title="已撤稿的年度报告", category="annual_report"),
        "other category": public_item(org, title="工作动态一则", category="work_updates"),
        "wechat only": approved_item(org, title="只在微信发布的年度报告",
                                     category="annual_report"),
        "another agency": public_item(other_org, title="别的机关的年度报告",
                                      category="annual_report"),
    }
    retract(hidden["retracted"], timezone.now())
    Release.objects.filter(publication=hidden["wechat only"], channel__kind="wechat").update(
        status="published", published_at=timezone.now())
    html = listed(client)
    assert f'href="{BASE}/items/{released.pk}/"' in html
    assert "2025年政府信息公开工作年度报告" in html
    for what, publication in hidden.items():
        assert f"/items/{publication.pk}/" not in html, what
        assert publication.title not in html, what
    assert client.get(f"{BASE}/items/{released.pk}/").status_code == 200


def test_reports_are_listed_by_report_year_newest_first(client, org):
    report_category(org)
    older = carried_by_report(org, public_item(org, title="2024年度报告",
                                               category="annual_report"), 2024)
    newer = carried_by_report(org, public_item(org, title="2025年度报告",
                                               category="annual_report"), 2025)
    corrected = carried_by_report(org, public_item(org, title="2025年度报告（第 2 版）",
                                                   category="annual_report"), 2025, version=2)
    html = listed(client)
    positions = [html.index(f"/items/{p.pk}/") for p in (corrected, newer, older)]
    assert positions == sorted(positions)
    assert "2025 年度" in html and "2024 年度" in html


def test_no_released_report_is_an_empty_state(client, org):
    submitted_item(org, title="审核中的年度报告", category=report_category(org).code)
    html = listed(client)
    assert "暂无已公布的年度报告" in html and "审核中的年度报告" not in html


def test_the_column_links_to_the_reports_section(client, org):
    html = client.get(f"{BASE}/").content.decode()
    assert html.count(f'href="{BASE}/reports/"') == 2  # the index and the footer


def test_an_unknown_column_has_no_reports_page(client, db):
    make_org(code="no_site_agency").agency.channels.filter(kind="site").delete()
    assert client.get("/gk/no_such_agency/reports/").status_code == 404
    assert client.get("/gk/no_site_agency/reports/").status_code == 404
