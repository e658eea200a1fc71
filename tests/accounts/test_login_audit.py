"""Logins are in the person's agency chain (issue 10, defect 13): success, failure for a
known person, lockout and unlock; never the password or the token."""

import json

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from audit.models import AuditAction, AuditEvent
from audit.verification import verify_chain
from testsupport.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def login_events(agency=None):
    events = AuditEvent.objects.filter(action__startswith="login").order_by("agency", "seq")
    if agency is not None:
        events = events.filter(agency=agency)
    return list(events)


def token_login(username, password):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password},
                            format="json")


def test_a_token_login_is_recorded_in_the_person_s_chain(org):
    response = token_login("drafter_office", PASSWORD)
    [event] = login_events()
    person = org["drafter_office"]
    assert (event.agency_id, event.action, event.subject_type, event.subject_id,
            event.actor_id) == (org.agency.pk, AuditAction.LOGIN, "agencies.user",
                                person.pk, person.pk)
    assert event.data["via"] == "api"
    assert response.json()["token"] not in json.dumps(event.data)
    assert verify_chain(org.agency).ok


def test_web_and_admin_logins_are_recorded(client, org):
    person = org["drafter_office"]
    person.is_staff = True
    person.save(update_fields=["is_staff"])
    client.post("/app/login/", {"username": "drafter_office", "password": PASSWORD})
    client.post("/admin/login/?next=/admin/", {"username": "drafter_office",
                                               "password": PASSWORD})
    assert [(e.action, e.data["via"]) for e in login_events()] == [
        (AuditAction.LOGIN, "web"), (AuditAction.LOGIN, "admin")]


def test_force_login_in_tests_writes_nothing(client, org):
    client.force_login(org["drafter_office"])
    assert login_events() == []


def test_failures_and_the_lockout_are_recorded_without_the_password(org):
    for _ in range(5):
        token_login("drafter_office", "wrong-password-xyz")
    token_login("drafter_office", PASSWORD)  # refused while locked: not in the chain again
    events = login_events()
    assert [e.action for e in events] == [AuditAction.LOGIN_FAILED] * 5 + [
        AuditAction.LOGIN_LOCKED_OUT]
    assert {e.subject_id for e in events} == {org["drafter_office"].pk}
    assert all(e.actor_id is None for e in events)  # nobody proved to be the person
    assert all("wrong-password-xyz" not in json.dumps(e.data) + e.comment for e in events)
    assert events[-1].data["failures"] == 5
    assert verify_chain(org.agency).ok


def test_unknown_usernames_are_in_no_chain(org):
    token_login("nobody_at_all", "wrong-password")
    assert login_events() == []


def test_an_unlock_is_recorded_with_who_unlocked(client, org):
    from axes.models import AccessAttempt

    for _ in range(5):
        token_login("drafter_office", "wrong-password")
    operator = make_user(None, "operator", [], is_staff=True, is_superuser=True)
    client.force_login(operator)
    client.post("/admin/axes/accessattempt/", {
        "action": "unlock_selected",
        "_selected_action": list(AccessAttempt.objects.values_list("pk", flat=True))})
    event = login_events()[-1]
    assert (event.action, event.subject_id, event.actor_id) == (
        AuditAction.LOGIN_UNLOCKED, org["drafter_office"].pk, operator.pk)


def test_the_unlock_command_is_recorded(org):
    for _ in range(5):
        token_login("drafter_office", "wrong-password")
    call_command("unlock_login", "drafter_office")
    event = login_events()[-1]
    assert (event.action, event.subject_id, event.actor_id) == (
        AuditAction.LOGIN_UNLOCKED, org["drafter_office"].pk, None)
    assert event.data["via"] == "command"


def test_the_auditor_reads_logins_on_the_trail_page(client, org):
    token_login("drafter_office", "wrong-password")
    token_login("drafter_office", PASSWORD)
    client.force_login(org["auditor"])
    page = client.get("/app/audit/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "登录失败" in html and "drafter_office" in html


def test_a_platform_operator_s_logins_are_in_the_platform_chain(client, db):
    """The operator belongs to no agency: their logins, the most powerful ones, go to the
    platform's chain rather than only to a log file."""
    from audit.config_changes import platform_agency

    make_user(None, "operator", [], is_staff=True, is_superuser=True)
    token_login("operator", "wrong-password")
    token_login("operator", PASSWORD)
    platform = platform_agency()
    assert [e.action for e in login_events(platform)] == [AuditAction.LOGIN_FAILED,
                                                          AuditAction.LOGIN]
    assert verify_chain(platform).ok
