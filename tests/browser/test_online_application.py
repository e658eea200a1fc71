"""Applying online in a real browser, at desktop and phone widths: the form, the receipt (also
as printed), staff confirming receipt, the status page with the deadline, and the limit
answering 429. Any JavaScript error fails the test.

The run is set on Monday 3 March 2025 (time_machine, ticking), so the deadline is one
computed by hand: 20 working days later, 31 March. Each test comes from its own client
address (X-Forwarded-For behind one trusted proxy), so counts in Redis from other runs
never reach it.
"""

import datetime as dt
import ipaddress
import uuid

import pytest
import time_machine

from agencies.models import Role
from applications import services
from applications.models import Application
from testsupport.factories import make_org, make_user

pytestmark = pytest.mark.postgres

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
MONDAY = dt.datetime(2025, 3, 3, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(params=sorted(WIDTHS))
def citizen(request, browser, live_server, committed_db, settings):
    """A browser page from a fresh client address; JavaScript errors are collected."""
    settings.LOGIN_PROXY_COUNT = 1
    address = str(ipaddress.IPv6Address(uuid.uuid4().int))
    context = browser.new_context(locale="zh-CN", viewport=WIDTHS[request.param],
                                  extra_http_headers={"X-Forwarded-For": address})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base, page.width, page.errors = live_server.url, request.param, []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda message: message.type == "error"
            and page.errors.append(message.text))
    yield page
    context.close()


@pytest.fixture
def agency(committed_db):
    org = make_org(code="wenxian_housing")
    org.users["handler_office"] = make_user(org.agency, "handler_office",
                                            [Role.APPLICATION_HANDLER], org.sections["office"])
    return org


def fill_application(page, *, name="温县某建筑有限公司"):
    page.goto(f"{page.base}/gk/wenxian_housing/apply/")
    page.get_by_label("商业企业").check()
    page.get_by_label("姓名或名称").fill(name)
    page.get_by_label("联系电话").fill("0391-6123456")
    page.get_by_label("通信地址").fill("河南省焦作市温县黄河路 66 号")
    page.get_by_label("申请公开的政府信息").fill("本县 2024 年建筑业企业资质审批结果")
    page.get_by_label("我已阅读上方的个人信息处理说明").check()


def fits_the_width(page) -> bool:
    """Nothing sticks out sideways (no horizontal scrolling on a phone)."""
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .map(e => e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 40))""")
    assert wide == [], wide
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_apply_get_the_code_staff_confirm_and_the_status_shows_the_deadline(citizen, agency,
                                                                          shot):
    page = citizen
    with time_machine.travel(MONDAY, tick=True):
        fill_application(page)
        assert page.get_by_role("heading", name="个人信息处理说明").is_visible()
        trap = page.locator("input[name=homepage]").bounding_box()  # the honeypot: off-screen
        assert trap["x"] + trap["width"] <= 0
        assert fits_the_width(page)
        shot(page, f"apply-form-{page.width}")
        page.get_by_role("button", name="提交申请").click()
        page.wait_for_url("**/apply/done/")
        code = page.locator("#tracking-code").inner_text().strip()
        assert code.startswith("YSQ-2025-")
        assert page.get_by_text("以本机关确认收到之日为收到申请之日", exact=False).is_visible()
        assert fits_the_width(page)
        shot(page, f"apply-receipt-{page.width}")

        # the printed receipt: the receipt alone, without the site's frame and buttons
        page.emulate_media(media="print")
        assert page.locator("#tracking-code").is_visible()
        assert not page.locator("header").is_visible()
        assert not page.get_by_role("button", name="打印回执").is_visible()
        page.emulate_media(media="screen")

        # before confirmation the status says so
        page.get_by_role("link", name="查询办理进度").click()
        assert page.get_by_label("申请编号").input_value() == code
        page.get_by_label("联系电话后 4 位").fill("3456")
        page.get_by_role("button", name="查询").click()
        assert page.locator("#status").get_by_text("等待本机关确认收到").is_visible()

        application = Application.objects.get(tracking_code=code)
        services.confirm_receipt(user=agency["handler_office"], application_id=application.pk,
                                 received_on=MONDAY.date(), section="office")

        page.get_by_label("申请编号").fill(code)
        page.get_by_label("联系电话后 4 位").fill("3456")
        page.get_by_role("button", name="查询").click()
        status = page.locator("#status")
        assert status.get_by_text("办理中").is_visible()
        assert status.get_by_text("2025-03-31").is_visible()
        assert status.get_by_text("20 个工作日").is_visible()
        assert "温县某建筑有限公司" not in page.content() and "6123456" not in page.content()
        assert fits_the_width(page)
        shot(page, f"apply-status-{page.width}")
    assert page.errors == []


def test_wrong_digits_show_one_message_only(citizen, agency):
    page = citizen
    application = services.submit_online_application(agency=agency.agency, data={
        "applicant_type": "natural_person", "applicant_name": "王小明",
        "contact_phone": "13912345678", "content": "2024 年度老旧小区改造项目清单"})
    page.goto(f"{page.base}/gk/wenxian_housing/apply/status/")
    page.get_by_label("申请编号").fill(application.tracking_code)
    page.get_by_label("联系电话后 4 位").fill("0000")
    page.get_by_role("button", name="查询").click()
    assert page.get_by_role("alert").get_by_text("未找到相符的申请").is_visible()
    assert page.locator("#status").count() == 0
    assert page.errors == []


def test_the_limit_answers_429_with_a_page_that_says_when(citizen, agency, settings):
    settings.APPLICATION_SUBMISSIONS_PER_IP_PER_HOUR = 1
    page = citizen
    fill_application(page)
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/apply/done/")
    fill_application(page, name="温县另一建筑有限公司")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="提交申请").click()
    assert answer.value.status == 429
    assert page.get_by_role("heading", name="请稍后再试").is_visible()
    assert page.get_by_text("您的这次申请没有提交", exact=False).is_visible()
    assert fits_the_width(page)
    assert Application.objects.count() == 1
    # the browser reports the 429 itself as a failed resource; nothing else may fail
    assert [e for e in page.errors if "429" not in e] == []
