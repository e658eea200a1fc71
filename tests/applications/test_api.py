"""The REST contract of 依申请公开 (issue 11, "API"): paths, fields and status codes as the
issue writes them, who may do what, masking, and the audit event of every action.

Dates are counted by hand on the 2024 holiday notice (see test_clock.py): an application
received Mon 4 Mar 2024 has its 20th working day on Mon 1 Apr; its 补正 notice may go out
until Wed 13 Mar (the 7th working day); with the extension its 40th working day is Mon
29 Apr (Qingming 4–6 Apr off, Sun 7 Apr and Sun 28 Apr worked).
"""

import re

import pytest

from agencies.models import Role
from applications import services
from applications.fees import compute_fee
from applications.models import Application, Case, ClockEvent
from audit.models import AuditEvent
from notifications.models import Notification
from testsupport.factories import api, make_user

from .conftest import D, application_data, on, register

pytestmark = pytest.mark.django_db

URL = "/api/v1/applications/"
RECEIVED = D(2024, 3, 4)
DEADLINE = "2024-04-01"


@pytest.fixture
def org(handlers):
    return handlers


@pytest.fixture
def stranger(other_org):
    """An application handler of another agency."""
    return make_user(other_org.agency, "other_handler", [Role.APPLICATION_HANDLER],
                     other_org.sections["office"])


def post(user, path, data=None, *, day=RECEIVED):
    with on(day):
        return api(user).post(path, data or {}, format="json")


def get(user, path, *, day=RECEIVED):
    with on(day):
        return api(user).get(path)


def act(user, application, name, data=None, *, day=RECEIVED):
    return post(user, f"{URL}{application.pk}/{name}/", data, day=day)


def events(application, action, **filters):
    return AuditEvent.objects.filter(subject_type="applications.application",
                                     subject_id=application.pk, action=action, **filters)


def api_data(**overrides) -> dict:
    data = {k: str(v) if k == "received_on" else v for k, v in application_data().items()}
    data.update(overrides)
    return data


def status_of(application) -> str:
    return Application.objects.get(pk=application.pk).status


# --- registering ------------------------------------------------------------------------

def test_register_answers_201_with_the_tracking_code_status_and_deadline(org):
    response = post(org["handler_office"], URL, api_data())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert re.fullmatch(r"YSQ-2024-[2-9A-HJKMNP-TV-Z]{6}", body["tracking_code"])
    assert (body["status"], body["received_on"], body["deadline"], body["days_left"]) == (
        "received", "2024-03-04", DEADLINE, 20)
    assert (body["applicant_type"], body["section"]) == ("natural_person", "office")
    assert isinstance(body["id"], int)
    application = Application.objects.get(pk=body["id"])
    assert application.registered_by == org["handler_office"]
    assert events(application, "application_received", actor=org["handler_office"]).exists()


def test_the_detail_shows_the_clock_history(org):
    application = register(org)
    with on(D(2024, 3, 6)):
        services.request_correction(user=org["handler_office"], application_id=application.pk,
                                    notice_on=D(2024, 3, 6), items="请写明年份")
    response = get(org["handler_office"], f"{URL}{application.pk}/", day=D(2024, 3, 6))
    assert response.status_code == 200
    assert response.json()["clock"] == [
        {"event": "received", "on": "2024-03-04", "days_used": 0, "deadline": DEADLINE},
        {"event": "correction_requested", "on": "2024-03-06", "days_used": 2,
         "deadline": None},
    ]


def test_a_weekend_receipt_is_deemed_received_on_monday(org):
    response = post(org["handler_office"], URL, api_data(received_on="2024-03-02"),
                    day=D(2024, 3, 2))
    body = response.json()
    assert (body["received_on"], body["deemed_received_on"]) == ("2024-03-02", "2024-03-04")
    assert body["deadline"] == DEADLINE


@pytest.mark.parametrize("change, field", [
    ({"applicant_name": ""}, "applicant_name"),
    ({"received_via": "pigeon"}, "received_via"),
    ({"applicant_type": "alien"}, "applicant_type"),
    ({"received_on": "2024-13-01"}, "received_on"),
    ({"received_on": "2024-03-05"}, "received_on"),  # tomorrow
    # a mistyped year: before the Regulations' periods applied, and no year of the reports
    ({"received_on": "0204-03-04"}, "received_on"),
    ({"received_on": "2019-05-14"}, "received_on"),
    ({"section": "no_such_section"}, "section"),
    ({"content": None}, "content"),
    ({"contact_email": "not-an-address"}, "contact_email"),
    ({"handler": "drafter_office"}, "handler"),  # not an application handler
])
def test_register_with_bad_input_answers_400_naming_the_field(org, change, field):
    response = post(org["handler_office"], URL, api_data(**change))
    assert response.status_code == 400
    assert field in response.json() and response.json()["detail"]
    assert not Application.objects.exists()


@pytest.mark.parametrize("username", ["drafter_office", "leader", "auditor", "admin"])
def test_only_application_handlers_register(org, username):
    assert post(org[username], URL, api_data()).status_code == 403
    assert not Application.objects.exists()


# --- lists ------------------------------------------------------------------------------

def ids(response) -> set:
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


def test_the_list_filters_by_status_year_and_overdue(org):
    h = org["handler_office"]
    late = register(org)  # deadline 1 Apr 2024
    on_time = register(org, received_on=D(2024, 3, 25))
    stopped = register(org)
    with on(D(2024, 3, 5)):
        services.request_correction(user=h, application_id=stopped.pk, notice_on=D(2024, 3, 5),
                                    items="请写明年份")
    earlier = register(org, received_on=D(2023, 11, 1))
    day = D(2024, 4, 2)
    assert ids(get(h, URL, day=day)) == {late.pk, on_time.pk, stopped.pk, earlier.pk}
    assert ids(get(h, f"{URL}?status=awaiting_correction", day=day)) == {stopped.pk}
    assert ids(get(h, f"{URL}?status=received", day=day)) == {late.pk, on_time.pk, earlier.pk}
    assert ids(get(h, f"{URL}?year=2024", day=day)) == {late.pk, on_time.pk, stopped.pk}
    assert ids(get(h, f"{URL}?year=2023", day=day)) == {earlier.pk}
    # the one received in 2023 is long overdue too; the stopped clock is not
    assert ids(get(h, f"{URL}?overdue=true", day=day)) == {late.pk, earlier.pk}
    assert ids(get(h, f"{URL}?overdue=true&year=2024", day=day)) == {late.pk}
    rows = {r["id"]: r for r in get(h, URL, day=day).json()["results"]}
    assert rows[late.pk]["overdue"] and rows[late.pk]["days_left"] == -1
    assert not rows[on_time.pk]["overdue"]


def test_the_handlers_queue_is_sorted_by_deadline_with_stopped_clocks_last(org):
    h = org["handler_office"]
    later = register(org, received_on=D(2024, 3, 6))
    stopped = register(org, received_on=D(2024, 3, 1))
    with on(D(2024, 3, 5)):
        services.request_correction(user=h, application_id=stopped.pk, notice_on=D(2024, 3, 5),
                                    items="请写明年份")
    sooner = register(org, received_on=D(2024, 3, 4))
    response = get(h, f"{URL}?ordering=deadline", day=D(2024, 3, 7))
    assert [r["id"] for r in response.json()["results"]] == [sooner.pk, later.pk, stopped.pk]


@pytest.mark.parametrize("query, field", [("status=nonsense", "status"), ("year=twenty", "year"),
                                          ("year=1900", "year")])
def test_bad_list_filters_answer_400_naming_the_parameter(org, query, field):
    response = get(org["handler_office"], f"{URL}?{query}")
    assert response.status_code == 400 and field in response.json()


def test_lists_show_personal_data_masked_and_write_no_view_event(org):
    register(org)
    for username in ("handler_office", "leader", "auditor"):
        response = get(org[username], URL)
        (row,) = response.json()["results"]
        assert row["personal_data"] == "masked"
        assert row["contact_phone"] == "138****1234"
        assert row["applicant_name"] == "张*"
        assert row["applicant_id_number"] == "11*************234"
        assert row["contact_email"] == "z***@example.com"
        text = response.content.decode()
        for secret in ("13812341234", "110101199003071234", "张三", "人民路"):
            assert secret not in text
    assert not AuditEvent.objects.filter(action="application_viewed").exists()


def test_lists_hold_only_what_the_reader_may_see(org, stranger):
    office = register(org)
    construction = register(org, section="construction")
    theirs = services.register_application(user=stranger, data=application_data())
    assert ids(get(org["handler_office"], URL)) == {office.pk, construction.pk}
    assert ids(get(org["auditor"], URL)) == {office.pk, construction.pk}
    assert ids(get(org["leader_construction"], URL)) == {construction.pk}
    assert ids(get(org["drafter_office"], URL)) == set()
    assert ids(get(stranger, URL)) == {theirs.pk}


# --- the detail and its personal data --------------------------------------------------

def test_a_handler_sees_the_full_record_and_the_view_is_audited(org):
    application = register(org)
    response = get(org["handler_2"], f"{URL}{application.pk}/")
    body = response.json()
    assert body["personal_data"] == "full"
    assert (body["applicant_name"], body["contact_phone"], body["applicant_id_number"]) == (
        "张三", "13812341234", "110101199003071234")
    assert events(application, "application_viewed", actor=org["handler_2"]).count() == 1


def test_a_covering_leader_sees_the_full_record_and_the_view_is_audited(org):
    application = register(org)
    body = get(org["leader"], f"{URL}{application.pk}/").json()
    assert body["personal_data"] == "full" and body["contact_phone"] == "13812341234"
    assert events(application, "application_viewed", actor=org["leader"]).count() == 1


def test_an_auditor_sees_the_detail_masked_and_nothing_is_recorded_as_viewed(org):
    application = register(org)
    response = get(org["auditor"], f"{URL}{application.pk}/")
    body = response.json()
    assert body["personal_data"] == "masked" and body["contact_phone"] == "138****1234"
    assert "13812341234" not in response.content.decode()
    assert not events(application, "application_viewed").exists()


@pytest.mark.parametrize("username", ["drafter_office", "head_office", "publisher",
                                      "leader_construction"])
def test_people_without_a_part_in_it_find_no_application(org, username):
    application = register(org)
    assert get(org[username], f"{URL}{application.pk}/").status_code == 404


def test_another_agencys_application_is_not_found(org, stranger, other_org):
    application = register(org)
    for user in (stranger, other_org["leader"], other_org["auditor"]):
        assert get(user, f"{URL}{application.pk}/").status_code == 404
    assert act(stranger, application, "request-correction",
               {"notice_on": "2024-03-04", "items": "x"}).status_code == 404
    assert act(other_org["leader"], application, "extend",
               {"reason": "x", "notice_on": "2024-03-04"}).status_code == 404
    assert status_of(application) == "received"
    assert not AuditEvent.objects.filter(agency=other_org.agency,
                                         subject_id=application.pk).exists()


# --- 补正 ----------------------------------------------------------------------------------

def test_request_correction_stops_the_clock(org):
    application = register(org)
    response = act(org["handler_office"], application, "request-correction",
                   {"notice_on": "2024-03-13", "items": "请写明所需信息的年份"}, day=D(2024, 3, 13))
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["deadline"], body["clock_stopped_by"]) == (
        "awaiting_correction", None, "correction")
    assert body["days_used"] == 7
    event = events(application, "correction_requested", actor=org["handler_office"]).get()
    assert event.data["items"] == "请写明所需信息的年份"


def test_a_correction_notice_after_seven_working_days_is_refused_with_409(org):
    application = register(org)
    response = act(org["handler_office"], application, "request-correction",
                   {"notice_on": "2024-03-14", "items": "请写明年份"}, day=D(2024, 3, 14))
    assert response.status_code == 409
    assert "7 个工作日" in response.json()["detail"] and "2024-03-13" in response.json()["detail"]
    assert status_of(application) == "received"
    assert not events(application, "correction_requested").exists()


def test_the_correction_restarts_the_clock_and_a_second_notice_is_refused(org):
    h = org["handler_office"]
    application = register(org)
    act(h, application, "request-correction", {"notice_on": "2024-03-06", "items": "请写明年份"},
        day=D(2024, 3, 6))
    response = act(h, application, "correction-received", {"received_on": "2024-03-11"},
                   day=D(2024, 3, 11))
    assert response.status_code == 200
    body = response.json()
    # 20 working days from Mon 11 Mar: Mar 12–15 (4), 18–22, 25–29 (14), Apr 1–3 (17),
    # Sun 7 Apr 调休 (18), Apr 8, 9 (20)
    assert (body["status"], body["deadline"], body["days_used"]) == ("received", "2024-04-09", 0)
    assert events(application, "correction_received", actor=h).exists()
    again = act(h, application, "request-correction", {"notice_on": "2024-03-12",
                                                       "items": "再次补正"}, day=D(2024, 3, 12))
    assert again.status_code == 409 and "只能发出一次" in again.json()["detail"]


@pytest.mark.parametrize("data, field", [({"notice_on": "2024-03-05", "items": ""}, "items"),
                                         ({"items": "请写明年份"}, "notice_on"),
                                         ({"notice_on": "2024-03-01", "items": "x"}, "notice_on"),
                                         ({"notice_on": "2024-03-06", "items": "x"}, "notice_on")])
def test_a_correction_notice_with_bad_input_answers_400(org, data, field):
    application = register(org)
    response = act(org["handler_office"], application, "request-correction", data,
                   day=D(2024, 3, 5))
    assert response.status_code == 400 and field in response.json()


def test_a_correction_received_without_a_notice_is_refused_with_409(org):
    application = register(org)
    response = act(org["handler_office"], application, "correction-received",
                   {"received_on": "2024-03-04"})
    assert response.status_code == 409 and response.json()["detail"]


def test_only_application_handlers_send_correction_notices(org):
    application = register(org)
    response = act(org["leader"], application, "request-correction",
                   {"notice_on": "2024-03-04", "items": "x"})
    assert response.status_code == 403


# --- extension ----------------------------------------------------------------------------

def test_a_covering_leader_extends_once(org):
    application = register(org)
    response = act(org["leader"], application, "extend",
                   {"reason": "需调取档案室存档材料", "notice_on": "2024-03-20"},
                   day=D(2024, 3, 20))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["extended"] and body["deadline"] == "2024-04-29" and body["allowance"] == 40
    event = events(application, "application_extended", actor=org["leader"]).get()
    assert event.data["previous_deadline"] == DEADLINE
    again = act(org["leader"], application, "extend", {"reason": "再延", "notice_on": "2024-03-21"},
                day=D(2024, 3, 21))
    assert again.status_code == 409 and "只能延长一次" in again.json()["detail"]


@pytest.mark.parametrize("username", ["handler_office", "auditor"])
def test_someone_who_is_not_a_covering_leader_may_not_extend(org, username):
    application = register(org)
    response = act(org[username], application, "extend",
                   {"reason": "需调取档案", "notice_on": "2024-03-20"}, day=D(2024, 3, 20))
    assert response.status_code == 403
    assert not Application.objects.get(pk=application.pk).extended


def test_an_extension_after_the_deadline_is_refused_with_409(org):
    application = register(org)
    response = act(org["leader"], application, "extend",
                   {"reason": "需调取档案", "notice_on": "2024-04-02"}, day=D(2024, 4, 2))
    assert response.status_code == 409 and "2024-04-01" in response.json()["detail"]
    # nor dated after the deadline when entered later
    response = act(org["leader"], application, "extend",
                   {"reason": "需调取档案", "notice_on": "2024-04-02"}, day=D(2024, 4, 1))
    assert response.status_code == 400 and "notice_on" in response.json()


def test_the_handler_asks_and_the_leader_extends_with_the_handlers_reason(org):
    application = register(org)
    response = act(org["handler_office"], application, "request-extension",
                   {"reason": "涉及多个科室"}, day=D(2024, 3, 20))
    assert response.status_code == 200 and response.json()["extension_requested"]
    assert Notification.objects.filter(recipient=org["leader"], kind="extension_to_approve",
                                       application_id=application.pk).exists()
    response = act(org["leader"], application, "extend", {"notice_on": "2024-03-21"},
                   day=D(2024, 3, 21))
    assert response.status_code == 200 and not response.json()["extension_requested"]
    assert events(application, "application_extended").get().data["reason"] == "涉及多个科室"


def test_an_extension_without_a_notice_date_answers_400(org):
    application = register(org)
    response = act(org["leader"], application, "extend", {"reason": "x"}, day=D(2024, 3, 20))
    assert response.status_code == 400 and "notice_on" in response.json()


# --- third-party consultation -------------------------------------------------------------

def test_consulting_a_third_party_stops_the_clock_until_it_replies(org):
    h = org["handler_office"]
    application = register(org)
    response = act(h, application, "consult-third-party", {"sent_on": "2024-03-11"},
                   day=D(2024, 3, 11))
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["clock_stopped_by"], body["deadline"]) == (
        "consulting_third_party", "consultation", None)
    assert body["consultation_ends_on"] == "2024-04-01"
    assert events(application, "third_party_consulted", actor=h).exists()
    response = act(h, application, "third-party-replied", {"replied_on": "2024-03-20"},
                   day=D(2024, 3, 20))
    assert response.status_code == 200
    # Mar 12–20 (7 working days) not counted: see test_clock's consultation case
    assert (response.json()["status"], response.json()["deadline"]) == ("received", "2024-04-11")
    assert events(application, "third_party_replied", actor=h).exists()


def test_a_third_party_reply_without_a_consultation_is_refused_with_409(org):
    application = register(org)
    response = act(org["handler_office"], application, "third-party-replied",
                   {"replied_on": "2024-03-04"})
    assert response.status_code == 409


def test_a_third_party_reply_before_the_consultation_answers_400(org):
    h = org["handler_office"]
    application = register(org)
    act(h, application, "consult-third-party", {"sent_on": "2024-03-11"}, day=D(2024, 3, 11))
    response = act(h, application, "third-party-replied", {"replied_on": "2024-03-08"},
                   day=D(2024, 3, 12))
    assert response.status_code == 400 and "replied_on" in response.json()


# --- fees -----------------------------------------------------------------------------------

def test_a_fee_notice_stores_and_shows_the_computation_and_stops_the_clock(org):
    h = org["handler_office"]
    application = register(org)
    response = act(h, application, "fee-notice",
                   {"notice_on": "2024-03-08", "method": "per_page", "quantity": 150},
                   day=D(2024, 3, 8))
    assert response.status_code == 200, response.json()
    body = response.json()
    expected = compute_fee("per_page", 150).to_data()
    assert (body["status"], body["clock_stopped_by"], body["deadline"]) == (
        "awaiting_fee", "fee", None)
    assert body["fee"] == expected
    assert (expected["method"], expected["quantity"]) == ("per_page", 150)
    assert ClockEvent.objects.get(application=application, kind="fee_notice").data["fee"] == (
        expected)
    assert events(application, "fee_notice_sent", actor=h).get().data["fee"] == expected
    assert get(org["auditor"], f"{URL}{application.pk}/", day=D(2024, 3, 8)).json()["fee"] == (
        expected)
    response = act(h, application, "fee-paid", {"paid_on": "2024-03-13"}, day=D(2024, 3, 13))
    assert response.status_code == 200
    # used Mar 5–8 (4); Mar 11–13 not counted; 16 more from Mar 14: 14, 15, 18–22, 25–29,
    # Apr 1–3 (15), Sun 7 Apr 调休 (16)
    assert (response.json()["status"], response.json()["deadline"]) == ("received", "2024-04-07")
    assert events(application, "fee_paid", actor=h).exists()


@pytest.mark.parametrize("data, field", [
    ({"notice_on": "2024-03-08", "method": "per_kilo", "quantity": 150}, "method"),
    ({"notice_on": "2024-03-08", "method": "per_page", "quantity": 0}, "quantity"),
    ({"notice_on": "2024-03-08", "method": "per_page", "quantity": 3}, "quantity"),  # free
    ({"method": "per_item", "quantity": 50}, "notice_on"),
    ({"notice_on": "2024-03-08", "method": "per_page", "quantity": 500, "earlier_items": 3},
     "earlier_items"),  # items filed earlier this month count per item only
    ({"notice_on": "2024-03-08", "method": "per_item", "quantity": 100_000, "earlier_items": 1},
     "quantity"),
])
def test_a_fee_notice_with_bad_input_answers_400(org, data, field):
    application = register(org)
    response = act(org["handler_office"], application, "fee-notice", data, day=D(2024, 3, 8))
    assert response.status_code == 400 and field in response.json()
    # the reason is the user's language, never the fee module's English (a value it quotes
    # back may be Latin)
    reasons = re.sub(r"“[^”]*”", "", " ".join(response.json()[field]))
    assert not re.search(r"[A-Za-z]{3,}", reasons), reasons
    assert status_of(application) == "received"


def test_a_second_fee_notice_and_a_payment_without_notice_are_refused_with_409(org):
    h = org["handler_office"]
    application = register(org)
    assert act(h, application, "fee-paid", {"paid_on": "2024-03-08"},
               day=D(2024, 3, 8)).status_code == 409
    notice = {"notice_on": "2024-03-08", "method": "per_page", "quantity": 150}
    act(h, application, "fee-notice", notice, day=D(2024, 3, 8))
    act(h, application, "fee-paid", {"paid_on": "2024-03-11"}, day=D(2024, 3, 11))
    assert act(h, application, "fee-notice", {**notice, "notice_on": "2024-03-12"},
               day=D(2024, 3, 12)).status_code == 409


# --- the reply and its approval -----------------------------------------------------------

REPLY = {"outcome": "disclosed", "basis": "《中华人民共和国政府信息公开条例》第三十六条第（二）项",
         "text": "经审查，您申请的信息予以公开，详见附件。", "reply_on": "2024-03-20"}


def test_the_reply_waits_for_approval_and_is_dated_on_the_approval_day(org):
    application = register(org)
    response = act(org["handler_office"], application, "reply", REPLY, day=D(2024, 3, 20))
    assert response.status_code == 201, response.json()  # it creates the reply record
    assert response.json()["status"] == "reply_pending_approval"
    assert events(application, "reply_drafted", actor=org["handler_office"]).exists()
    assert Notification.objects.filter(recipient=org["leader"], kind="reply_to_approve",
                                       application_id=application.pk).exists()
    response = act(org["leader"], application, "reply/approve", {"comment": "同意"},
                   day=D(2024, 3, 22))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["outcome"], body["replied_on"]) == (
        "replied", "disclosed", "2024-03-22")
    assert body["clock"][-1]["event"] == "replied" and body["clock"][-1]["on"] == "2024-03-22"
    assert not body["overdue"]
    (reply,) = body["replies"]
    assert (reply["status"], reply["drafted_by"], reply["decided_by"], reply["comment"]) == (
        "approved", "handler_office", "leader", "同意")
    event = events(application, "reply_approved", actor=org["leader"]).get()
    assert event.data["on_time"] is True and event.comment == "同意"


def test_a_reply_approved_after_the_deadline_is_recorded_as_late(org):
    application = register(org)
    act(org["handler_office"], application, "reply", REPLY, day=D(2024, 3, 29))
    body = act(org["leader"], application, "reply/approve", {}, day=D(2024, 4, 2)).json()
    assert body["replied_on"] == "2024-04-02"
    assert events(application, "reply_approved").get().data["on_time"] is False
    assert application.pk not in ids(get(org["handler_office"], f"{URL}?overdue=true",
                                         day=D(2024, 4, 3)))


def test_a_leader_who_drafted_the_reply_may_not_approve_it(org):
    application = register(org)
    act(org["leading_handler"], application, "reply", REPLY, day=D(2024, 3, 20))
    response = act(org["leading_handler"], application, "reply/approve", {"comment": "同意"},
                   day=D(2024, 3, 20))
    assert response.status_code == 409 and "自己" in response.json()["detail"]
    assert status_of(application) == "reply_pending_approval"
    assert not events(application, "reply_approved").exists()
    # another leader covering the section may
    assert act(org["leader"], application, "reply/approve", {},
               day=D(2024, 3, 20)).status_code == 200


@pytest.mark.parametrize("username", ["handler_2", "auditor"])
def test_only_a_covering_leader_approves_a_reply(org, username):
    application = register(org)
    act(org["handler_office"], application, "reply", REPLY, day=D(2024, 3, 20))
    response = act(org[username], application, "reply/approve", {}, day=D(2024, 3, 20))
    assert response.status_code == 403
    assert status_of(application) == "reply_pending_approval"


def test_approving_without_a_pending_reply_is_refused_with_409(org):
    application = register(org)
    response = act(org["leader"], application, "reply/approve", {}, day=D(2024, 3, 20))
    assert response.status_code == 409


def test_a_rejected_reply_goes_back_to_the_handler(org):
    h = org["handler_office"]
    application = register(org)
    act(h, application, "reply", REPLY, day=D(2024, 3, 20))
    assert act(org["leader"], application, "reply/reject", {},
               day=D(2024, 3, 21)).status_code == 400
    response = act(org["leader"], application, "reply/reject",
                   {"comment": "请补充法律依据的具体条款"}, day=D(2024, 3, 21))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "received" and body["outcome"] is None
    assert body["replies"][0]["status"] == "rejected"
    event = events(application, "reply_rejected", actor=org["leader"]).get()
    assert event.comment == "请补充法律依据的具体条款"
    assert Notification.objects.filter(recipient=h, kind="reply_returned",
                                       application_id=application.pk).exists()
    # the handler drafts again
    response = act(h, application, "reply", {**REPLY, "outcome": "partly_disclosed"},
                   day=D(2024, 3, 22))
    assert response.status_code == 201 and response.json()["status"] == "reply_pending_approval"


@pytest.mark.parametrize("change, field", [({"outcome": "maybe"}, "outcome"),
                                           ({"basis": ""}, "basis"), ({"text": ""}, "text"),
                                           ({"reply_on": "2024-03-01"}, "reply_on")])
def test_a_reply_with_bad_input_answers_400(org, change, field):
    application = register(org)
    response = act(org["handler_office"], application, "reply", {**REPLY, **change},
                   day=D(2024, 3, 20))
    assert response.status_code == 400 and field in response.json()
    assert status_of(application) == "received"


def test_a_second_draft_and_a_no_correction_close_without_notice_are_refused_with_409(org):
    application = register(org)
    no_correction = {**REPLY, "outcome": "other_no_correction"}
    assert act(org["handler_office"], application, "reply", no_correction,
               day=D(2024, 3, 20)).status_code == 409
    act(org["handler_office"], application, "reply", REPLY, day=D(2024, 3, 20))
    assert act(org["handler_2"], application, "reply", REPLY,
               day=D(2024, 3, 20)).status_code == 409


def test_no_correction_within_the_period_closes_it_as_other_no_correction(org):
    h = org["handler_office"]
    application = register(org)
    act(h, application, "request-correction", {"notice_on": "2024-03-05", "items": "请写明年份"},
        day=D(2024, 3, 5))
    # the period is 15 working days: until Tue 26 Mar
    reply = {**REPLY, "outcome": "other_no_correction", "reply_on": None}
    assert act(h, application, "reply", reply, day=D(2024, 3, 26)).status_code == 409
    assert act(h, application, "reply", reply, day=D(2024, 3, 27)).status_code == 201
    body = act(org["leader"], application, "reply/approve", {}, day=D(2024, 3, 27)).json()
    assert (body["status"], body["outcome"]) == ("replied", "other_no_correction")


# --- the letters ----------------------------------------------------------------------------

def test_the_reply_letter_is_a_docx_and_its_generation_is_audited(org):
    application = register(org)
    act(org["handler_office"], application, "reply", REPLY, day=D(2024, 3, 20))
    act(org["leader"], application, "reply/approve", {}, day=D(2024, 3, 21))
    response = get(org["handler_office"], f"{URL}{application.pk}/documents/reply/",
                   day=D(2024, 3, 21))
    assert response.status_code == 200
    assert response["Content-Type"] == ("application/vnd.openxmlformats-officedocument."
                                        "wordprocessingml.document")
    assert response.content[:2] == b"PK"
    assert application.tracking_code in response["Content-Disposition"]
    event = events(application, "letter_generated", actor=org["handler_office"]).get()
    assert event.data["kind"] == "reply"


def test_a_letter_of_no_such_kind_is_not_found_and_one_for_a_step_not_taken_is_409(org):
    application = register(org)
    path = f"{URL}{application.pk}/documents/"
    assert get(org["handler_office"], path + "poem/").status_code == 404
    response = get(org["handler_office"], path + "correction/")
    assert response.status_code == 409 and response.json()["detail"]
    assert not events(application, "letter_generated").exists()


def test_letters_with_the_applicants_data_are_not_for_auditors_nor_other_agencies(org, stranger):
    application = register(org)
    path = f"{URL}{application.pk}/documents/reply/"
    assert get(org["auditor"], path).status_code == 403
    assert get(stranger, path).status_code == 404
    assert get(org["drafter_office"], path).status_code == 404


# --- online applications ------------------------------------------------------------------

def online(org):
    """Submitted on the public site on Sat 2 Mar 2024."""
    data = {k: v for k, v in application_data().items() if k not in ("received_on", "section")}
    with on(D(2024, 3, 2)):
        return services.submit_online_application(agency=org.agency, data=data)


def test_an_online_application_waits_for_the_registrar_and_starts_on_confirmation(org):
    application = online(org)
    listed = get(org["handler_office"], f"{URL}?status=pending_confirmation", day=D(2024, 3, 4))
    (row,) = listed.json()["results"]
    assert (row["id"], row["status"], row["deadline"], row["received_on"]) == (
        application.pk, "pending_confirmation", None, None)
    assert Notification.objects.filter(recipient=org["handler_office"],
                                       kind="application_online").exists()
    response = act(org["handler_office"], application, "confirm-receipt",
                   {"received_on": "2024-03-04"}, day=D(2024, 3, 4))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["received_on"], body["deadline"], body["section"]) == (
        "received", "2024-03-04", DEADLINE, "office")
    assert events(application, "application_received", actor=org["handler_office"]).exists()
    again = act(org["handler_office"], application, "confirm-receipt",
                {"received_on": "2024-03-04"}, day=D(2024, 3, 4))
    assert again.status_code == 409


def test_confirming_receipt_routes_to_the_section_given(org):
    application = online(org)
    response = act(org["handler_office"], application, "confirm-receipt",
                   {"received_on": "2024-03-04", "section": "construction",
                    "handler": "handler_2"}, day=D(2024, 3, 4))
    body = response.json()
    assert (body["section"], body["handler"]) == ("construction", "handler_2")
    assert Notification.objects.filter(recipient=org["handler_2"], kind="application_assigned",
                                       application_id=application.pk).exists()


@pytest.mark.parametrize("data, field", [({"received_on": "2024-03-01"}, "received_on"),
                                         ({"received_on": "2024-03-05"}, "received_on"),
                                         ({}, "received_on")])
def test_confirming_receipt_with_a_bad_date_answers_400(org, data, field):
    application = online(org)
    response = act(org["handler_office"], application, "confirm-receipt", data,
                   day=D(2024, 3, 4))
    assert response.status_code == 400 and field in response.json()
    assert status_of(application) == "pending_confirmation"


def test_a_registrar_without_a_section_must_name_one_when_confirming(org):
    registrar = make_user(org.agency, "registrar", [Role.APPLICATION_HANDLER])
    application = online(org)
    response = act(registrar, application, "confirm-receipt", {"received_on": "2024-03-04"},
                   day=D(2024, 3, 4))
    assert response.status_code == 400 and "section" in response.json()


def test_the_clock_steps_need_a_confirmed_application(org):
    application = online(org)
    response = act(org["handler_office"], application, "request-correction",
                   {"notice_on": "2024-03-04", "items": "x"}, day=D(2024, 3, 4))
    assert response.status_code == 409



@pytest.mark.parametrize("path, data", [
    ("reply", {"outcome": "disclosed", "basis": "b", "text": "t"}),
    ("withdraw", {"on": "2024-03-04", "reason": "申请人撤回"}),
    ("assign", {"section": "construction"}),
])
def test_an_unconfirmed_application_is_not_called_closed(org, path, data):
    """An online application awaiting confirmation is not yet handled, not finished."""
    application = online(org)
    response = act(org["handler_office"], application, path, data, day=D(2024, 3, 4))
    assert response.status_code == 409
    assert "已办结" not in response.json()["detail"]
    assert "确认收到" in response.json()["detail"]


# --- every action writes its audit event in its own transaction --------------------------

def _corrected(org):
    application = register(org)
    with on(D(2024, 3, 5)):
        services.request_correction(user=org["handler_office"], application_id=application.pk,
                                    notice_on=D(2024, 3, 5), items="x")
    return application


def _consulting(org):
    application = register(org)
    with on(D(2024, 3, 5)):
        services.consult_third_party(user=org["handler_office"], application_id=application.pk,
                                     sent_on=D(2024, 3, 5))
    return application


def _awaiting_fee(org):
    application = register(org)
    with on(D(2024, 3, 5)):
        services.send_fee_notice(user=org["handler_office"], application_id=application.pk,
                                 notice_on=D(2024, 3, 5), method="per_page", quantity=150)
    return application


def _drafted(org):
    application = register(org)
    with on(D(2024, 3, 6)):
        services.draft_reply(user=org["handler_office"], application_id=application.pk,
                             outcome="disclosed", basis="b", text="t")
    return application


H = "handler_office"
ACTIONS = [
    ("request-correction", {"notice_on": "2024-03-06", "items": "x"}, register, H,
     "correction_requested"),
    ("correction-received", {"received_on": "2024-03-06"}, _corrected, H, "correction_received"),
    ("request-extension", {"reason": "r"}, register, H, "extension_requested"),
    ("extend", {"reason": "r", "notice_on": "2024-03-06"}, register, "leader",
     "application_extended"),
    ("consult-third-party", {"sent_on": "2024-03-06"}, register, H, "third_party_consulted"),
    ("third-party-replied", {"replied_on": "2024-03-06"}, _consulting, H, "third_party_replied"),
    ("fee-notice", {"notice_on": "2024-03-06", "method": "per_page", "quantity": 150},
     register, H, "fee_notice_sent"),
    ("fee-paid", {"paid_on": "2024-03-06"}, _awaiting_fee, H, "fee_paid"),
    ("reply", REPLY | {"reply_on": None}, register, H, "reply_drafted"),
    ("reply/approve", {}, _drafted, "leader", "reply_approved"),
    ("reply/reject", {"comment": "c"}, _drafted, "leader", "reply_rejected"),
    ("withdraw", {"on": "2024-03-06", "reason": "申请人书面撤回"}, register, H,
     "application_withdrawn"),
    ("assign", {"handler": "handler_2"}, register, H, "application_assigned"),
    ("confirm-receipt", {"received_on": "2024-03-06"}, lambda org: online(org), H,
     "application_received"),
]


@pytest.mark.parametrize("name, data, make, username, action", ACTIONS,
                         ids=[a[0] for a in ACTIONS])
def test_an_action_and_its_audit_event_commit_together(org, monkeypatch, name, data, make,
                                                       username, action):
    application = make(org)
    before = (status_of(application), application.clock_events.count(),
              AuditEvent.objects.count())

    def failing_record(**kwargs):
        raise RuntimeError("the trail could not be written")

    monkeypatch.setattr(services, "record", failing_record)
    with pytest.raises(RuntimeError):
        act(org[username], application, name, data, day=D(2024, 3, 6))
    assert (status_of(application), application.clock_events.count(),
            AuditEvent.objects.count()) == before
    monkeypatch.undo()
    response = act(org[username], application, name, data, day=D(2024, 3, 6))
    assert response.status_code == (201 if name == "reply" else 200), response.json()
    written = AuditEvent.objects.order_by("pk")[before[2]:]
    # the answer shows the record, but only the action is in the trail (no view event)
    assert [e.action for e in written] == [action]
    assert all(e.actor == org[username] and e.subject_id == application.pk for e in written)


# --- cases (复议 and 诉讼) ------------------------------------------------------------------

CASES = "/api/v1/cases/"
CASE = {"kind": "reconsideration", "filed_on": "2024-05-06", "body": "温县人民政府"}


def test_a_handler_files_a_case_and_records_its_result(org):
    application = register(org)
    response = post(org["handler_office"], CASES, {**CASE, "application": application.pk},
                    day=D(2024, 5, 6))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["application"], body["filed_on"], body["body"], body["result"],
            body["decided_on"]) == ("reconsideration", application.pk, "2024-05-06", "温县人民政府",
                                    "pending", None)
    case = Case.objects.get(pk=body["id"])
    filed = AuditEvent.objects.get(subject_type="applications.case", subject_id=case.pk)
    assert (filed.action, filed.actor) == ("case_filed", org["handler_office"])
    with on(D(2024, 7, 1)):
        response = api(org["admin"]).patch(f"{CASES}{case.pk}/", {
            "result": "upheld", "decided_on": "2024-07-01"}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["result"], response.json()["decided_on"]) == ("upheld", "2024-07-01")
    decided = AuditEvent.objects.get(subject_type="applications.case", subject_id=case.pk,
                                     action="case_decided")
    assert decided.actor == org["admin"] and decided.data["result"] == "upheld"


def test_cases_are_listed_by_year_filed_for_leaders_and_auditors(org):
    with on(D(2024, 12, 30)):
        old = services.file_case(user=org["handler_office"], data={
            "kind": "litigation_direct", "filed_on": D(2023, 12, 29), "body": "温县人民法院"})
        new = services.file_case(user=org["admin"], data={
            "kind": "reconsideration", "filed_on": D(2024, 1, 2), "body": "温县人民政府"})
    for username in ("leader", "auditor", "handler_office", "admin"):
        assert ids(get(org[username], CASES, day=D(2024, 12, 30))) == {old.pk, new.pk}
        assert ids(get(org[username], f"{CASES}?year=2024", day=D(2024, 12, 30))) == {new.pk}
        assert get(org[username], f"{CASES}{old.pk}/").status_code == 200
    assert ids(get(org["drafter_office"], CASES)) == set()
    assert get(org["drafter_office"], f"{CASES}{old.pk}/").status_code == 404


@pytest.mark.parametrize("username", ["leader", "auditor", "drafter_office"])
def test_only_handlers_and_agency_admins_file_cases(org, username):
    response = post(org[username], CASES, CASE, day=D(2024, 5, 6))
    assert response.status_code == 403
    assert not Case.objects.exists()


@pytest.mark.parametrize("username, code", [("leader", 403), ("auditor", 403),
                                            ("drafter_office", 404)])
def test_only_handlers_and_agency_admins_update_cases(org, username, code):
    with on(D(2024, 5, 6)):
        case = services.file_case(user=org["handler_office"], data={
            "kind": "reconsideration", "filed_on": D(2024, 5, 6), "body": "温县人民政府"})
    with on(D(2024, 7, 1)):
        response = api(org[username]).patch(f"{CASES}{case.pk}/", {
            "result": "corrected", "decided_on": "2024-07-01"}, format="json")
    assert response.status_code == code
    assert Case.objects.get(pk=case.pk).result == "pending"


def test_another_agencys_cases_are_not_found(org, stranger):
    with on(D(2024, 5, 6)):
        case = services.file_case(user=org["handler_office"], data={
            "kind": "reconsideration", "filed_on": D(2024, 5, 6), "body": "温县人民政府"})
    assert get(stranger, f"{CASES}{case.pk}/").status_code == 404
    assert ids(get(stranger, CASES)) == set()
    with on(D(2024, 7, 1)):
        response = api(stranger).patch(f"{CASES}{case.pk}/", {"result": "upheld",
                                                              "decided_on": "2024-07-01"},
                                       format="json")
    assert response.status_code == 404
    theirs = services.register_application(user=stranger, data=application_data())
    response = post(org["handler_office"], CASES, {**CASE, "application": theirs.pk},
                    day=D(2024, 5, 6))
    assert response.status_code == 400 and "application" in response.json()


def test_a_case_and_its_audit_event_commit_together(org, monkeypatch):
    def failing_record(**kwargs):
        raise RuntimeError("the trail could not be written")

    with on(D(2024, 5, 6)):
        case = services.file_case(user=org["handler_office"], data={
            "kind": "reconsideration", "filed_on": D(2024, 5, 6), "body": "温县人民政府"})
    monkeypatch.setattr(services, "record", failing_record)
    with pytest.raises(RuntimeError):
        post(org["handler_office"], CASES, CASE, day=D(2024, 5, 6))
    with on(D(2024, 7, 1)), pytest.raises(RuntimeError):
        api(org["admin"]).patch(f"{CASES}{case.pk}/", {"result": "upheld",
                                                       "decided_on": "2024-07-01"},
                                format="json")
    assert list(Case.objects.values_list("pk", "result")) == [(case.pk, "pending")]


@pytest.mark.parametrize("change, field", [({"kind": "appeal"}, "kind"),
                                           ({"filed_on": "2024-05-07"}, "filed_on"),
                                           ({"filed_on": "0024-05-06"}, "filed_on"),
                                           ({"filed_on": "2008-04-30"}, "filed_on"),
                                           ({"body": ""}, "body"),
                                           ({"result": "upheld"}, "decided_on"),
                                           ({"decided_on": "2024-05-06"}, "decided_on"),
                                           ({"result": "upheld", "decided_on": "2024-05-01"},
                                            "decided_on")])
def test_a_case_with_bad_input_answers_400(org, change, field):
    response = post(org["handler_office"], CASES, {**CASE, **change}, day=D(2024, 5, 6))
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Case.objects.exists()


# --- the list cannot become N+1 ---------------------------------------------------------

#: the page's count and rows, the clock events of the page, the calendar of 2024 (its
#: holiday year and days), and for a leader the sections covered
LIST_QUERIES = {"handler_office": 5, "auditor": 5, "leader": 6}


@pytest.mark.parametrize("username", list(LIST_QUERIES))
def test_the_list_runs_the_same_queries_for_any_number_of_applications(
        org, username, django_assert_num_queries):
    path = f"{URL}?ordering=deadline"
    for day in (D(2024, 3, 4), D(2024, 3, 5)):
        register(org, received_on=day)
    with django_assert_num_queries(LIST_QUERIES[username]):
        assert len(get(org[username], path, day=D(2024, 3, 20)).json()["results"]) == 2
    for n in range(10):
        application = register(org, received_on=D(2024, 3, 4 + n % 3),
                               section=("office", "construction")[n % 2], handler="handler_2")
        if n % 3 == 0:
            with on(D(2024, 3, 7)):
                services.request_correction(user=org["handler_office"],
                                            application_id=application.pk,
                                            notice_on=D(2024, 3, 7), items="x")
    with django_assert_num_queries(LIST_QUERIES[username]):
        assert len(get(org[username], path, day=D(2024, 3, 20)).json()["results"]) == 12


def test_an_unconfirmed_online_application_may_be_discarded_and_counts_nowhere(org):
    from applications.selectors import table3_counts

    application = online(org)
    path = f"{URL}{application.pk}/discard/"
    assert post(org["handler_office"], path, {"reason": ""}).status_code == 400
    response = post(org["handler_office"], path, {"reason": "重复提交"})
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert events(application, "application_discarded", actor=org["handler_office"]).exists()
    assert post(org["handler_office"], path, {"reason": "再次"}).status_code == 409
    year = application.submitted_at.year
    counts = table3_counts(agency_id=org.agency.pk, year=year)
    assert counts.new == {} and counts.results == {}


def test_search_finds_an_application_by_the_end_of_its_tracking_code(org):
    application = register(org)
    suffix = application.tracking_code.rsplit("-", 1)[1]
    response = get(org["handler_office"], f"{URL}?q={suffix.lower()}")
    assert [a["id"] for a in response.json()["results"]] == [application.pk]
