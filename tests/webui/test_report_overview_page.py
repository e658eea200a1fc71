"""The page of a county government's supervisors: each subordinate agency's annual report
with a coloured status and its deadline, the main figures, the workbook to download; an
empty page that says what to do when the agency has no subordinates."""

import datetime as dt
import io
import re

import openpyxl
import pytest
import time_machine
from django.conf import settings

from agencies.models import Role
from disclosure import report_services
from tests.i18n_check import english_words
from testsupport.factories import make_org, make_user

pytestmark = pytest.mark.django_db
PAGE = "/app/subordinates/"
DOWNLOAD = "/app/subordinates/reports.xlsx"


@pytest.fixture(autouse=True)
def january():
    with time_machine.travel(dt.datetime(2026, 1, 25, 10, tzinfo=dt.timezone(
            dt.timedelta(hours=8))), tick=False):
        yield


@pytest.fixture
def county(org):
    """温县人民政府 above `org` (a department with a draft report whose checks fail) and a
    department not started."""
    gov = make_org("wenxian_gov", prefix="gov_")
    gov.agency.name = "温县人民政府"
    gov.agency.save()
    org.agency.name, org.agency.parent = "温县住房和城乡建设局", gov.agency
    org.agency.save()
    quiet = make_org("wenxian_archives", prefix="q_")
    quiet.agency.name, quiet.agency.parent = "温县档案馆", gov.agency
    quiet.agency.save()
    report_services.edit_sections(user=org["admin"], agency=org.agency, year=2025,
                                  sections={"other": "无。"})
    return gov


def page(client, user, url=PAGE):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_supervisor_sees_each_department_with_its_status_and_deadline(client, org, county):
    html = page(client, county["auditor"])
    rows = dict(re.findall(r'data-testid="agency-(\w+)" data-status="(\w+)"', html))
    assert rows == {"test_agency": "checks_failing", "wenxian_archives": "not_started"}
    assert "webui-chip--overview-checks_failing" in html and "校核未通过" in html
    assert "webui-chip--overview-not_started" in html and "尚未开始" in html
    assert "2026-01-31" in html and "还剩 6 天" in html
    assert "以下部分仍有待填写的内容" in html  # the failing check, in words
    assert f'href="{DOWNLOAD}?year=2025"' in html
    assert "尚未开始编制，暂无数字" in html  # the archives' figures row
    assert 'data-testid="summary-total"' in html


def test_the_deadline_turns_red_when_overdue(client, org, county):
    with time_machine.travel(dt.datetime(2026, 2, 3, 10, tzinfo=dt.timezone(
            dt.timedelta(hours=8))), tick=False):
        html = page(client, county["leader"])
    assert "webui-deadline--overdue" in html and "已逾期 3 天" in html


def test_the_workbook_downloads_from_the_page(client, org, county):
    client.force_login(county["admin"])
    response = client.get(f"{DOWNLOAD}?year=2025")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["汇总"]
    assert [row[0].value for row in sheet.iter_rows(min_row=4)] == [
        "温县住房和城乡建设局", "温县档案馆", "合计"]  # in code order
    assert client.get(f"{DOWNLOAD}?year=nineteen").status_code == 400


def test_an_agency_without_subordinates_gets_a_page_that_says_how_to_get_some(client, org):
    html = page(client, org["admin"])
    assert 'data-testid="subordinates-empty"' in html
    assert "本机关还没有下属单位" in html and "上级机关" in html
    assert 'data-testid="download"' not in html


def test_the_page_is_for_supervising_roles_only(client, org, county):
    for username in ("drafter_office", "head_office", "publisher", "secrecy"):
        client.force_login(county[username])
        assert client.get(PAGE).status_code == 403, username
    editor = make_user(county.agency, "gov_editor", [Role.REPORT_EDITOR])
    assert page(client, editor)
    html = page(client, county["admin"], "/app/items/")
    assert 'data-testid="app-subordinates"' in html and "下属单位" in html
    client.force_login(county["drafter_office"])
    assert 'data-testid="app-subordinates"' not in client.get("/app/items/").content.decode()


def test_a_county_auditor_lands_on_the_page_an_agencys_auditor_on_the_trail(
        client, org, county):
    client.force_login(county["auditor"])
    assert client.get("/app/")["Location"] == PAGE
    client.force_login(org["auditor"])
    assert client.get("/app/")["Location"] == "/app/audit/"


def test_a_bad_year_is_400_and_other_years_are_a_click_away(client, org, county):
    client.force_login(county["admin"])
    assert client.get(f"{PAGE}?year=1999").status_code == 400
    html = page(client, county["admin"], f"{PAGE}?year=2024")
    assert "2024 年度下属单位" in html and 'href="?year=2023"' in html
    rows = dict(re.findall(r'data-testid="agency-(\w+)" data-status="(\w+)"', html))
    assert rows["test_agency"] == "not_started"  # 2025's draft is not 2024's


def test_the_page_reads_in_chinese_and_in_english(client, org, county):
    html = page(client, county["auditor"])
    assert english_words(html, extra_allowed=["gov_auditor"]) == []
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = page(client, county["auditor"])
    assert "Annual reports" in english
    assert "尚未开始" not in english and "校核未通过" not in english
