"""What a citizen and a leader see in a real browser."""

import datetime as dt

import pytest
from django.utils import timezone

from releases.models import Release
from testsupport.factories import PASSWORD, approve_through, make_org, submitted_item

pytestmark = pytest.mark.postgres


def released_item(org, title):
    publication = submitted_item(org, title=title,
                                 body="<p>各建筑施工企业：现将有关事项通知如下。</p>")
    approve_through(org, publication, "head_office", "secrecy", "leader")
    Release.objects.filter(publication=publication, channel__kind="site").update(
        status="published", published_at=timezone.now(), published_on=dt.date.today())
    return publication


def test_citizen_reads_the_disclosure_column_and_an_item(page, shot):
    org = make_org(code="wenxian_housing")
    publication = released_item(org, "关于开展建筑施工安全大检查的通知")
    page.goto(f"{page.base}/gk/wenxian_housing/")
    assert "政府信息公开" in page.title()
    shot(page, "public-index")
    page.get_by_role("link", name="关于开展建筑施工安全大检查的通知").first.click()
    page.wait_for_url(f"**/items/{publication.pk}/")
    assert page.get_by_text("现将有关事项通知如下").is_visible()
    shot(page, "public-item")


def test_leader_signs_in_and_sees_the_statistics_dashboard(page, shot):
    org = make_org(code="wenxian_housing")
    released_item(org, "温县建筑业企业资质审批结果公示")
    page.goto(f"{page.base}/api-auth/login/?next=/app/statistics/")
    page.fill("input[name=username]", org["leader"].username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url("**/app/statistics/**")
    body = page.text_content("body")
    assert "公开专栏" in body  # the website channel counted on the dashboard
    assert page.locator("svg").count() >= 1
    shot(page, "statistics-dashboard")
