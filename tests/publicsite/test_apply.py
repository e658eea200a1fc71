"""Applying online (依申请公开) in the public column and through the public API: the form, the
receipt, the status query, and the abuse guard (honeypot, per-address limits).

Every test comes from its own client address (a fresh IPv6 /64), so counts left in Redis by
an earlier test or run never reach it.
"""

import datetime as dt
import ipaddress
import re
import uuid

import pytest
import time_machine
from django.core.cache import caches
from django.test import Client
from rest_framework.test import APIClient

from agencies.models import Agency, Role
from applications import services
from applications.models import Application
from notifications.models import Notification
from testsupport.factories import make_user
from workdays.models import Holiday, HolidayYear

pytestmark = pytest.mark.django_db

BASE = "/gk/test_agency"
API = "/api/v1/public/test_agency/applications/"
PERSONAL = ("王小明", "410825199001011234", "13912345678", "温县黄河路 66 号", "wxm@example.com",
            "2024 年度温县老旧小区改造项目清单")


def on(day: dt.date, hour=9):
    """Run as if now were `day` at `hour` o'clock Beijing time (the clock counts whole days)."""
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, 0,
                                           tzinfo=dt.timezone(dt.timedelta(hours=8))),
                               tick=False)


def new_address() -> str:
    return str(ipaddress.IPv6Address(uuid.uuid4().int))


@pytest.fixture
def address():
    return new_address()


@pytest.fixture
def browser(address):
    """A person's browser: CSRF is checked as in production."""
    return Client(enforce_csrf_checks=True, REMOTE_ADDR=address)


@pytest.fixture
def anonymous(address):
    return APIClient(enforce_csrf_checks=True, REMOTE_ADDR=address)


@pytest.fixture
def registrars(org):
    office = org.sections["office"]
    org.users["handler_office"] = make_user(org.agency, "handler_office",
                                            [Role.APPLICATION_HANDLER], office)
    org.users["handler_2"] = make_user(org.agency, "handler_2", [Role.APPLICATION_HANDLER],
                                       office)
    return org


def form_data(**overrides) -> dict:
    name, id_number, phone, address, email, content = PERSONAL
    data = {"applicant_type": "natural_person", "applicant_name": name,
            "applicant_id_number": id_number, "contact_phone": phone,
            "contact_address": address, "contact_email": email, "content": content,
            "delivery_form": "paper", "delivery_method": "post", "privacy_read": "on",
            "homepage": ""}
    data.update(overrides)
    return data


def api_data(**overrides) -> dict:
    data = {"applicant_type": "commercial", "applicant_name": "温县某建筑有限公司",
            "contact_phone": "0391-6123456", "content": "本县 2024 年建筑业企业资质审批结果"}
    data.update(overrides)
    return data


def csrf_token(browser, path) -> str:
    page = browser.get(path)
    assert page.status_code == 200
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                     page.content.decode()).group(1)


def apply(browser, **overrides):
    token = csrf_token(browser, f"{BASE}/apply/")
    return browser.post(f"{BASE}/apply/", {**form_data(**overrides),
                                           "csrfmiddlewaretoken": token})


def look_up(browser, code, last4):
    token = csrf_token(browser, f"{BASE}/apply/status/")
    return browser.post(f"{BASE}/apply/status/", {"tracking_code": code, "phone_last4": last4,
                                                  "csrfmiddlewaretoken": token})


def submitted(org, **overrides) -> Application:
    data = {**api_data(), **overrides}
    return services.submit_online_application(agency=org.agency, data=data)


def status_text(response) -> str:
    html = response.content.decode()
    found = re.search(r'<table class="meta" id="status">(.*?)</table>', html, re.S)
    return re.sub(r"<[^>]+>|\s+", " ", found.group(1)) if found else ""


# --- the form ---------------------------------------------------------------------------------

def test_form_explains_what_is_collected_and_hides_the_honeypot(browser, org):
    html = browser.get(f"{BASE}/apply/").content.decode()
    for words in ("个人信息处理说明", "收集哪些信息", "为什么收集", "谁能看到", "138****1234",
                  "条例第二十九条"):
        assert words in html
    for value, kind in [("natural_person", "自然人"), ("commercial", "商业企业"),
                        ("research", "科研机构"), ("social_welfare", "社会公益组织"),
                        ("legal_service", "法律服务机构"), ("other", "其他")]:
        assert re.search(rf'value="{value}"[^>]*>\s*{kind}</label>', html), kind
    assert re.search(r'<div class="hp" aria-hidden="true">.*name="homepage"[^>]*tabindex="-1"',
                     html, re.S)
    assert "cdn" not in html.lower() and "<script src" not in html


def test_submitting_the_form_creates_an_application_awaiting_confirmation(browser, registrars):
    response = apply(browser)
    assert response.status_code == 302 and response["Location"] == f"{BASE}/apply/done/"
    application = Application.objects.get()
    assert (application.status, application.received_via) == ("pending_confirmation", "online")
    assert application.received_on is None and application.deadline is None
    assert (application.applicant_name, application.contact_phone) == ("王小明", "13912345678")
    receipt = browser.get(response["Location"])
    html = receipt.content.decode()
    assert application.tracking_code in html
    assert "139****5678" in html and "13912345678" not in html
    assert "以本机关确认收到之日为收到申请之日" in html  # Art. 31: not the submission date
    assert "/gk/test_agency/apply/status/" in html and "后 4 位" in html
    assert "@media print" in html and "window.print()" in html
    assert receipt["Cache-Control"].startswith("max-age=0") and "private" in receipt[
        "Cache-Control"]


def test_the_registrars_are_told_of_a_new_online_application(browser, registrars):
    apply(browser)
    application = Application.objects.get()
    told = set(Notification.objects.filter(kind="application_online",
                                           application_id=application.pk)
               .values_list("recipient__username", flat=True))
    assert told == {"handler_office", "handler_2"}


def test_receipt_is_only_for_the_browser_that_applied(browser, org, address):
    apply(browser)
    other = Client(REMOTE_ADDR=address)
    assert other.get(f"{BASE}/apply/done/")["Location"] == f"{BASE}/apply/"


def test_the_form_needs_its_csrf_token(browser, org):
    response = browser.post(f"{BASE}/apply/", form_data())
    assert response.status_code == 403
    assert not Application.objects.exists()


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"contact_phone": ""}, "contact_phone", "该字段是必填项"),
    ({"contact_phone": "请打办公室电话"}, "contact_phone", "电话号码只能包含数字"),
    ({"contact_phone": "123"}, "contact_phone", "7 至 20 位数字"),
    ({"contact_address": ""}, "contact_address", "选择邮寄时请填写通信地址"),
    ({"delivery_method": "email", "contact_email": ""}, "contact_email", "请填写电子邮箱"),
    ({"applicant_type": "government"}, "applicant_type", "选择一个有效的选项"),
    ({"privacy_read": ""}, "privacy_read", "请阅读个人信息处理说明"),
])
def test_a_form_with_a_mistake_says_what_to_fix_and_stores_nothing(browser, org, overrides,
                                                                    field, message):
    response = apply(browser, **overrides)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Application.objects.exists()


def test_full_width_phone_digits_are_accepted(browser, org):
    apply(browser, contact_phone="１３９１２３４５６７８")
    assert Application.objects.get().contact_phone == "13912345678"


def test_a_filled_honeypot_is_refused_without_saying_why(browser, registrars):
    response = apply(browser, homepage="http://spam.example/")
    assert response.status_code == 400
    html = response.content.decode()
    assert "提交未能受理" in html and "homepage" not in html
    assert not Application.objects.exists()
    assert not Notification.objects.filter(kind="application_online").exists()


def test_the_form_answers_429_over_the_hourly_limit(browser, org, settings):
    settings.APPLICATION_SUBMISSIONS_PER_IP_PER_HOUR = 2
    assert apply(browser).status_code == 302
    assert apply(browser).status_code == 302
    refused = apply(browser)
    assert refused.status_code == 429
    assert "请稍后再试" in refused.content.decode() and "没有提交" in refused.content.decode()
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert Application.objects.count() == 2
    # another address is not held back
    assert apply(Client(enforce_csrf_checks=True, REMOTE_ADDR=new_address())).status_code == 302


def test_the_daily_limit_holds_across_hours(browser, org, settings):
    settings.APPLICATION_SUBMISSIONS_PER_IP_PER_HOUR = 5
    settings.APPLICATION_SUBMISSIONS_PER_IP_PER_DAY = 2
    with on(dt.date(2025, 3, 3), hour=9):
        assert apply(browser).status_code == 302
    with on(dt.date(2025, 3, 3), hour=10):
        assert apply(browser).status_code == 302
    with on(dt.date(2025, 3, 3), hour=11):
        assert apply(browser).status_code == 429
    assert Application.objects.count() == 2


def test_honeypot_attempts_count_against_the_limit(browser, org, settings):
    settings.APPLICATION_SUBMISSIONS_PER_IP_PER_HOUR = 1
    assert apply(browser, homepage="x").status_code == 400
    assert apply(browser).status_code == 429


def test_an_unknown_agency_has_no_application_pages(browser, org):
    Agency.objects.create(code="no_column", name="没有公开专栏的机关")
    for path in ("/gk/nowhere/apply/", "/gk/nowhere/apply/status/", "/gk/nowhere/apply/done/",
                 "/gk/no_column/apply/"):
        assert browser.get(path).status_code == 404, path
    assert APIClient().post("/api/v1/public/nowhere/applications/", api_data(),
                            format="json").status_code == 404
    assert APIClient().get("/api/v1/public/nowhere/applications/YSQ-2025-ABCDEF/",
                           {"phone_last4": "5678"}).status_code == 404


def test_the_column_links_to_the_application_form(browser, org):
    html = browser.get(f"{BASE}/").content.decode()
    assert f'href="{BASE}/apply/"' in html and f'href="{BASE}/apply/status/"' in html


# --- the status page ---------------------------------------------------------------------------

def test_status_before_confirmation_says_it_awaits_confirmation(browser, org):
    application = submitted(org)
    response = look_up(browser, application.tracking_code.lower(), "3456")
    text = status_text(response)
    assert "待确认收到" in text and "等待本机关确认收到" in text and "确认收到后起算" in text


def test_status_shows_the_deadline_once_staff_confirm_receipt(browser, registrars):
    with on(dt.date(2025, 3, 3)):  # a Monday
        apply(browser)
        application = Application.objects.get()
        services.confirm_receipt(user=registrars["handler_office"],
                                 application_id=application.pk,
                                 received_on=dt.date(2025, 3, 3), section="office")
    with on(dt.date(2025, 3, 10)):
        text = status_text(look_up(browser, application.tracking_code, "5678"))
    # 20 working days after Monday 3 March 2025, the day of receipt not counted
    assert "办理中" in text and "2025-03-03" in text and "2025-03-31" in text
    assert "15 个工作日" in text  # 4-7 and 10 March used


def test_received_on_a_saturday_counts_from_monday(browser, registrars):
    with on(dt.date(2025, 3, 8)):  # a Saturday
        application = submitted(registrars, contact_phone="13912345678")
        services.confirm_receipt(user=registrars["handler_office"],
                                 application_id=application.pk,
                                 received_on=dt.date(2025, 3, 8), section="office")
        text = status_text(look_up(browser, application.tracking_code, "5678"))
    assert "非工作日收到" in text and "2025-03-10" in text
    # 20 working days after Monday 10 March: 11 March … 3 April is 18, Friday 4 April is
    # 清明节, then 7 and 8 April
    assert "2025-04-08" in text


def test_a_stopped_clock_says_why(browser, registrars):
    with on(dt.date(2025, 3, 3)):
        application = submitted(registrars, contact_phone="13912345678")
        handler = registrars["handler_office"]
        services.confirm_receipt(user=handler, application_id=application.pk,
                                 received_on=dt.date(2025, 3, 3), section="office")
        services.request_correction(user=handler, application_id=application.pk,
                                    notice_on=dt.date(2025, 3, 3), items="请写明项目名称")
        text = status_text(look_up(browser, application.tracking_code, "5678"))
    assert "时钟暂停：等待申请人补正" in text and "2025-03-31" not in text


def test_a_deadline_past_the_holiday_table_is_not_guessed(browser, registrars):
    Holiday.objects.filter(date__year__gte=2027).delete()
    HolidayYear.objects.filter(year__gte=2027).delete()
    with on(dt.date(2026, 12, 21)):
        application = submitted(registrars, contact_phone="13912345678")
        services.confirm_receipt(user=registrars["handler_office"],
                                 application_id=application.pk,
                                 received_on=dt.date(2026, 12, 21), section="office")
        text = status_text(look_up(browser, application.tracking_code, "5678"))
    assert "期限无法确定" in text and "2027-" not in text


def test_a_replied_application_shows_the_reply_date_and_outcome(browser, registrars):
    with on(dt.date(2025, 3, 3)):
        application = submitted(registrars, contact_phone="13912345678")
        services.confirm_receipt(user=registrars["handler_office"],
                                 application_id=application.pk,
                                 received_on=dt.date(2025, 3, 3), section="office",
                                 handler="handler_office")
    with on(dt.date(2025, 3, 12)):
        services.draft_reply(user=registrars["handler_office"], application_id=application.pk,
                             outcome="partly_disclosed", basis="条例第三十七条",
                             text="现将可以公开的部分提供给您。")
        services.approve_reply(user=registrars["leader"], application_id=application.pk)
        text = status_text(look_up(browser, application.tracking_code, "5678"))
    assert "已答复" in text and "2025-03-12" in text and "部分公开" in text


def test_status_shows_nothing_personal(browser, org):
    name, id_number, phone, address, email, content = PERSONAL
    apply(browser)
    application = Application.objects.get()
    html = look_up(browser, application.tracking_code, "5678").content.decode()
    assert "待确认收到" in html
    for value in (name, id_number, phone, "139****5678", address, email, content):
        assert value not in html


def test_wrong_digits_and_a_wrong_code_get_the_same_answer(browser, org):
    application = submitted(org)
    right = look_up(browser, application.tracking_code, "3456")
    wrong_digits = look_up(browser, application.tracking_code, "3457")
    wrong_code = look_up(browser, "YSQ-2025-ZZZZZZ", "3456")
    assert status_text(right)
    for response in (wrong_digits, wrong_code):
        assert response.status_code == 200 and not status_text(response)
        assert "未找到相符的申请" in response.content.decode()
    alert = re.compile(r'<div class="alert" role="alert">.*?</div>', re.S)
    assert (alert.search(wrong_digits.content.decode()).group(0)
            == alert.search(wrong_code.content.decode()).group(0))


def test_another_agencys_code_is_not_found_here(browser, org, other_org):
    application = submitted(other_org)
    response = look_up(browser, application.tracking_code, "3456")
    assert not status_text(response) and "未找到相符的申请" in response.content.decode()


def test_status_lookups_answer_429_over_the_limit(browser, org, settings):
    settings.APPLICATION_STATUS_LOOKUPS_PER_IP_PER_HOUR = 2
    application = submitted(org)
    assert look_up(browser, "YSQ-2025-AAAAAA", "0000").status_code == 200
    assert look_up(browser, "YSQ-2025-BBBBBB", "0000").status_code == 200
    refused = look_up(browser, application.tracking_code, "3456")  # even the right one
    assert refused.status_code == 429 and not status_text(refused)
    assert "查询办理进度的次数有限" in refused.content.decode()


def test_a_malformed_query_says_what_to_fix_without_counting(browser, org, settings):
    settings.APPLICATION_STATUS_LOOKUPS_PER_IP_PER_HOUR = 1
    application = submitted(org)
    response = look_up(browser, application.tracking_code, "34")
    assert response.status_code == 200 and "请填写 4 位数字" in response.content.decode()
    assert status_text(look_up(browser, application.tracking_code, "3456"))


# --- the public API ----------------------------------------------------------------------------

def test_api_submission_answers_the_contract(anonymous, registrars):
    response = anonymous.post(API, api_data(), format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"tracking_code", "status"} and body["status"] == "pending_confirmation"
    assert re.fullmatch(r"YSQ-\d{4}-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{6}", body["tracking_code"])
    application = Application.objects.get(tracking_code=body["tracking_code"])
    assert (application.agency, application.received_via) == (registrars.agency, "online")
    assert application.delivery_form == "paper" and application.section is None
    assert Notification.objects.filter(kind="application_online",
                                       application_id=application.pk).count() == 2


def test_api_takes_every_applicant_field(anonymous, org):
    name, id_number, phone, address, email, content = PERSONAL
    response = anonymous.post(API, {
        "applicant_type": "legal_service", "applicant_name": name,
        "applicant_id_number": id_number, "contact_phone": phone, "contact_address": address,
        "contact_email": email, "content": content, "delivery_form": "electronic",
        "delivery_method": "email"}, format="json")
    assert response.status_code == 201
    application = Application.objects.get()
    assert (application.applicant_type, application.contact_email, application.delivery_form,
            application.delivery_method) == ("legal_service", email, "electronic", "email")


def test_api_ignores_a_logged_in_session(org):
    """No authentication runs, so no session's CSRF check either."""
    client = APIClient(enforce_csrf_checks=True, REMOTE_ADDR=new_address())
    client.force_login(org["drafter_office"])
    assert client.post(API, api_data(), format="json").status_code == 201


@pytest.mark.parametrize(("overrides", "field"), [
    ({"contact_phone": None}, "contact_phone"),
    ({"contact_phone": "unknown"}, "contact_phone"),
    ({"applicant_type": "government"}, "applicant_type"),
    ({"applicant_name": ""}, "applicant_name"),
    ({"content": ""}, "content"),
    ({"contact_email": "not-an-address"}, "contact_email"),
    ({"delivery_method": "pigeon"}, "delivery_method"),
    ({"delivery_method": "post"}, "contact_address"),
])
def test_api_bad_input_is_400_with_the_field(anonymous, org, overrides, field):
    data = {k: v for k, v in api_data(**overrides).items() if v is not None}
    response = anonymous.post(API, data, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] and body[field]
    assert not Application.objects.exists()


def test_api_status_answers_the_status_fields_only(anonymous, registrars):
    with on(dt.date(2025, 3, 3)):
        code = anonymous.post(API, api_data(), format="json").json()["tracking_code"]
        pending = anonymous.get(f"{API}{code}/", {"phone_last4": "3456"})
        services.confirm_receipt(user=registrars["handler_office"],
                                 application_id=Application.objects.get().pk,
                                 received_on=dt.date(2025, 3, 3), section="office")
    assert pending.status_code == 200
    assert pending.json()["status"] == "pending_confirmation"
    assert pending.json()["received_on"] is None and pending.json()["deadline"] is None
    with on(dt.date(2025, 3, 4)):
        body = anonymous.get(f"{API}{code}/", {"phone_last4": "3456"}).json()
    assert body == {
        "tracking_code": code, "status": "received", "status_label": "办理中",
        "submitted_on": "2025-03-03", "received_on": "2025-03-03", "deemed_received_on": None,
        "deadline": "2025-03-31", "deadline_unknown": False, "clock_stopped_by": None,
        "clock_stopped_label": None, "days_used": 1, "days_left": 19, "extended": False,
        "overdue": False, "replied_on": None, "outcome": None, "outcome_label": None,
        "closed_on": None}


def test_api_status_wrong_digits_or_code_is_the_same_404(anonymous, org):
    code = anonymous.post(API, api_data(), format="json").json()["tracking_code"]
    wrong_digits = anonymous.get(f"{API}{code}/", {"phone_last4": "3457"})
    wrong_code = anonymous.get(f"{API}YSQ-2025-ZZZZZZ/", {"phone_last4": "3456"})
    assert wrong_digits.status_code == wrong_code.status_code == 404
    assert wrong_digits.json() == wrong_code.json()


def test_api_status_needs_four_digits(anonymous, org):
    code = anonymous.post(API, api_data(), format="json").json()["tracking_code"]
    for params in ({}, {"phone_last4": "34"}, {"phone_last4": "abcd"}):
        response = anonymous.get(f"{API}{code}/", params)
        assert response.status_code == 400 and response.json()["phone_last4"]


def test_api_submissions_answer_429_with_a_detail(anonymous, org, settings):
    settings.APPLICATION_SUBMISSIONS_PER_IP_PER_HOUR = 2
    assert anonymous.post(API, api_data(), format="json").status_code == 201
    assert anonymous.post(API, api_data(), format="json").status_code == 201
    refused = anonymous.post(API, api_data(), format="json")
    assert refused.status_code == 429 and refused.json()["detail"]
    assert int(refused["Retry-After"]) > 0
    assert Application.objects.count() == 2


def test_form_and_api_share_one_allowance(browser, anonymous, org, settings):
    settings.APPLICATION_SUBMISSIONS_PER_IP_PER_HOUR = 2
    assert apply(browser).status_code == 302
    assert anonymous.post(API, api_data(), format="json").status_code == 201
    assert anonymous.post(API, api_data(), format="json").status_code == 429
    assert apply(browser).status_code == 429


def test_api_lookups_answer_429_with_a_detail(anonymous, org, settings):
    settings.APPLICATION_STATUS_LOOKUPS_PER_IP_PER_HOUR = 1
    code = anonymous.post(API, api_data(), format="json").json()["tracking_code"]
    assert anonymous.get(f"{API}{code}/", {"phone_last4": "3456"}).status_code == 200
    refused = anonymous.get(f"{API}{code}/", {"phone_last4": "3456"})
    assert refused.status_code == 429 and refused.json()["detail"]


def test_with_the_cache_down_applications_still_go_through(anonymous, org, monkeypatch):
    def unreachable(*args, **kwargs):
        raise ConnectionError("redis is down")

    # the backend itself, not the `cache` proxy: each test has its own (tests/conftest.py)
    monkeypatch.setattr(caches["default"], "add", unreachable)
    assert anonymous.post(API, api_data(), format="json").status_code == 201
    assert Application.objects.count() == 1


def test_the_limit_follows_the_proxy_configuration(org, settings):
    """Behind one proxy the client is the address it saw, not the proxy's own."""
    settings.LOGIN_PROXY_COUNT = 1
    settings.APPLICATION_SUBMISSIONS_PER_IP_PER_HOUR = 1
    proxy = new_address()

    def post(client_address):
        return APIClient(REMOTE_ADDR=proxy).post(API, api_data(), format="json",
                                                 HTTP_X_FORWARDED_FOR=client_address)

    first, second = new_address(), new_address()
    assert post(first).status_code == 201
    assert post(second).status_code == 201
    assert post(first).status_code == 429


def new_ipv4_address() -> str:
    return str(ipaddress.IPv4Address((10 << 24) + uuid.uuid4().int % (1 << 24)))


def test_a_client_on_ipv4_applies_and_looks_up_its_status(registrars):
    """Most citizens come over IPv4 (and so does any proxy's X-Forwarded-For)."""
    address = new_ipv4_address()
    form = Client(enforce_csrf_checks=True, REMOTE_ADDR=address)
    assert apply(form).status_code == 302
    answer = APIClient(REMOTE_ADDR=address).post(API, api_data(), format="json")
    assert answer.status_code == 201
    code = answer.json()["tracking_code"]
    status = APIClient(REMOTE_ADDR=address).get(f"{API}{code}/", {"phone_last4": "3456"})
    assert status.status_code == 200
    assert look_up(form, code, "3456").status_code == 200


def test_ipv4_and_ipv4_mapped_ipv6_share_one_allowance(org, settings):
    settings.APPLICATION_SUBMISSIONS_PER_IP_PER_HOUR = 1
    address = new_ipv4_address()
    assert APIClient(REMOTE_ADDR=address).post(API, api_data(), format="json").status_code == 201
    mapped = APIClient(REMOTE_ADDR=f"::ffff:{address}")
    assert mapped.post(API, api_data(), format="json").status_code == 429


def test_the_schema_documents_the_public_endpoints_without_authentication(org):
    from testsupport.factories import api

    paths = api(org["auditor"]).get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    create = paths["/api/v1/public/{agency}/applications/"]["post"]
    status = paths["/api/v1/public/{agency}/applications/{tracking_code}/"]["get"]
    for operation in (create, status):
        assert "security" not in operation  # the staff's operations name token and cookie
        assert "429" in operation["responses"]
    assert paths["/api/v1/applications/"]["post"]["security"]
    assert "201" in create["responses"] and "200" in status["responses"]
    assert any(p["name"] == "phone_last4" and p["required"] for p in status["parameters"])


def test_the_api_takes_applications_only_for_agencies_with_a_public_column(db):
    from agencies.models import Agency
    from testsupport.factories import api

    Agency.objects.create(code="no_column", name="无专栏机关")
    response = api().post("/api/v1/public/no_column/applications/", {
        "applicant_type": "natural_person", "applicant_name": "张三",
        "contact_phone": "13812341234", "content": "某信息"}, format="json",
        REMOTE_ADDR="198.51.100.77")
    assert response.status_code == 404
