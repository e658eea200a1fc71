"""The publisher's day in the browser, UI only: confirm a newspaper release with its scan,
retry a WeChat release that failed once the administrator has fixed the channel's settings,
and ask the covering leader to retract an item (desktop and phone)."""

import json
import re

import pytest
from django.utils import timezone

from agencies.models import Channel
from notifications.models import Notification
from releases.channels.fake_wechat import FakeWeChatServer
from releases.models import Release, ReleaseStatus
from tests.browser.helpers import log_in, watch_errors
from testsupport.factories import approve_through, submitted_item

pytestmark = pytest.mark.postgres

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@pytest.fixture
def wechat():
    with FakeWeChatServer() as server:
        yield server


@pytest.fixture
def scene(org, wechat):
    channel = Channel.objects.get(agency=org.agency, code="wechat")
    # a secret mistyped when the account was set up: WeChat answers 40125, for good
    channel.config = {"appid": wechat.appid, "secret": "mistyped-secret",
                      "base_url": wechat.base_url}
    channel.save(update_fields=["config"])
    org["admin"].is_staff = True
    org["admin"].save(update_fields=["is_staff"])
    item = submitted_item(org, title="关于城区道路施工期间交通管制的通告",
                          channels=["website", "wechat", "jiaozuo_daily"])
    approve_through(org, item, "head_office", "secrecy", "leader")
    return org, item, channel


def _no_errors(page):
    errors = watch_errors(page)
    page.on("response", lambda response: errors.append(f"{response.status} {response.url}")
            if response.status == 404 else None)
    return errors


@pytest.mark.parametrize("width", [1366, 390])
def test_a_publisher_confirms_retries_and_asks_for_a_retraction(page, shot, scene, wechat,
                                                                width, tmp_path):
    org, item, channel = scene
    page.set_viewport_size({"width": width, "height": 900 if width > 500 else 844})
    errors = _no_errors(page)
    statuses = dict(Release.objects.filter(publication=item)
                    .values_list("channel__code", "status"))
    assert statuses == {"website": ReleaseStatus.PUBLISHED, "wechat": ReleaseStatus.FAILED,
                        "jiaozuo_daily": ReleaseStatus.AWAITING_CONFIRMATION}

    # 1. the newspaper printed it: confirm with the date, the page and a scan
    log_in(page, org["publisher"])
    assert page.url.endswith("/app/releases/")
    page.get_by_role("link", name=item.title).first.click()
    page.fill("input[name=published_on]", timezone.localdate().isoformat())
    page.fill("input[name=reference]", "第3版")
    scan = tmp_path / "焦作日报-第3版.png"
    scan.write_bytes(PNG)
    page.set_input_files("input[name=scan]", str(scan))
    page.check("input[name=confirmed]")
    page.get_by_test_id("confirm-button").click()
    assert page.get_by_test_id("release-status").inner_text() == "已发布"
    assert "第3版" in page.get_by_test_id("release-facts").inner_text()
    shot(page, f"publisher-confirmed-{width}")

    # 2. WeChat failed: the reason is there, in Chinese
    page.goto(f"{page.base}/app/releases/failed/")
    page.get_by_role("link", name=item.title).first.click()
    reason = page.get_by_test_id("release-error").inner_text()
    assert "40125" in reason or "密钥" in reason or "secret" in reason.lower()
    release_url = page.url
    shot(page, f"publisher-failed-{width}")

    # the agency's administrator corrects the channel's settings in the admin
    log_in_admin(page, org["admin"])
    page.goto(f"{page.base}/admin/agencies/channel/{channel.pk}/change/")
    page.fill("textarea[name=config]", json.dumps(
        {"appid": wechat.appid, "secret": wechat.secret, "base_url": wechat.base_url}))
    page.locator("input[name=_save]").click()
    page.wait_for_url(re.compile(r".*/admin/agencies/channel/$"))

    # ... and the publisher sends it again
    log_in(page, org["publisher"], next_path=release_url.removeprefix(page.base))
    page.get_by_test_id("retry-button").click()
    page.goto(release_url)
    assert page.get_by_test_id("release-status").inner_text() in ("已发布", "发布中")
    assert wechat.publishes
    shot(page, f"publisher-retried-{width}")

    # 3. a mistake found after release: ask the covering leader to retract it
    page.fill("textarea[name=reason]", "通告中的管制时段有误，需撤下更正")
    page.check("#request-retraction input[name=confirmed], input[name=confirmed]")
    page.get_by_test_id("request-retraction-button").click()
    assert page.get_by_test_id("pending-retraction").is_visible()
    shot(page, f"publisher-retraction-requested-{width}")
    assert Notification.objects.filter(recipient=org["leader"],
                                        kind="retraction_requested").exists()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert errors == []


def log_in_admin(page, user):
    from testsupport.factories import PASSWORD

    page.context.clear_cookies()
    page.goto(f"{page.base}/admin/login/?next=/admin/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(r".*/admin/$"))
