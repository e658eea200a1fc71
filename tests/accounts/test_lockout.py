"""Login lockout (issue 10, defect 10): after five wrong passwords in a row an account is
locked on every login (the API's token endpoint, the web login, the admin login), even for
the right password, until the cool-off ends or an administrator unlocks it."""

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from agencies.models import Role
from testsupport.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
LOCKED = "账户已因连续登录失败被锁定"


def token_login(client, username, password, **extra):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password},
                            format="json", **extra)


def web_login(client, username, password, **extra):
    return client.post("/app/login/", {"username": username, "password": password}, **extra)


def admin_login(client, username, password, **extra):
    return client.post("/admin/login/?next=/admin/",
                       {"username": username, "password": password}, **extra)


def succeeded(kind, response) -> bool:
    if kind == "token":
        return response.status_code == 200 and "token" in response.json()
    return response.status_code == 302  # a login that worked redirects to the next page


LOGINS = {"token": token_login, "web": web_login, "admin": admin_login}


@pytest.fixture
def staff_drafter(org):
    """The admin login admits staff only: make the person staff so that the right password
    would work there too."""
    person = org["drafter_office"]
    person.is_staff = True
    person.save(update_fields=["is_staff"])
    return person


@pytest.mark.parametrize("kind", LOGINS)
def test_the_right_password_is_refused_after_five_wrong_ones(client, org, staff_drafter, kind):
    """Observed on main: 50 wrong passwords, then the right one worked."""
    login = LOGINS[kind]
    for _ in range(5):
        assert not succeeded(kind, login(client, staff_drafter.username, "wrong-password"))
    response = login(client, staff_drafter.username, PASSWORD)
    assert not succeeded(kind, response)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "30 分钟" in response.content.decode()


def test_the_locked_api_answer_is_json_with_the_message(org):
    for _ in range(5):
        token_login(None, "drafter_office", "wrong-password")
    response = token_login(None, "drafter_office", PASSWORD)
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    assert LOCKED in response.json()["detail"]
    assert "token" not in response.json()


def test_a_lockout_on_one_login_holds_on_the_others(client, org, staff_drafter):
    for _ in range(5):
        web_login(client, staff_drafter.username, "wrong-password")
    assert token_login(None, staff_drafter.username, PASSWORD).status_code == 429
    assert admin_login(client, staff_drafter.username, PASSWORD).status_code == 429


def test_a_success_resets_the_count_of_failures(client, org):
    for _ in range(4):
        token_login(None, "drafter_office", "wrong-password")
    assert token_login(None, "drafter_office", PASSWORD).status_code == 200
    for _ in range(4):
        token_login(None, "drafter_office", "wrong-password")
    assert token_login(None, "drafter_office", PASSWORD).status_code == 200


def test_other_people_on_the_same_address_can_still_log_in(org):
    for _ in range(5):
        token_login(None, "drafter_office", "wrong-password")
    assert token_login(None, "head_office", PASSWORD).status_code == 200


def test_an_address_is_locked_after_its_own_higher_limit(org, settings):
    """Guessing across many accounts from one address: each account stays under five, the
    address is stopped at LOGIN_ADDRESS_FAILURE_LIMIT."""
    names = [f"guess_{i}" for i in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT)]
    for name in names[:-1]:
        assert token_login(None, name, "wrong-password").status_code == 400
    assert token_login(None, names[-1], "wrong-password").status_code == 429  # the last straw
    response = token_login(None, "head_office", PASSWORD)
    assert response.status_code == 429
    assert "该地址" in response.json()["detail"]
    other_address = token_login(None, "head_office", PASSWORD, REMOTE_ADDR="10.0.0.9")
    assert other_address.status_code == 200


def test_the_lockout_ends_after_the_cool_off(org):
    time_machine = pytest.importorskip("time_machine")
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False) as traveller:
        for _ in range(5):
            token_login(None, "drafter_office", "wrong-password")
        assert token_login(None, "drafter_office", PASSWORD).status_code == 429
        traveller.shift(29 * 60)
        assert token_login(None, "drafter_office", PASSWORD).status_code == 429
        traveller.shift(2 * 60)
        assert token_login(None, "drafter_office", PASSWORD).status_code == 200


# --- unlocking ---------------------------------------------------------------------------

def agency_admin(org, username="agency_admin_1"):
    admin = make_user(org.agency, username, [Role.AGENCY_ADMIN], is_staff=True)
    admin.user_permissions.set(Permission.objects.filter(content_type__app_label="agencies"))
    return admin


def lock(username):
    for _ in range(5):
        token_login(None, username, "wrong-password")
    assert token_login(None, username, PASSWORD).status_code == 429


def unlock_in_admin(client, admin, username):
    from axes.models import AccessAttempt

    client.force_login(admin)
    attempts = AccessAttempt.objects.filter(username=username)
    return client.post("/admin/axes/accessattempt/", {
        "action": "unlock_selected", "_selected_action": [a.pk for a in attempts]})


def test_an_agency_admin_unlocks_a_person_of_their_agency(client, org):
    lock("drafter_office")
    admin = agency_admin(org)
    client.force_login(admin)
    page = client.get("/admin/axes/accessattempt/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    assert "drafter_office" in page.content.decode()
    assert "登录尝试" in page.content.decode() and "失败次数" in page.content.decode()
    response = unlock_in_admin(client, admin, "drafter_office")
    assert response.status_code == 302
    assert token_login(None, "drafter_office", PASSWORD).status_code == 200


def test_an_agency_admin_neither_sees_nor_unlocks_other_agencies_people(client, org,
                                                                         other_org):
    lock("other_drafter_office")
    admin = agency_admin(org)
    client.force_login(admin)
    page = client.get("/admin/axes/accessattempt/")
    assert "other_drafter_office" not in page.content.decode()
    unlock_in_admin(client, admin, "other_drafter_office")
    assert token_login(None, "other_drafter_office", PASSWORD).status_code == 429


def test_a_platform_operator_unlocks_anyone(client, org, other_org):
    lock("other_drafter_office")
    operator = make_user(None, "operator", [], is_staff=True, is_superuser=True)
    unlock_in_admin(client, operator, "other_drafter_office")
    assert token_login(None, "other_drafter_office", PASSWORD).status_code == 200


def test_the_unlock_command_unlocks_a_person(org):
    from django.core.management import call_command

    lock("drafter_office")
    call_command("unlock_login", "drafter_office")
    assert token_login(None, "drafter_office", PASSWORD).status_code == 200


@pytest.mark.parametrize(("count", "forwarded", "expected"), [
    (0, "203.0.113.9", "10.0.0.1"),  # no proxy: X-Forwarded-For is the client's claim
    (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the proxy appended the real client
    (2, "198.51.100.1, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
    (1, "", "10.0.0.1"),  # nothing forwarded: the direct peer
])
def test_the_client_address_is_the_one_the_proxies_saw(rf, settings, count, forwarded,
                                                        expected):
    from accounts.lockout import client_address

    settings.LOGIN_PROXY_COUNT = count
    request = rf.post("/app/login/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_behind_a_proxy_people_are_counted_by_their_own_address(org, settings):
    settings.LOGIN_PROXY_COUNT = 1
    for i in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        token_login(None, f"guess_{i}", "wrong-password", REMOTE_ADDR="10.0.0.1",
                    HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert token_login(None, "head_office", PASSWORD, REMOTE_ADDR="10.0.0.1",
                       HTTP_X_FORWARDED_FOR="198.51.100.20").status_code == 200
    assert token_login(None, "head_office", PASSWORD, REMOTE_ADDR="10.0.0.1",
                       HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
