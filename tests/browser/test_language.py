"""Every page of the Chinese UI, as the people who use it see it, holds no English left
untranslated; the header's switch turns the pages into English and back."""

import re

import pytest
from django.utils import timezone

from agencies.models import User
from tests.browser.helpers import log_in
from tests.i18n_check import chinese_left, english_words
from testsupport.factories import approve_through, make_org, make_user, submitted_item, task_for
from workflow import services as review

pytestmark = pytest.mark.postgres


@pytest.fixture
def scene():
    """One item approved and one returned then resubmitted, so that every page has content."""
    org = make_org(code="wenxian_housing")
    approved = submitted_item(org, title="关于2024年度住房保障资金分配情况的公示")
    approve_through(org, approved, "head_office", "secrecy", "leader")
    returned = submitted_item(org, title="关于调整公租房租金标准的通知")
    head = org["head_office"]
    review.reject_task(user=head, task_id=task_for(head, returned).pk, comment="请补充执行日期")
    review.submit_publication(user=org["drafter_office"], publication_id=returned.pk)
    review.claim_task(user=head, task_id=task_for(head, returned).pk)
    return org, approved, returned


def pages_of(org, approved, returned):
    """(screenshot name, path) per person: every page of their work, and some bad input."""
    task = task_for(org["head_office"], returned)
    return {
        "drafter_office": [
            ("items", "/app/items/"), ("item-new", "/app/items/new/"),
            ("item-approved", f"/app/items/{approved.pk}/"),
            ("item-in-review", f"/app/items/{returned.pk}/"),
            ("notifications", "/app/notifications/"),
            ("notification-settings", "/app/notifications/settings/"),
            ("dashboard", "/app/statistics/"), ("forbidden", "/app/audit/"),
            ("sign-off", f"/app/items/{approved.pk}/sign-off/"),
            ("annual-report", f"/app/reports/{timezone.localdate().year - 1}/"),
            ("not-found", "/app/items/999999/")],
        "head_office": [
            ("queue", "/app/review/"), ("inbox", "/app/review/mine/"),
            ("done", "/app/review/done/"), ("phrases", "/app/review/phrases/"),
            ("all-items", "/app/items/all/"),
            ("task-with-diff", f"/app/review/tasks/{task.pk}/"),
            ("queue-bad-filter", "/app/review/?step=nonsense&page=x"),
            ("notifications", "/app/notifications/")],
        "leader": [
            ("retractions", "/app/review/retractions/"),
            ("retractions-decided", "/app/review/retractions/decided/"),
            ("retract", f"/app/items/{approved.pk}/retract/"),
            ("sign-off", f"/app/items/{approved.pk}/sign-off/")],
        "publisher": [
            ("awaiting", "/app/releases/"), ("failed", "/app/releases/failed/"),
            ("published", "/app/releases/published/"),
            ("release", f"/app/releases/{approved.releases.order_by('pk').last().pk}/"),
            ("item", f"/app/items/{approved.pk}/")],
        "auditor": [
            ("trail", "/app/audit/"), ("timeline", f"/app/audit/items/{approved.pk}/"),
            ("round", f"/app/audit/items/{returned.pk}/rounds/1/"),
            ("verify", "/app/audit/verify/"),
            ("trail-bad-date", "/app/audit/?date_from=yesterday")],
        "no_roles": [("home", "/app/")],
    }


def test_no_page_of_the_chinese_ui_shows_untranslated_english(page, shot, scene):
    org, approved, returned = scene
    make_user(org.agency, "no_roles", [])
    usernames = list(User.objects.values_list("username", flat=True))
    page.goto(f"{page.base}/app/login/")
    assert english_words(page.content(), usernames) == []
    shot(page, "login")

    found = {}
    for username, paths in pages_of(org, approved, returned).items():
        log_in(page, User.objects.get(username=username))
        for name, path in paths:
            page.goto(f"{page.base}{path}")
            words = english_words(page.content(), usernames)
            if words:
                found[f"{username} {path}"] = words
            shot(page, f"zh-{username}-{name}")
        if username == "auditor":  # the result of a verification, too
            page.goto(f"{page.base}/app/audit/verify/")
            page.get_by_role("button", name="开始校验").click()
            page.wait_for_load_state()
            if english_words(page.content(), usernames):
                found["auditor verify result"] = english_words(page.content(), usernames)
    assert found == {}


# the agency's Chinese documents, whatever the reader's language: the sign-off sheet filed
# on paper (its controls are translated) and the annual report in the national format
CHINESE_DOCUMENTS = ("sign-off", "annual-report")


def _data_strings():
    """What people typed or named, which stays as written in either language."""
    from agencies.models import Agency, Channel, Section
    from audit.models import AuditEvent
    from publications.models import Category, Publication
    from releases.models import Release

    data = set(Agency.objects.values_list("name", flat=True))
    data |= set(Section.objects.values_list("name", flat=True))
    data |= set(Category.objects.values_list("name", flat=True))
    data |= set(Channel.objects.values_list("name", flat=True))
    data |= {u.display_name for u in User.objects.all()}
    data |= set(Publication.objects.values_list("title", flat=True))
    data |= set(Publication.objects.values_list("document_number", flat=True))
    data |= set(AuditEvent.objects.values_list("comment", flat=True))
    data |= set(Release.objects.values_list("reference", flat=True))
    for body in Publication.objects.values_list("body", flat=True):
        data |= set(re.findall(r">([^<>]+)<", body))
    return data


def test_no_page_of_the_english_ui_shows_chinese_left_untranslated(page, shot, scene,
                                                                    settings):
    org, approved, returned = scene
    make_user(org.agency, "no_roles", [])
    data = _data_strings()
    found = {}
    for username, paths in pages_of(org, approved, returned).items():
        log_in(page, User.objects.get(username=username))
        page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en",
                                   "url": page.base}])
        for name, path in paths:
            if name in CHINESE_DOCUMENTS:
                continue
            page.goto(f"{page.base}{path}")
            left = chinese_left(page.content(), data)
            if left:
                found[f"{username} {path}"] = left
            shot(page, f"en-{username}-{name}")
    assert found == {}


def test_the_header_switch_turns_the_pages_into_english_and_back(page, shot, scene):
    org, _, _ = scene
    log_in(page, org["drafter_office"], next_path="/app/items/")
    assert "我的信息" in page.locator("main").inner_text()
    page.get_by_test_id("switch-english").click()
    page.wait_for_url("**/app/items/")
    text = page.locator("body").inner_text().lower()  # toolbar buttons are upper-cased by CSS
    assert "my items" in text and "log out" in text
    assert "退出登录" not in text
    shot(page, "en-items")
    page.goto(f"{page.base}/app/items/new/")
    assert "Title" in page.locator("main").inner_text()
    page.get_by_role("button", name="中文").click()
    page.wait_for_url("**/app/items/new/")
    assert "标题" in page.locator("main").inner_text()
