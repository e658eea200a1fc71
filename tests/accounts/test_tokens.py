"""API tokens expire (idle and absolute) and die with a password change; web sessions too
(issue 10, defect 10)."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from testsupport.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
URL = "/api/v1/categories/"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def issue(username="drafter_office") -> str:
    response = APIClient().post(TOKEN_URL, {"username": username, "password": PASSWORD},
                                format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def get(token, url=URL):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get(url)


def assert_refused(response, words):
    assert response.status_code == 401, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert words in response.json()["detail"]


def test_a_token_issued_before_a_password_change_is_refused_after_it(org):
    """Observed on main: it still worked."""
    token = issue()
    assert get(token).status_code == 200
    person = org["drafter_office"]
    person.set_password("a-new-password-456")
    person.save()
    assert_refused(get(token), "密码已更改")
    # a new login with the new password gives a token that works
    response = APIClient().post(TOKEN_URL, {"username": "drafter_office",
                                            "password": "a-new-password-456"}, format="json")
    assert get(response.json()["token"]).status_code == 200


def test_a_password_changed_in_the_admin_kills_the_token(client, org):
    from testsupport.factories import make_user

    token = issue()
    operator = make_user(None, "operator", [], is_staff=True, is_superuser=True)
    client.force_login(operator)
    person = org["drafter_office"]
    response = client.post(f"/admin/agencies/user/{person.pk}/password/",
                           {"password1": "Another-pass-789", "password2": "Another-pass-789",
                            "usable_password": "true"})
    assert response.status_code == 302, response.content[:500]
    assert_refused(get(token), "密码已更改")


def test_the_token_answer_says_when_the_token_expires(org, settings):
    with time_machine.travel(START, tick=False):
        response = APIClient().post(TOKEN_URL, {"username": "drafter_office",
                                                "password": PASSWORD}, format="json")
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    assert dt.datetime.fromisoformat(body["expires_at"]) == START + dt.timedelta(
        seconds=settings.API_TOKEN_IDLE_SECONDS)


def test_a_token_unused_for_the_idle_timeout_is_refused(org, settings):
    with time_machine.travel(START, tick=False) as traveller:
        token = issue()
        traveller.shift(settings.API_TOKEN_IDLE_SECONDS - 60)
        assert get(token).status_code == 200  # use keeps it alive
        traveller.shift(settings.API_TOKEN_IDLE_SECONDS - 60)
        assert get(token).status_code == 200
        traveller.shift(settings.API_TOKEN_IDLE_SECONDS + 1)
        assert_refused(get(token), "登录已过期")
        traveller.shift(-settings.API_TOKEN_IDLE_SECONDS)  # an expired token stays dead
        assert get(token).status_code == 401


def test_a_token_in_constant_use_ends_at_its_lifetime(org, settings):
    with time_machine.travel(START, tick=False) as traveller:
        token = issue()
        for _ in range(settings.API_TOKEN_LIFETIME_SECONDS // 3600 - 1):
            traveller.shift(3600)
            assert get(token).status_code == 200
        traveller.shift(3601)
        assert_refused(get(token), "登录已过期")


def test_a_deactivated_person_s_token_is_refused(org):
    token = issue()
    person = org["drafter_office"]
    person.is_active = False
    person.save()
    assert get(token).status_code == 401


def test_an_authenticated_request_costs_one_query_and_writes_at_most_once_a_minute(org):
    with time_machine.travel(START, tick=False) as traveller:
        token = issue()
        get(token)
        with CaptureQueriesContext(connection) as warm:
            assert get(token).status_code == 200
        traveller.shift(30)
        with CaptureQueriesContext(connection) as within_a_minute:
            assert get(token).status_code == 200
        traveller.shift(61)
        with CaptureQueriesContext(connection) as after_a_minute:
            assert get(token).status_code == 200

    def writes(captured):
        return [q["sql"] for q in captured.captured_queries
                if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]

    # the token and its person in one query, then the view's own (a page of categories)
    assert len(warm) == 3, [q["sql"] for q in warm.captured_queries]
    assert writes(warm) == [] and writes(within_a_minute) == []
    assert len(writes(after_a_minute)) == 1


def test_the_key_itself_is_not_stored(org):
    from accounts.models import ApiToken

    token = issue()
    stored = ApiToken.objects.get(user=org["drafter_office"])
    assert token not in {stored.digest, stored.password_hash}


# --- web sessions -------------------------------------------------------------------------

def test_a_web_session_dies_with_a_password_change(client, org):
    person = org["drafter_office"]
    client.force_login(person)
    assert client.get("/app/items/").status_code == 200
    person.set_password("a-new-password-456")
    person.save()
    response = client.get("/app/items/")
    assert response.status_code == 302
    assert response["Location"].startswith("/app/login/")


def test_a_web_session_idle_too_long_is_signed_out(client, org, settings):
    with time_machine.travel(START, tick=False) as traveller:
        response = client.post("/app/login/", {"username": "drafter_office",
                                               "password": PASSWORD})
        assert response.status_code == 302
        traveller.shift(settings.SESSION_IDLE_SECONDS - 60)
        assert client.get("/app/items/").status_code == 200
        traveller.shift(settings.SESSION_IDLE_SECONDS - 60)
        assert client.get("/app/items/").status_code == 200
        traveller.shift(settings.SESSION_IDLE_SECONDS + 1)
        response = client.get("/app/items/")
        assert response.status_code == 302
        assert response["Location"].startswith("/app/login/")
