"""The annual report pages of the web UI (/app/reports/<year>/): who sees and does what,
editing and restoring the narrative, finalising (refused while a check fails), new
versions, submitting into the review, the downloads, the opening balance, the due date on
the dashboard, and the answers to bad input (403/404, never a 500)."""

import datetime as dt
import re
from html import unescape

import pytest
from django.utils import timezone

from agencies.models import Role
from audit.models import AuditEvent
from disclosure import reports
from disclosure.models import AnnualReport, OpeningBalance
from publications.models import Category, Publication
from releases.models import Release
from tests.applications.conftest import on
from tests.i18n_check import english_words
from testsupport.factories import make_user
from webui.report_forms import text_hash

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year - 1  # the report being prepared
PAGE = f"/app/reports/{YEAR}/"
EDITORS = ("editor", "admin")
READERS = ("leader", "auditor", "drafter_office")


@pytest.fixture
def org(org):
    org.users["editor"] = make_user(org.agency, "editor", [Role.REPORT_EDITOR],
                                    display_name="王编辑")
    org.agency.report_section = org.sections["office"]
    org.agency.save()
    return org


def login(client, user):
    client.force_login(user)
    return client


def html_of(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def live_sections(org, year=YEAR) -> dict:
    report = AnnualReport.objects.filter(agency=org.agency, year=year).order_by("-version").first()
    return reports.live_report(agency=org.agency, year=year, report=report)["sections"]


def narrative_post(org, changes=None, restore="", year=YEAR) -> dict:
    """The narrative form as the page posts it: every section's text (changed where
    `changes` says) with the hash of what the page showed."""
    shown = live_sections(org, year)
    data = {"restore": restore}
    for key, text in shown.items():
        data[key] = (changes or {}).get(key, text)
        data[f"shown_{key}"] = text_hash(text)
    return data


def filled(org, year=YEAR) -> dict:
    """Every placeholder written out, as an editor would."""
    return {key: text.replace(reports.PLACEHOLDER, "").replace("】", "") + "本年度工作扎实推进。"
            for key, text in live_sections(org, year).items() if reports.PLACEHOLDER in text}


def fill_in(client, org, year=YEAR):
    response = client.post(f"/app/reports/{year}/sections/",
                           narrative_post(org, filled(org, year), year=year))
    assert response.status_code == 302
    return response


def finalised(client, org):
    fill_in(client, org)
    response = client.post(f"{PAGE}finalise/")
    assert response.status_code == 302, html_of(response)
    return AnnualReport.objects.get(agency=org.agency, year=YEAR, version=1)


def block_of(html, name) -> str:
    match = re.search(rf'<(\w+)[^>]*data-testid="{name}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, name
    return match.group(2)


def text_of(html, name) -> str:
    match = re.search(rf'<(\w+)[^>]*data-testid="{name}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, name
    return unescape(re.sub(r"<[^>]+>", " ", match.group(2)))


# ------------------------------------------------------------------ who sees what

def test_an_editor_lands_on_last_years_report(client, org):
    response = login(client, org["editor"]).get("/app/", follow=True)
    assert response.redirect_chain[-1][0] == PAGE
    html = html_of(response)
    assert f"{YEAR} 年政府信息公开工作年度报告" in html
    assert 'data-testid="app-reports"' in html  # in the drawer


@pytest.mark.parametrize("username", EDITORS)
def test_editors_get_the_narrative_form_and_the_actions(client, org, username):
    html = html_of(login(client, org[username]).get(PAGE))
    assert 'data-testid="narrative"' in html
    for key in reports.SECTION_KEYS:
        assert f'name="{key}"' in html
    assert 'data-testid="finalise-link"' in html
    assert 'data-testid="read-only"' not in html


@pytest.mark.parametrize("username", READERS)
def test_readers_see_the_report_read_only_and_may_change_nothing(client, org, username):
    login(client, org[username])
    response = client.get(PAGE)
    assert response.status_code == 200
    html = html_of(response)
    assert 'data-testid="read-only"' in html and 'data-testid="report-document"' in html
    assert "<textarea" not in html and 'data-testid="finalise-link"' not in html
    assert 'data-testid="checks"' in html and 'data-testid="downloads"' in html
    for path, data in ((f"{PAGE}sections/", narrative_post(org, {"other": "无。"})),
                       (f"{PAGE}finalise/", {}), (f"{PAGE}new-version/", {}),
                       (f"{PAGE}submit/", {"section": "office"}),
                       (f"{PAGE}opening-balance/", {"balance-natural_person": "1"})):
        assert client.post(path, data).status_code == 403, path
    assert client.get(f"{PAGE}finalise/").status_code == 403
    assert not AnnualReport.objects.exists() and not OpeningBalance.objects.exists()


@pytest.mark.parametrize("username", ["head_office", "secrecy", "publisher"])
def test_people_without_a_report_role_get_403(client, org, username):
    login(client, org[username])
    assert client.get(PAGE).status_code == 403
    assert client.get("/app/reports/").status_code == 403
    assert 'data-testid="app-reports"' not in html_of(client.get("/app/notifications/"))


def test_each_person_sees_their_own_agencys_report_only(client, org, other_org):
    other_editor = make_user(other_org.agency, "other_editor", [Role.REPORT_EDITOR])
    login(client, org["editor"]).post(f"{PAGE}sections/",
                                      narrative_post(org, {"other": "本机关的其他事项。"}))
    html = html_of(login(client, other_editor).get(PAGE))
    assert other_org.agency.name in html and org.agency.name not in html
    assert "本机关的其他事项" not in html


def test_bad_years_and_versions_are_404_or_a_message(client, org):
    login(client, org["editor"])
    assert client.get("/app/reports/1999/").status_code == 404
    assert client.get(f"/app/reports/{YEAR + 2}/").status_code == 404  # not begun
    assert client.get(f"{PAGE}?version=7").status_code == 404
    assert client.get(f"{PAGE}?version=x").status_code == 404
    assert client.post("/app/reports/0/finalise/").status_code == 404
    response = client.get("/app/reports/", {"year": "abc"}, follow=True)
    assert response.redirect_chain[-1][0] == PAGE
    assert any("年度无效" in m for m in messages_of(response))
    response = client.get("/app/reports/", {"year": str(YEAR - 1)})
    assert response["Location"] == f"/app/reports/{YEAR - 1}/"


# ------------------------------------------------------------------ the narrative

def test_saving_keeps_only_the_sections_changed_and_restore_sends_the_generated_text(
        client, org):
    login(client, org["editor"])
    html = html_of(client.get(PAGE))
    assert 'data-testid="generated-supervision"' in html
    response = client.post(f"{PAGE}sections/", narrative_post(
        org, {"supervision": "本年度开展政务公开培训 2 次。"}), follow=True)
    assert any("已保存正文" in m for m in messages_of(response))
    report = AnnualReport.objects.get(agency=org.agency, year=YEAR)
    # the others stay generated (and so follow the figures)
    assert report.sections == {"supervision": "本年度开展政务公开培训 2 次。"}
    html = html_of(response)
    assert 'data-testid="edited-supervision"' in html
    assert 'data-testid="restore-supervision"' in html
    assert 'data-testid="generated-active"' in html
    assert "本年度开展政务公开培训 2 次。" in text_of(html, "report-document")
    assert AuditEvent.objects.filter(action="report_edited").count() == 1

    response = client.post(f"{PAGE}sections/", narrative_post(org, restore="supervision"),
                           follow=True)
    assert any("已恢复" in m for m in messages_of(response))
    report.refresh_from_db()
    assert report.sections == {}
    assert 'data-testid="generated-supervision"' in html_of(response)


def test_nothing_changed_saves_nothing(client, org):
    login(client, org["editor"])
    response = client.post(f"{PAGE}sections/", narrative_post(org), follow=True)
    assert any("没有改动" in m for m in messages_of(response))
    assert not AuditEvent.objects.filter(action="report_edited").exists()


def test_a_text_too_long_is_an_error_on_its_field(client, org):
    login(client, org["editor"])
    response = client.post(f"{PAGE}sections/", narrative_post(org, {"other": "无" * 20001}))
    assert response.status_code == 422
    assert 'id="section-other"' in html_of(response)
    assert "webui-field--error" in html_of(response)
    assert not AnnualReport.objects.exists()


def test_placeholders_are_highlighted_in_the_form_and_the_document(client, org):
    html = html_of(login(client, org["editor"]).get(PAGE))
    assert re.search(r'data-testid="placeholders-supervision">[^<]*'
                     r'<mark class="webui-placeholder">【请填写监督保障情况', html)
    assert '<mark class="webui-placeholder">【请填写监督保障情况' in block_of(html,
                                                                         "report-document")
    assert 'data-testid="placeholders-active"' not in html  # nothing to fill in there


def test_last_years_problems_are_shown_beside_section_five(client, org):
    AnnualReport.objects.create(
        agency=org.agency, year=YEAR - 1, status="final", fingerprint="x" * 64, snapshot={
            "table3": {"rows": {"carried_forward": [0] * 7, "new": [0] * 7}},
            "table2": {"licensing": 0, "penalties": 0},
            "sections": {"problems": "部分信息发布不够及时。"}})
    html = html_of(login(client, org["editor"]).get(PAGE))
    assert "部分信息发布不够及时。" in text_of(html, "previous-problems")
    # last year's final report is in the system: no opening balance to declare
    assert 'data-testid="opening-balance-form"' not in html
    html = html_of(login(client, org["leader"]).get(PAGE))
    assert "部分信息发布不够及时。" in text_of(html, "previous-problems")


# ------------------------------------------------------------------ finalising

def test_finalising_is_refused_while_a_check_fails_then_done(client, org):
    login(client, org["editor"])
    page = html_of(client.get(f"{PAGE}finalise/"))
    assert 'data-rule="narrative_unfinished"' in page
    assert 'data-testid="confirm-finalise"' not in page

    refused = client.post(f"{PAGE}finalise/")
    assert refused.status_code == 409
    assert 'data-rule="narrative_unfinished"' in html_of(refused)
    assert any("没有定稿" in m for m in messages_of(refused))
    assert not AnnualReport.objects.filter(status="final").exists()
    assert not AuditEvent.objects.filter(action="report_finalised").exists()

    fill_in(client, org)
    page = html_of(client.get(f"{PAGE}finalise/"))
    assert 'data-testid="confirm-finalise"' in page
    response = client.post(f"{PAGE}finalise/", follow=True)
    assert any("已定稿" in m for m in messages_of(response))
    report = AnnualReport.objects.get(agency=org.agency, year=YEAR)
    assert report.status == "final" and report.finalised_by == org["editor"]
    html = html_of(response)
    assert text_of(html, "report-status").strip() == "已定稿"
    assert "<textarea" not in html and 'data-testid="finalise-link"' not in html
    assert 'data-testid="new-version"' in html and 'data-testid="submit-link"' in html
    assert 'data-testid="no-changes"' in html
    # finalising again is a message, not an error page
    response = client.post(f"{PAGE}finalise/", follow=True)
    assert any("新建版本" in m for m in messages_of(response))


def test_a_final_report_lists_how_the_live_figures_moved(client, org):
    login(client, org["editor"])
    finalised(client, org)
    category = Category.objects.get(agency=org.agency, code="work_updates")
    p = Publication.objects.create(
        agency=org.agency, section=org.sections["office"], drafter=org["drafter_office"],
        title="后来发布的信息", category=category, formed_on=dt.date(YEAR, 3, 2),
        status="approved", fingerprint="f" * 64)
    Release.objects.create(publication=p, channel=org.agency.channels.get(code="wechat"),
                           round=1, fingerprint="f" * 64, status="published",
                           published_on=dt.date(YEAR, 3, 10))
    html = html_of(client.get(PAGE))
    changes = text_of(html, "changes")
    assert "微信公众号发布条数" in changes
    assert re.search(r"微信公众号发布条数\s+0\s+1", changes)


def test_a_new_version_is_a_draft_beside_the_final_one(client, org):
    login(client, org["editor"])
    # a draft needs no new version: a message
    response = client.post(f"{PAGE}new-version/", follow=True)
    assert any("无需新建版本" in m for m in messages_of(response))
    first = finalised(client, org)
    response = client.post(f"{PAGE}new-version/", follow=True)
    assert any("已新建第 2 版" in m for m in messages_of(response))
    html = html_of(response)
    assert text_of(html, "report-version").strip() == "第 2 版"
    assert text_of(html, "report-status").strip() == "草稿"
    assert 'data-testid="version-1"' in html and 'data-testid="version-2"' in html
    assert "<textarea" in html
    old = html_of(client.get(f"{PAGE}?version=1"))
    assert 'data-testid="old-version"' in old and "<textarea" not in old
    assert first.fingerprint[:12] in old
    assert "version=1&amp;format=docx" in old  # that version's files


# ------------------------------------------------------------------ submitting

def test_submitting_a_final_report_creates_the_item_in_review(client, org):
    login(client, org["editor"])
    response = client.get(f"{PAGE}submit/", follow=True)  # not final yet
    assert any("须先定稿" in m for m in messages_of(response))
    finalised(client, org)
    page = client.get(f"{PAGE}submit/")
    assert page.status_code == 200
    assert re.search(r'<option value="office" selected>', html_of(page))
    assert "公开专栏" in text_of(html_of(page), "confirm")
    refused = client.post(f"{PAGE}submit/", {"section": "elsewhere"})
    assert refused.status_code == 422 and not Publication.objects.exists()

    response = client.post(f"{PAGE}submit/", {"section": "office"}, follow=True)
    assert any("已报送审核" in m for m in messages_of(response))
    publication = Publication.objects.get()
    assert publication.status == "in_review" and publication.category.code == "annual_report"
    assert publication.drafter == org["editor"] and publication.section.code == "office"
    assert sorted(publication.attachments.values_list("name", flat=True)) == [
        f"{org.agency.name}{YEAR}年政府信息公开工作年度报告.docx",
        f"{org.agency.name}{YEAR}年政府信息公开工作年度报告.pdf"]
    html = html_of(response)
    assert f'href="/app/items/{publication.pk}/"' in html
    assert 'data-testid="submit-link"' not in html
    assert "审核中" in text_of(html, "report-state")
    # once only
    response = client.post(f"{PAGE}submit/", {"section": "office"}, follow=True)
    assert any("已报送审核" in m for m in messages_of(response))
    assert Publication.objects.count() == 1


# ------------------------------------------------------------------ files and data

def test_the_download_links_answer_with_the_files_to_the_signed_in_reader(client, org):
    login(client, org["leader"])
    html = html_of(client.get(PAGE))
    links = dict((label.strip(), unescape(url)) for url, label in re.findall(
        r'<a class="webui-button webui-button--small" href="([^"]+)">([^<]+)</a>',
        block_of(html, "downloads")))
    assert set(links) == {"Word", "PDF", "Excel", "HTML"}
    for label, kind in (("Word", "wordprocessingml"), ("Excel", "spreadsheetml"),
                        ("HTML", "text/html")):
        assert f"agency={org.agency.code}" in links[label] and f"year={YEAR}" in links[label]
        response = client.get(links[label])  # the session signs the API request in
        assert response.status_code == 200 and kind in response["Content-Type"], label
    assert links["PDF"].endswith("format=pdf")


def test_the_opening_balance_is_entered_once_when_last_year_is_not_in_the_system(client, org):
    login(client, org["editor"])
    assert 'data-testid="opening-balance-form"' in html_of(client.get(PAGE))
    bad = client.post(f"{PAGE}opening-balance/", {"balance-natural_person": "-1"})
    assert bad.status_code == 422 and not OpeningBalance.objects.exists()
    data = {f"balance-{k}": "0" for k in ("natural_person", "commercial", "research",
                                           "social_welfare", "legal_service", "other")}
    data["balance-commercial"] = "2"
    response = client.post(f"{PAGE}opening-balance/", data, follow=True)
    assert any("已录入期初数" in m for m in messages_of(response))
    balance = OpeningBalance.objects.get()
    assert balance.year == YEAR and balance.counts["commercial"] == 2
    html = html_of(response)
    assert 'data-testid="opening-balance-form"' not in html
    assert "商业企业" in text_of(html, "opening-balance")
    # the register has none of them: the check names the declared balance
    assert "期初数" in text_of(html, "check-carried_over_matches_last_year")
    again = client.post(f"{PAGE}opening-balance/", data, follow=True)
    assert any("只能录入一次" in m for m in messages_of(again))
    assert OpeningBalance.objects.count() == 1


def test_the_checks_are_coloured_by_severity(client, org):
    html = html_of(login(client, org["editor"]).get(PAGE))
    assert re.search(r'class="webui-check webui-check--error"[^>]*data-rule="narrative_unfinished"',
                     html)
    assert re.search(r'class="webui-check webui-check--ok"[^>]*data-rule="t3_results_total"', html)
    assert "须改正后才能定稿" in text_of(html, "checks-summary")


# ------------------------------------------------------------------ the dashboard

def test_the_dashboard_shows_the_reports_due_date_and_state(client, org):
    login(client, org["leader"])
    with on(dt.date(2026, 1, 10)):
        html = html_of(client.get("/app/statistics/"))
        progress = text_of(html, "report-progress")
        assert "2025 年度政府信息公开工作年度报告" in progress
        assert "尚未开始" in progress and "报送期限 2026-01-31" in progress
        assert "还剩 21 天" in progress
        assert 'href="/app/reports/2025/"' in html
    with on(dt.date(2026, 2, 3)):
        progress = text_of(html_of(client.get("/app/statistics/")), "report-progress")
        assert "已逾期 3 天" in progress


def test_the_report_page_shows_the_due_date_and_the_state(client, org):
    login(client, org["editor"])
    with on(dt.date(2026, 1, 31)):
        html = html_of(client.get("/app/reports/2025/"))
        assert "今天到期" in text_of(html, "report-progress")
        assert "尚未开始" in text_of(html, "report-state")
        client.post("/app/reports/2025/sections/",
                    narrative_post(org, {"other": "无。"}, year=2025))
        assert "草稿" in text_of(html_of(client.get("/app/reports/2025/")), "report-state")


def test_a_person_without_a_report_role_sees_no_progress_on_the_dashboard(client, org):
    org.users["handler"] = make_user(org.agency, "handler", [Role.APPLICATION_HANDLER])
    html = html_of(login(client, org["handler"]).get("/app/statistics/"))
    assert 'data-testid="report-progress"' not in html


def test_the_report_page_has_no_english_in_chinese(client, org):
    login(client, org["editor"])
    finalised(client, org)
    html = html_of(client.get(PAGE))
    assert english_words(html, extra_allowed=["editor"]) == []


def test_no_report_route_answers_500_to_an_editor_whatever_is_sent(client, org):
    from tests.webui.test_robustness import JUNK_FORM, JUNK_QUERY, fill, routes
    from webui.site import site

    login(client, org["editor"])
    finalised(client, org)
    paths = sorted(p for p in set(routes(site.urls[0])) if p.startswith("/app/reports/"))
    assert len(paths) == 7
    junk = {**JUNK_FORM, "restore": "nonsense", "supervision": "x" * 30000,
            "balance-other": "-5", "shown_other": "zz"}
    for route in paths:
        for value in (str(YEAR), "0", "99999999"):
            path = fill(route, value)
            for response in (client.get(path, {**JUNK_QUERY, "version": "0", "year": "x"}),
                             client.post(path, junk)):
                assert response.status_code < 500, (path, response.status_code)
