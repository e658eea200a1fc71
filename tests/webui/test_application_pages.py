"""The 依申请公开 pages of the web UI (register, intake, queues, the case page and its actions,
the day-by-day account, the case register), through Django's test client on PostgreSQL.

Dates are fixed with time_machine (`on`): the clock is counted on the 2024–2026 holiday
notices the test database is seeded with.
"""

import datetime as dt
import re

import pytest

from agencies.models import Role
from applications import services
from applications.models import Application, ApplicationStatus, Case, CaseResult
from audit.models import AuditAction
from audit.selectors import subject_trail
from tests.applications import conftest as application_fixtures
from tests.applications.conftest import D, on, register
from tests.i18n_check import english_words
from testsupport.factories import make_user

pytestmark = pytest.mark.postgres

# the office's application handlers (handler_office, handler_2, leading_handler) added to `org`
handlers = application_fixtures.handlers

BASE = "/app/applications/"
NEW, QUEUE, APPROVALS, CASES = BASE + "new/", BASE + "mine/", BASE + "approvals/", BASE + "cases/"


def detail_url(application) -> str:
    return f"{BASE}{application.pk}/"


def action_url(application, action) -> str:
    return f"{BASE}{application.pk}/actions/{action}/"


def login(client, user):
    client.force_login(user)
    return client


def html_of(response) -> str:
    return response.content.decode()


def get(client, url, expect=200, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == expect, (url, response.status_code)
    return html_of(response)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def row_of(html, testid) -> str:
    match = re.search(rf'<tr[^>]*data-testid="{testid}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, testid
    return match.group(0)


def status_of(application) -> str:
    return Application.objects.get(pk=application.pk).status


def viewed_events(application):
    return subject_trail(subject=application).filter(action=AuditAction.APPLICATION_VIEWED)


def intake(**overrides) -> dict:
    data = {"received_on": "2024-03-04", "received_via": "post",
            "applicant_type": "natural_person", "applicant_name": "李四",
            "applicant_id_number": "410823198001011234", "contact_phone": "13912345678",
            "contact_address": "河南省焦作市温县人民路 1 号", "contact_email": "ls@example.com",
            "content": "2023 年度本县城镇老旧小区改造项目清单", "delivery_form": "paper",
            "delivery_method": "post", "section": "office", "handler": "handler_office"}
    data.update(overrides)
    return data


def online(org, **overrides):
    data = {"applicant_type": "natural_person", "applicant_name": "王五",
            "contact_phone": "13600001111", "content": "本县 2023 年财政预算执行情况"}
    data.update(overrides)
    return services.submit_online_application(agency=org.agency, data=data)


# ---------------------------------------------------------------- who may open what

def test_pages_answer_403_to_people_without_an_application_role(client, handlers):
    org = handlers
    application = register(org)
    for username in ("drafter_office", "secrecy", "publisher", "head_office"):
        login(client, org[username])
        for url in (BASE, NEW, QUEUE, APPROVALS, CASES, detail_url(application),
                    detail_url(application) + "days/"):
            assert client.get(url).status_code == 403, (username, url)
        assert client.post(action_url(application, "withdraw"), {}).status_code == 403
    client.logout()
    response = client.get(BASE)
    assert response.status_code == 302 and response["Location"].startswith("/app/login/")


def test_each_role_sees_its_own_pages_and_403_on_the_others(client, handlers):
    org = handlers
    application = register(org)
    allowed = {
        "handler_office": {BASE, NEW, QUEUE, CASES},
        "leader": {BASE, APPROVALS, CASES},
        "auditor": {BASE, CASES},
        "admin": {BASE, CASES},
    }
    for username, urls in allowed.items():
        login(client, org[username])
        for url in (BASE, NEW, QUEUE, APPROVALS, CASES):
            expected = 200 if url in urls else 403
            assert client.get(url).status_code == expected, (username, url)
        assert client.get(detail_url(application)).status_code == 200, username
        assert client.get(detail_url(application) + "days/").status_code == 200, username


def test_drawer_lists_the_pages_of_the_persons_roles(client, handlers):
    html = get(login(client, handlers["handler_office"]), BASE)
    for label in ("依申请公开", "申请登记簿", "登记申请", "我的承办", "复议诉讼"):
        assert label in html
    assert f'href="{APPROVALS}"' not in html
    html = get(login(client, handlers["leader"]), BASE)
    assert f'href="{APPROVALS}"' in html and f'href="{NEW}"' not in html


def test_handlers_land_on_the_register_after_login(client, handlers):
    response = login(client, handlers["handler_office"]).get("/app/")
    assert response.status_code == 302 and response["Location"] == BASE


def test_another_agencys_application_and_an_uncovered_section_are_not_found(
        client, handlers, other_org):
    org = handlers
    other_handler = make_user(other_org.agency, "other_handler", [Role.APPLICATION_HANDLER],
                              other_org.sections["office"])
    with on(D(2024, 3, 4)):
        foreign = services.register_application(user=other_handler, data={
            "received_on": D(2024, 3, 4), "received_via": "post",
            "applicant_type": "natural_person", "applicant_name": "赵六",
            "content": "某项信息", "section": "office"})
    login(client, org["handler_office"])
    for url in (detail_url(foreign), detail_url(foreign) + "days/", f"{BASE}999999/"):
        assert client.get(url).status_code == 404, url
    assert client.post(action_url(foreign, "withdraw"),
                       {"on": "2024-03-05", "reason": "x", "confirmed": "1"}).status_code == 404
    assert status_of(foreign) == ApplicationStatus.RECEIVED
    # a leader who covers only construction does not see an office application
    own = register(org)
    assert login(client, org["leader_construction"]).get(detail_url(own)).status_code == 404
    assert client.post(action_url(own, "nonsense"), {}).status_code == 404


# ---------------------------------------------------------------- intake and register

def test_registrar_registers_an_application_and_lands_on_its_page(client, handlers):
    org = handlers
    login(client, org["handler_office"])
    with on(D(2024, 3, 6)):
        html = get(client, NEW)
        assert 'value="2024-03-06"' in html  # received today by default
        response = client.post(NEW, intake())
    application = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(application)
    assert application.status == ApplicationStatus.RECEIVED
    assert application.received_on == D(2024, 3, 4) and application.handler == org["handler_office"]
    assert application.applicant_name == "李四" and application.received_via == "post"
    with on(D(2024, 3, 6)):
        response = client.get(detail_url(application))
    assert f"已登记，申请编号 {application.tracking_code}。" in messages_of(response)


def test_intake_shows_errors_next_to_the_fields_and_registers_nothing(client, handlers):
    login(client, handlers["handler_office"])
    with on(D(2024, 3, 6)):
        response = client.post(NEW, intake(applicant_name="", section="", contact_email="x"))
        assert response.status_code == 422
        html = html_of(response)
        assert re.search(r'id="field-new-applicant_name">.*?webui-field-error', html, re.S)
        assert "请选择承办科室。" in html
        response = client.post(NEW, intake(received_on="2024-03-07"))  # tomorrow
        assert response.status_code == 422
        assert re.search(r'id="field-new-received_on">.*?不能晚于今天。', html_of(response),
                         re.S)
    assert not Application.objects.exists()


def test_register_lists_applications_masked_with_filters_and_an_empty_state(client, handlers):
    org = handlers
    login(client, org["auditor"])
    html = get(client, BASE)
    assert "还没有登记的政府信息公开申请" in html
    first = register(org, received_on=D(2024, 3, 4))
    second = register(org, received_on=D(2024, 4, 8), content="2024 年度政府采购意向")
    with on(D(2024, 4, 9)):
        html = get(client, BASE)
        row = row_of(html, f"application-{first.pk}")
        assert "138****1234" not in row  # lists never show the phone at all, only masked data
        assert "张*" in row and "张三" not in html
        assert first.tracking_code in row and second.tracking_code in html
        html = get(client, BASE, q=second.tracking_code)
        assert second.tracking_code in html and first.tracking_code not in html
        html = get(client, BASE, overdue="on")
        assert first.tracking_code in html and second.tracking_code not in html
        html = get(client, BASE, status="replied")
        assert "没有符合筛选条件的申请" in html
        html = get(client, BASE, year="2023")
        assert first.tracking_code not in html
        assert get(client, BASE, year="abc", status="bogus")  # a hand-edited URL is no 500
    assert not viewed_events(first).exists()


def test_online_applications_wait_on_the_register_until_confirmed(client, handlers):
    org = handlers
    with on(D(2024, 3, 2)):  # a Saturday
        pending = online(org)
    login(client, org["handler_office"])
    with on(D(2024, 3, 4)):
        html = get(client, BASE)
        assert "网上申请待确认收到（1 件）" in html
        row = row_of(html, f"pending-{pending.pk}")
        assert "确认收到" in row and 'value="2024-03-04"' in row
        response = client.post(action_url(pending, "confirm-receipt"),
                               {"received_on": "2024-03-01", "section": "office"})
        assert response.status_code == 422
        assert "不能早于 2024-03-02。" in html_of(response)
        response = client.post(action_url(pending, "confirm-receipt"),
                               {"received_on": "2024-03-04", "section": "office",
                                "handler": "handler_2"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == ApplicationStatus.RECEIVED and pending.received_on == D(2024, 3, 4)
    assert pending.handler == org["handler_2"]
    with on(D(2024, 3, 4)):
        assert "网上申请待确认收到" not in get(client, BASE)


# ---------------------------------------------------------------- the handler's queue

def test_queue_colours_days_left_amber_red_grey_and_flags_unknown_deadlines(client, handlers):
    org = handlers
    def mine(day, content):
        return register(org, received_on=day, content=content, handler="handler_office")

    overdue = mine(D(2024, 9, 2), "超期的申请")  # due 2024-09-30
    soon = mine(D(2024, 9, 20), "快到期的申请")  # due 2024-10-23
    later = mine(D(2024, 10, 16), "刚收到的申请")
    stopped = mine(D(2024, 10, 14), "待补正的申请")
    with on(D(2024, 10, 15)):
        services.request_correction(user=org["handler_office"], application_id=stopped.pk,
                                    notice_on=D(2024, 10, 15), items="请写明文件名称")
    unknown = mine(D(2026, 12, 14), "跨年的申请")  # due in 2027, a year without holiday data
    login(client, org["handler_office"])
    with on(D(2024, 10, 17)):
        html = get(client, QUEUE)
    assert "webui-deadline--overdue" in row_of(html, f"application-{overdue.pk}")
    assert "已超期" in row_of(html, f"application-{overdue.pk}")
    soon_row = row_of(html, f"application-{soon.pk}")
    assert "webui-deadline--soon" in soon_row and "剩余 4 个工作日" in soon_row
    assert "webui-deadline--ok" in row_of(html, f"application-{later.pk}")
    stopped_row = row_of(html, f"application-{stopped.pk}")
    assert "webui-deadline--stopped" in stopped_row and "等待申请人补正" in stopped_row
    unknown_row = row_of(html, f"application-{unknown.pk}")
    assert "webui-deadline--unknown" in unknown_row
    assert "无法确定（超出节假日数据）" in unknown_row
    # nearest deadline first, stopped clocks last
    order = [html.index(f'data-testid="application-{a.pk}"') for a in (overdue, soon, later)]
    assert order == sorted(order)
    assert html.index(f"application-{stopped.pk}") > html.index(f"application-{unknown.pk}")


def test_queue_shows_only_the_handlers_open_applications(client, handlers):
    org = handlers
    mine = register(org, handler="handler_office")
    theirs = register(org, handler="handler_2")
    login(client, org["handler_office"])
    with on(D(2024, 3, 5)):
        html = get(client, QUEUE)
        assert mine.tracking_code in html and theirs.tracking_code not in html
        login(client, org["leading_handler"])
        assert "暂无由您承办的申请" in get(client, QUEUE)


def test_list_and_queue_queries_do_not_grow_with_the_rows(client, handlers,
                                                          django_assert_max_num_queries):
    org = handlers
    for n in range(25):  # more than a page
        register(org, received_on=D(2024, 3, 4) + dt.timedelta(days=n % 10),
                 handler="handler_office")
    with on(D(2024, 3, 2)):
        online(org)
        online(org)
    login(client, org["handler_office"])
    with on(D(2024, 3, 20)):
        with django_assert_max_num_queries(13):
            html = get(client, BASE)
        assert html.count('data-testid="application-') == 20
        with django_assert_max_num_queries(9):
            get(client, QUEUE)
    for application in Application.objects.filter(status=ApplicationStatus.RECEIVED)[:22]:
        with on(D(2024, 3, 20)):
            services.draft_reply(user=org["handler_office"], application_id=application.pk,
                                 outcome="disclosed", basis="第三十六条", text="予以公开。")
    login(client, org["leader"])
    with on(D(2024, 3, 20)):
        with django_assert_max_num_queries(10):
            get(client, BASE)
        with django_assert_max_num_queries(10):
            html = get(client, APPROVALS)
        assert html.count('data-testid="approval-') == 20

# ---------------------------------------------------------------- the case page

def test_handler_sees_full_data_and_each_view_is_audited(client, handlers):
    org = handlers
    application = register(org)
    login(client, org["handler_office"])
    with on(D(2024, 3, 5)):
        html = get(client, detail_url(application))
    for text in ("张三", "110101199003071234", "13812341234", "zs@example.com",
                 "河南省焦作市温县温泉街道人民路 88 号"):
        assert text in html
    events = list(viewed_events(application))
    assert len(events) == 1 and events[0].actor == org["handler_office"]
    assert 'data-testid="masked-note"' not in html
    # the covering leader too
    login(client, org["leader"])
    with on(D(2024, 3, 5)):
        assert "13812341234" in get(client, detail_url(application))
    assert viewed_events(application).count() == 2


def test_auditors_and_admins_see_the_case_masked_and_no_view_is_audited(client, handlers):
    org = handlers
    application = register(org)
    for username in ("auditor", "admin"):
        login(client, org[username])
        with on(D(2024, 3, 5)):
            html = get(client, detail_url(application))
        assert "138****1234" in html and "13812341234" not in html
        assert "110101199003071234" not in html and "张三" not in html
        assert 'data-testid="masked-note"' in html
        assert 'data-testid="documents"' not in html  # the letters carry the full data
        assert 'data-testid="no-actions"' in html
        with on(D(2024, 3, 5)):
            response = client.post(action_url(application, "withdraw"),
                                   {"on": "2024-03-05", "reason": "x", "confirmed": "1"},
                                   follow=True)
        assert "只有依申请公开承办人可以执行此操作。" in messages_of(response)
    assert status_of(application) == ApplicationStatus.RECEIVED
    assert not viewed_events(application).exists()


def test_case_page_shows_status_deadline_days_and_the_clocks_history(client, handlers):
    org = handlers
    application = register(org, received_on=D(2024, 9, 27))  # due 2024-10-30
    login(client, org["handler_office"])
    with on(D(2024, 10, 8)):
        html = get(client, detail_url(application))
    assert "办理中" in html and "2024-10-30" in html
    assert re.search(r'data-testid="days-used">3 个工作日', html)
    assert "剩余 17 个工作日" in html and "正在计时" in html
    assert "收到申请" in html and 'data-testid="clock-history"' in html
    assert f'href="{detail_url(application)}days/"' in html
    assert f"/api/v1/applications/{application.pk}/documents/receipt/" in html
    assert "补正告知最迟" in html


def test_weekend_receipt_is_explained_on_the_case_page(client, handlers):
    application = register(handlers, received_on=D(2024, 3, 2))  # a Saturday
    login(client, handlers["handler_office"])
    with on(D(2024, 3, 4)):
        html = get(client, detail_url(application))
    assert "周六收到，视为下一个工作日收到" in html


def test_correction_notice_stops_the_clock_and_the_correction_restarts_it(client, handlers):
    org = handlers
    application = register(org, received_on=D(2024, 3, 4))
    login(client, org["handler_office"])
    with on(D(2024, 3, 6)):
        response = client.post(action_url(application, "request-correction"),
                               {"notice_on": "2024-03-06", "items": "", "period_days": "15"})
        assert response.status_code == 422
        assert re.search(r'id="field-request-correction-items">.*?请写明需要补正的事项。',
                         html_of(response), re.S)
        first = {"notice_on": "2024-03-06", "items": "请写明文件的年份", "period_days": "15"}
        response = client.post(action_url(application, "request-correction"), first)
        # only once and not undone: a confirmation page first, nothing changed yet
        assert response.status_code == 200 and "补正告知只能发出一次" in html_of(response)
        assert status_of(application) == ApplicationStatus.RECEIVED
        response = client.post(action_url(application, "request-correction"),
                               {**first, "confirmed": "1"})
        assert response.status_code == 302
        assert status_of(application) == ApplicationStatus.AWAITING_CORRECTION
        html = get(client, detail_url(application))
        assert "已登记补正告知，时钟暂停。" in html
        assert "暂停：等待申请人补正" in html and "请写明文件的年份" in html
        assert 'data-testid="action-request-correction"' not in html  # one notice only
        assert 'data-testid="action-correction-received"' in html
        assert "/documents/correction/" in html
    with on(D(2024, 3, 11)):
        client.post(action_url(application, "correction-received"),
                    {"received_on": "2024-03-11"})
        application.refresh_from_db()
        assert application.status == ApplicationStatus.RECEIVED
        assert application.deadline == D(2024, 4, 9)  # 20 working days from Mon 11 Mar


def test_a_late_correction_notice_is_refused_with_the_reason(client, handlers):
    org = handlers
    application = register(org, received_on=D(2024, 3, 4))  # notice due by 2024-03-13
    login(client, org["handler_office"])
    with on(D(2024, 3, 20)):
        response = client.post(action_url(application, "request-correction"),
                               {"notice_on": "2024-03-20", "items": "请写明年份",
                                "period_days": "15", "confirmed": "1"}, follow=True)
    assert response.status_code == 200
    assert any("7 个工作日内" in m and "2024-03-13" in m for m in messages_of(response))
    assert status_of(application) == ApplicationStatus.RECEIVED


def test_handler_requests_an_extension_and_the_covering_leader_grants_it(client, handlers):
    org = handlers
    application = register(org, received_on=D(2024, 3, 4))  # due 2024-04-01
    # extended: Apr 2–3, Sun 7 (调休), 8–12, 15–19, 22–26, Sun 28 (调休), Mon 29 → 40
    login(client, org["handler_office"])
    with on(D(2024, 3, 20)):
        response = client.post(action_url(application, "request-extension"), {"reason": ""})
        assert response.status_code == 422 and "请写明延期理由。" in html_of(response)
        client.post(action_url(application, "request-extension"),
                    {"reason": "需调取档案室存档材料"})
        html = get(client, detail_url(application))
        assert 'data-testid="extension-requested"' in html
        assert 'data-testid="action-request-extension"' not in html
        assert 'data-testid="action-extend"' not in html  # the handler does not grant it
    login(client, org["leader"])
    with on(D(2024, 3, 21)):
        row = row_of(get(client, APPROVALS), f"approval-{application.pk}")
        assert "延期申请" in row and "需调取档案室存档材料" in row
        html = get(client, detail_url(application))
        assert 'value="2024-03-21"' in html and "需调取档案室存档材料" in html
        response = client.post(action_url(application, "extend"),
                               {"reason": "", "notice_on": "2024-03-21"})
        assert response.status_code == 200 and "延期只能批准一次" in html_of(response)
        response = client.post(action_url(application, "extend"),
                               {"reason": "", "notice_on": "2024-03-21", "confirmed": "1"})
        assert response.status_code == 302
    application.refresh_from_db()
    assert application.extended and application.deadline == D(2024, 4, 29)
    with on(D(2024, 3, 21)):
        html = get(client, detail_url(application))
        assert "已延期" in html and 'data-testid="action-extend"' not in html
        assert "暂无待您审批的答复或延期申请" in get(client, APPROVALS)


def test_third_party_consultation_pauses_and_its_reply_resumes_the_clock(client, handlers):
    org = handlers
    application = register(org, received_on=D(2024, 3, 4))
    login(client, org["handler_office"])
    with on(D(2024, 3, 6)):
        response = client.post(action_url(application, "consult"),
                               {"sent_on": "2024-03-07", "third_party": "某公司"})
        assert response.status_code == 422 and "不能晚于今天。" in html_of(response)
        client.post(action_url(application, "consult"),
                    {"sent_on": "2024-03-06", "third_party": "某公司"})
        assert status_of(application) == ApplicationStatus.CONSULTING_THIRD_PARTY
        html = get(client, detail_url(application))
        assert "暂停：征求第三方意见" in html and "第三方：某公司" in html
    with on(D(2024, 3, 12)):
        client.post(action_url(application, "third-party-replied"),
                    {"replied_on": "2024-03-12"})
    assert status_of(application) == ApplicationStatus.RECEIVED


def test_fee_notice_shows_the_computed_fee_before_sending_and_pauses_the_clock(client, handlers):
    org = handlers
    application = register(org, received_on=D(2024, 3, 4))
    login(client, org["handler_office"])
    form = {"notice_on": "2024-03-06", "method": "per_page", "quantity": "150",
            "period_days": "20"}
    with on(D(2024, 3, 6)):
        response = client.post(action_url(application, "fee-notice"), {**form, "preview": "1"})
        assert response.status_code == 200
        assert re.search(r'data-testid="fee-preview">\s*<strong>应收信息处理费：1700 元',
                         html_of(response))  # 70 pages × 10 + 50 pages × 20
        assert status_of(application) == ApplicationStatus.RECEIVED  # only computed
        response = client.post(action_url(application, "fee-notice"),
                               {**form, "method": "per_both"})
        assert response.status_code == 422
        response = client.post(action_url(application, "fee-notice"),
                               {**form, "quantity": "10"})  # under the free pages
        assert response.status_code == 422 and "未达到收费标准。" in html_of(response)
        client.post(action_url(application, "fee-notice"), form)
        assert status_of(application) == ApplicationStatus.RECEIVED  # asked to confirm first
        client.post(action_url(application, "fee-notice"), {**form, "confirmed": "1"})
        assert status_of(application) == ApplicationStatus.AWAITING_FEE
        html = get(client, detail_url(application))
        assert "暂停：等待申请人缴费" in html and "/documents/fee/" in html
    with on(D(2024, 3, 8)):
        client.post(action_url(application, "fee-paid"), {"paid_on": "2024-03-08"})
    assert status_of(application) == ApplicationStatus.RECEIVED


def test_withdrawal_asks_for_confirmation_first(client, handlers):
    org = handlers
    application = register(org, received_on=D(2024, 3, 4))
    login(client, org["handler_office"])
    with on(D(2024, 3, 6)):
        response = client.post(action_url(application, "withdraw"),
                               {"on": "2024-03-06", "reason": "申请人来电撤回"})
        assert response.status_code == 200
        html = html_of(response)
        assert "确认登记撤回" in html and "不能恢复" in html
        assert 'name="reason" value="申请人来电撤回"' in html
        assert status_of(application) == ApplicationStatus.RECEIVED
        response = client.post(action_url(application, "withdraw"),
                               {"on": "2024-03-06", "reason": "申请人来电撤回",
                                "confirmed": "1"})
        assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CLOSED and application.outcome == "other"
    with on(D(2024, 3, 6)):
        html = get(client, detail_url(application))
    assert "该申请已办结。" in html and 'data-testid="action-reply"' not in html


def draft(client, application, **overrides):
    data = {"outcome": "disclosed",
            "basis": "《中华人民共和国政府信息公开条例》第三十六条第（二）项",
            "text": "经审查，您申请的信息予以公开，现提供如下。", "competent_agency": "",
            "reply_on": ""}
    data.update(overrides)
    return client.post(action_url(application, "reply"), data)


def test_reply_is_drafted_then_approved_by_the_covering_leader_after_confirmation(
        client, handlers):
    org = handlers
    application = register(org, received_on=D(2024, 3, 4))
    login(client, org["handler_office"])
    with on(D(2024, 3, 12)):
        html = get(client, detail_url(application))
        assert '<optgroup label="不予公开">' in html and '<optgroup label="无法提供">' in html
        response = draft(client, application, outcome="", text="")
        assert response.status_code == 422
        assert "请选择一种办理结果。" in html_of(response)
        assert "请填写答复内容。" in html_of(response)
        assert draft(client, application).status_code == 302
        assert status_of(application) == ApplicationStatus.REPLY_PENDING_APPROVAL
        html = get(client, detail_url(application))
        assert "答复待审批" in html and "予以公开" in html and "待审批" in html
        assert 'data-testid="action-approve-reply"' not in html  # not the handler's to approve
    login(client, org["leader"])
    with on(D(2024, 3, 13)):
        row = row_of(get(client, APPROVALS), f"approval-{application.pk}")
        assert "答复待审批" in row and "予以公开" in row
        response = client.post(action_url(application, "reject-reply"), {"comment": ""})
        assert response.status_code == 422 and "请填写退回意见。" in html_of(response)
        response = client.post(action_url(application, "approve-reply"), {"comment": "同意"})
        assert response.status_code == 200 and "确认批准答复" in html_of(response)
        assert "2024-03-13" in html_of(response)  # the reply's date is the approval's
        assert status_of(application) == ApplicationStatus.REPLY_PENDING_APPROVAL
        response = client.post(action_url(application, "approve-reply"),
                               {"comment": "同意", "confirmed": "1"})
        assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REPLIED
    assert application.replied_on == D(2024, 3, 13) and application.outcome == "disclosed"
    assert subject_trail(subject=application).filter(action=AuditAction.REPLY_APPROVED,
                                                     actor=org["leader"]).exists()
    with on(D(2024, 3, 13)):
        html = get(client, detail_url(application))
    assert "已批准" in html and "同意" in html and "/documents/reply/" in html


def test_rejected_reply_goes_back_to_the_handler_with_the_comment(client, handlers):
    org = handlers
    application = register(org, received_on=D(2024, 3, 4))
    login(client, org["handler_office"])
    with on(D(2024, 3, 12)):
        draft(client, application)
    login(client, org["leader"])
    with on(D(2024, 3, 12)):
        client.post(action_url(application, "reject-reply"), {"comment": "法律依据不准确"})
    assert status_of(application) == ApplicationStatus.RECEIVED
    login(client, org["handler_office"])
    with on(D(2024, 3, 12)):
        html = get(client, detail_url(application))
    assert "已退回" in html and "法律依据不准确" in html and 'data-testid="action-reply"' in html


def test_a_leader_who_drafted_the_reply_cannot_approve_it(client, handlers):
    org = handlers
    application = register(org, received_on=D(2024, 3, 4))
    login(client, org["leading_handler"])
    with on(D(2024, 3, 12)):
        draft(client, application)
        html = get(client, detail_url(application))
        assert "这份答复由您拟写，不能由您审批" in html
        assert 'data-testid="action-approve-reply"' not in html
        assert "本人拟写，须由分管该科室的其他领导审批" in get(client, APPROVALS)
        response = client.post(action_url(application, "approve-reply"),
                               {"comment": "", "confirmed": "1"}, follow=True)
    assert any("不能审批自己拟写的答复" in m for m in messages_of(response))
    assert status_of(application) == ApplicationStatus.REPLY_PENDING_APPROVAL


def test_competent_agency_is_kept_only_for_information_not_held(client, handlers):
    org = handlers
    application = register(org, received_on=D(2024, 3, 4))
    login(client, org["handler_office"])
    with on(D(2024, 3, 12)):
        draft(client, application, outcome="unable_not_held", competent_agency="温县自然资源局",
              basis="第三十六条第（五）项", text="该信息不属于本机关负责公开。")
    reply = application.replies.get()
    assert reply.competent_agency == "温县自然资源局"


def test_assign_routes_the_application_to_another_handler(client, handlers):
    org = handlers
    application = register(org, received_on=D(2024, 3, 4))
    login(client, org["handler_office"])
    with on(D(2024, 3, 5)):
        response = client.post(action_url(application, "assign"),
                               {"section": "construction", "handler": "handler_2"})
        assert response.status_code == 302
        response = client.post(action_url(application, "assign"),
                               {"section": "construction", "handler": "head_office"})
        assert response.status_code == 422  # not a handler: the choice is refused
    application.refresh_from_db()
    assert application.section == org.sections["construction"]
    assert application.handler == org["handler_2"]


# ---------------------------------------------------------------- 期限计算明细

def test_day_by_day_account_names_each_day_and_why_it_counts(client, handlers):
    # Fri 27 Sep 2024; Sun 29 Sep worked (调休); 1–7 Oct National Day; Sat 12 Oct worked
    application = register(handlers, received_on=D(2024, 9, 27))
    login(client, handlers["auditor"])
    with on(D(2024, 10, 8)):
        html = get(client, detail_url(application) + "days/")
    assert "期限计算明细" in html and "打印" in html

    def day(date):
        return row_of(html, f"day-{date}")

    assert "收到申请之日，不计入" in day("2024-09-27")
    assert "周末，不计入" in day("2024-09-28")
    assert "调休上班" in day("2024-09-29") and ">1<" in day("2024-09-29")
    assert ">2<" in day("2024-09-30")
    assert "国庆节放假，不计入" in day("2024-10-01") and "周二" in day("2024-10-01")
    assert ">3<" in day("2024-10-08") and "今天" in day("2024-10-08")
    assert ">20<" in day("2024-10-30") and "答复期限" in day("2024-10-30")
    assert 'data-testid="day-2024-10-31"' not in html
    assert "第 20 个计入的工作日为 2024-10-30（周三），即答复期限。" in html


def test_day_by_day_account_explains_a_weekend_receipt_and_a_pause(client, handlers):
    org = handlers
    application = register(org, received_on=D(2024, 3, 2))  # Saturday → deemed Mon 4 Mar
    with on(D(2024, 3, 6)):
        services.consult_third_party(user=org["handler_office"], application_id=application.pk,
                                     sent_on=D(2024, 3, 6))
    with on(D(2024, 3, 8)):
        services.record_third_party_reply(user=org["handler_office"],
                                          application_id=application.pk,
                                          replied_on=D(2024, 3, 8))
    login(client, org["handler_office"])
    with on(D(2024, 3, 11)):
        html = get(client, detail_url(application) + "days/")
    assert "周六收到，视为下一个工作日收到" in html
    assert "周六收到，视为下一个工作日收到" in row_of(html, "day-2024-03-04")
    assert "征求第三方意见" in row_of(html, "day-2024-03-06")  # the event of the day
    assert "暂停计时（征求第三方意见），不计入" in row_of(html, "day-2024-03-07")
    assert "暂停计时（征求第三方意见），不计入" in row_of(html, "day-2024-03-08")
    assert ">3<" in row_of(html, "day-2024-03-11")
    assert "2024-03-06 次日至 2024-03-08 不计入期限" in html


def test_day_by_day_account_flags_days_of_a_year_without_holiday_data(client, handlers):
    application = register(handlers, received_on=D(2026, 12, 14))
    with on(D(2026, 12, 15)):
        login(client, handlers["handler_office"])
        html = get(client, detail_url(application) + "days/")
        assert 'data-testid="unknown-days"' in html
        assert "webui-day--unknown" in row_of(html, "day-2027-01-04")
        assert "webui-day--unknown" not in row_of(html, "day-2026-12-31")
        assert "答复期限无法确定" in html
        case = get(client, detail_url(application))
    assert "无法确定（超出节假日数据）" in case and "2027-01-01 起的节假日安排尚未录入" in case


# ---------------------------------------------------------------- 复议诉讼

def test_handler_files_a_case_and_records_its_result(client, handlers):
    org = handlers
    application = register(org, received_on=D(2024, 3, 4))
    login(client, org["handler_office"])
    with on(D(2024, 6, 3)):
        html = get(client, CASES)
        assert "还没有登记的复议诉讼案件" in html and 'data-testid="case-form"' in html
        response = client.post(CASES, {"kind": "reconsideration",
                                       "tracking_code": "YSQ-0000-XXXXXX",
                                       "filed_on": "2024-06-03", "body": "温县人民政府",
                                       "result": "pending"})
        assert response.status_code == 422 and "未找到该申请编号。" in html_of(response)
        response = client.post(CASES, {"kind": "reconsideration",
                                       "tracking_code": application.tracking_code,
                                       "filed_on": "2024-06-03", "body": "温县人民政府",
                                       "result": "upheld", "decided_on": ""})
        assert response.status_code == 422 and "必填。" in html_of(response)
        response = client.post(CASES, {"kind": "reconsideration",
                                       "tracking_code": application.tracking_code.lower(),
                                       "filed_on": "2024-06-03", "body": "温县人民政府",
                                       "result": "pending"})
        assert response.status_code == 302
    case = Case.objects.get()
    assert case.application == application and case.result == CaseResult.PENDING
    with on(D(2024, 8, 1)):
        html = get(client, CASES, year="2024")
        assert application.tracking_code in row_of(html, f"case-{case.pk}")
        assert "该年度没有登记的复议诉讼案件" in get(client, CASES, year="2023")
        edit = f"{CASES}{case.pk}/"
        response = client.post(edit, {"result": "pending", "decided_on": "2024-07-30",
                                      "filed_on": "2024-06-03", "body": "温县人民政府"})
        assert response.status_code == 422 and "尚未审结时须为空。" in html_of(response)
        response = client.post(edit, {"result": "corrected", "decided_on": "2024-07-30",
                                      "filed_on": "2024-06-03", "body": "温县人民政府"})
        assert response.status_code == 302
    case.refresh_from_db()
    assert case.result == CaseResult.CORRECTED and case.decided_on == D(2024, 7, 30)
    assert subject_trail(subject=case).filter(action=AuditAction.CASE_DECIDED).exists()


def test_leaders_and_auditors_read_the_case_register_without_editing(client, handlers):
    org = handlers
    with on(D(2024, 6, 3)):
        case = services.file_case(user=org["admin"], data={
            "kind": "litigation_direct", "filed_on": D(2024, 6, 3), "body": "温县人民法院"})
    for username in ("leader", "auditor"):
        login(client, org[username])
        with on(D(2024, 6, 4)):
            html = get(client, CASES)
            assert "温县人民法院" in html and 'data-testid="case-form"' not in html
            assert f"{CASES}{case.pk}/" not in html
            assert client.get(f"{CASES}{case.pk}/").status_code == 403
            assert client.post(CASES, {"kind": "reconsideration", "filed_on": "2024-06-04",
                                       "body": "x", "result": "pending"}).status_code == 403
    assert Case.objects.count() == 1


# ---------------------------------------------------------------- language

def test_pages_are_english_on_request(client, handlers):
    org = handlers
    application = register(org, received_on=D(2024, 3, 4))
    login(client, org["handler_office"])
    client.post("/i18n/setlang/", {"language": "en", "next": BASE})
    with on(D(2024, 3, 12)):
        for url in (BASE, NEW, QUEUE, CASES, detail_url(application),
                    detail_url(application) + "days/"):
            html = get(client, url)
            assert "申请登记簿" not in html and "期限" not in html, url
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": BASE})
    with on(D(2024, 3, 12)):
        for url in (BASE, detail_url(application), detail_url(application) + "days/"):
            # tracking codes are data, not words to translate
            html = re.sub(r"YSQ-\d{4}-[0-9A-Z]{6}", "", get(client, url))
            words = english_words(html)
            assert not words, (url, words)


def test_a_reply_drafted_without_a_basis_gets_the_outcomes_legal_basis(client, handlers):
    from applications.models import Reply
    from applications.outcomes import default_basis

    org = handlers
    application = register(org, received_on=D(2024, 3, 4))
    login(client, org["handler_office"])
    with on(D(2024, 3, 12)):
        response = draft(client, application, outcome="unable_not_held", basis="",
                         competent_agency="温县自然资源局")
    assert response.status_code == 302
    reply = Reply.objects.get(application=application)
    assert reply.basis == default_basis("unable_not_held", competent_agency="温县自然资源局")
    assert "第三十六条第（五）项" in reply.basis and reply.competent_agency == "温县自然资源局"


def test_reply_files_and_case_documents_on_the_pages(client, handlers):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from applications.models import ReplyAttachment
    from audit.models import AuditEvent

    org = handlers
    application = register(org, received_on=D(2024, 3, 4))
    login(client, org["handler_office"])
    with on(D(2024, 3, 12)):
        assert draft(client, application).status_code == 302
        html = get(client, detail_url(application))
        assert 'data-testid="reply-file-form"' in html
        response = client.post(f"/app/applications/{application.pk}/reply-files/",
                               {"file": SimpleUploadedFile("分配名单.pdf", b"%PDF-1.4 x")})
        assert response.status_code == 302
        attachment = ReplyAttachment.objects.get()
        html = get(client, detail_url(application))
        assert "分配名单.pdf" in html
        download = client.get(f"/app/applications/{application.pk}/reply-files/"
                              f"{attachment.pk}/")
        assert download.status_code == 200
        bad = client.post(f"/app/applications/{application.pk}/reply-files/",
                          {"file": SimpleUploadedFile("x.exe", b"MZ")}, follow=True)
        assert "不支持的附件类型" in html_of(bad)
        case = services.file_case(user=org["handler_office"], data={
            "kind": "reconsideration", "filed_on": D(2024, 3, 11), "body": "温县人民政府"})
        response = client.post(f"/app/applications/cases/{case.pk}/files/",
                               {"file": SimpleUploadedFile("复议申请书.pdf", b"%PDF-1.4 y")})
        assert response.status_code == 302
    assert Case.objects.get().documents.get().name == "复议申请书.pdf"
    assert AuditEvent.objects.filter(action="reply_attachment_added").count() == 1
    assert AuditEvent.objects.filter(action="attachment_downloaded",
                                     subject_id=application.pk).count() == 1
    # auditors read the case list with its documents, not the reply's files
    login(client, org["auditor"])
    with on(D(2024, 3, 12)):
        assert "复议申请书.pdf" in get(client, "/app/applications/cases/")
        assert client.get(f"/app/applications/{application.pk}/reply-files/"
                          f"{attachment.pk}/").status_code == 403


def test_the_case_page_and_its_action_forms_have_no_chinese_left_in_english(client, handlers):
    """Every label and help text of the case page's forms is translated; what stays Chinese
    is the data (the applicant's, the agency's and its people's names)."""
    from django.conf import settings

    org = handlers
    application = register(org, received_on=D(2024, 3, 4))
    login(client, org["handler_office"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with on(D(2024, 3, 12)):
        html = get(client, detail_url(application))
    text = re.sub(r"<(script|style)\b.*?</\1>|<[^>]+>", " ", html, flags=re.S)
    data = [application.applicant_name, application.contact_address, application.content,
            org.agency.name, *(s.name for s in org.sections.values()),
            *(u.display_name for u in org.users.values())]
    for value in sorted(filter(None, data), key=len, reverse=True):
        text = text.replace(value, " ")
    # the language switch offers 中文 in its own name
    assert re.findall(r"[\u4e00-\u9fff（）]+", text) == ["中文"]


def test_an_action_address_opened_in_the_browser_leads_to_the_case_page(client, handlers):
    """A form with a mistake comes back at the action's address: reloading it from the
    address bar, or switching the language there, opens it without a POST."""
    org = handlers
    application = register(org, received_on=D(2024, 3, 4))
    login(client, org["handler_office"])
    with on(D(2024, 3, 6)):
        url = action_url(application, "request-correction")
        assert client.post(url, {"notice_on": "2024-03-06", "items": ""}).status_code == 422
        response = client.get(url)
        assert response.status_code == 302 and response.url == detail_url(application)
        switched = client.post("/i18n/setlang/", {"language": "en", "next": url}, follow=True)
        assert switched.status_code == 200
        assert switched.redirect_chain[-1][0] == detail_url(application)
        assert client.get(action_url(application, "no-such-action")).status_code == 404
        assert client.get(action_url(application, "reply")).status_code == 302


def test_an_unconfirmed_online_application_is_discarded_after_confirmation(client, handlers):
    org = handlers
    with on(D(2024, 3, 2)):
        application = online(org)
    login(client, org["handler_office"])
    with on(D(2024, 3, 4)):
        assert 'data-testid="action-discard"' in get(client, detail_url(application))
        url = action_url(application, "discard")
        response = client.post(url, {"reason": "重复提交"})
        assert response.status_code == 200 and "不计入任何统计" in html_of(response)
        assert status_of(application) == ApplicationStatus.PENDING_CONFIRMATION
        response = client.post(url, {"reason": "重复提交", "confirmed": "1"})
        assert response.status_code == 302
    assert status_of(application) == ApplicationStatus.CLOSED
