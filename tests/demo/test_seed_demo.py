"""`seed_demo` builds the demo agency once, and a second run changes nothing."""

import datetime as dt
import io
import re

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.test import Client

from agencies.models import Agency, Channel, User
from applications.models import Application, ApplicationStatus, Case
from applications.selectors import overdue_filter
from audit.models import AuditEvent
from publications.models import Category, Publication
from workdays.models import HolidayYear

pytestmark = pytest.mark.django_db

PASSWORD = "x-demo-pass-1"
AGENCY = "wenxian_housing"
USERNAMES = ["drafter_office", "head_office", "drafter_construction", "head_construction",
             "secrecy", "leader", "publisher", "auditor", "admin", "handler_office",
             "report_editor"]
# the county's supervisor is in the county government; the platform operator in no agency
LOGINS = USERNAMES + ["county_supervisor", "operator"]
CATEGORIES = {"work_updates", "policy_documents", "licensing", "penalties"}
CHANNELS = {"website", "wechat", "wenxian_fabu", "yunshang_wenxian", "jiaozuo_daily",
            "henan_daily", "china_construction"}
STATUSES = {"draft", "in_review", "returned", "withheld", "withdrawn", "approved"}


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    """The command writes generated logins under VAR_DIR: keep them out of the real var/."""
    settings.VAR_DIR = tmp_path
    # nine PBKDF2 hashes per seed and one per login would make this file slow
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return tmp_path


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def row_counts() -> dict:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def password_hashes() -> dict:
    return dict(User.objects.filter(username__in=LOGINS).values_list("username", "password"))


def printed_logins(output: str) -> list[tuple[str, str]]:
    """The (username, password) lines under "Demo logins"."""
    _, _, listing = output.partition("Demo logins")
    return re.findall(r"^\s+(\S+)\s+(\S+)\s*$", listing, flags=re.MULTILINE)


def can_log_in(username, password) -> bool:
    """Through the web login page, as a person does (`Client.login()` passes no request,
    which the lockout's authentication backend needs)."""
    response = Client().post("/app/login/", {"username": username, "password": password})
    return response.status_code == 302


def test_seed_creates_the_demo_agency_with_sections_people_categories_and_channels():
    seed("--password", PASSWORD)
    agency = Agency.objects.get(code=AGENCY)
    assert agency.name == "温县住房和城乡建设局"
    assert set(agency.sections.values_list("code", flat=True)) == {"office", "construction"}
    assert set(User.objects.filter(agency=agency).values_list("username", flat=True)) == set(
        USERNAMES)
    assert set(Category.objects.filter(agency=agency).values_list("code", flat=True)) == (
        CATEGORIES)
    assert set(Channel.objects.filter(agency=agency, is_active=True)
               .values_list("code", flat=True)) == CHANNELS
    office = agency.sections.get(code="office")
    construction = agency.sections.get(code="construction")
    assert list(office.heads.values_list("username", flat=True)) == ["head_office"]
    assert list(construction.heads.values_list("username", flat=True)) == ["head_construction"]
    assert set(office.leaders.values_list("username", flat=True)) == {"leader"}
    assert set(construction.leaders.values_list("username", flat=True)) == {"leader"}
    assert User.objects.get(username="drafter_construction").section == construction
    handler = User.objects.get(username="handler_office")
    assert (handler.roles, handler.section) == (["application_handler"], office)


def test_seed_creates_items_in_every_status():
    seed("--password", PASSWORD)
    statuses = set(Publication.objects.filter(agency__code=AGENCY)
                   .values_list("status", flat=True))
    assert statuses == STATUSES
    returned = Publication.objects.get(agency__code=AGENCY, status="returned")
    assert returned.round == 1
    events = AuditEvent.objects.filter(agency__code=AGENCY)
    assert events.filter(action="reject", subject_id=returned.pk).exists()
    assert events.filter(action="withhold").count() == 1
    assert events.filter(action="release_created").exists()


def test_second_run_changes_nothing():
    seed("--password", PASSWORD)
    counts, hashes = row_counts(), password_hashes()
    assert counts["audit.AuditEvent"] > 0
    output = seed("--password", PASSWORD)
    assert "nothing changed" in output
    assert row_counts() == counts
    assert password_hashes() == hashes


def test_demo_users_log_in_with_the_given_password():
    output = seed("--password", PASSWORD)
    assert sorted(printed_logins(output)) == sorted((u, PASSWORD) for u in LOGINS)
    for username in LOGINS:
        assert can_log_in(username, PASSWORD), username
    assert not can_log_in("drafter_office", "wrong-password")


def test_without_password_each_user_gets_a_generated_one_printed_once_and_kept(var_dir):
    output = seed()
    logins = dict(printed_logins(output))
    assert sorted(logins) == sorted(LOGINS)
    assert len(set(logins.values())) == len(LOGINS), "each user gets their own password"
    for username, password in logins.items():
        assert len(password) >= 10
        assert can_log_in(username, password), username

    logins_file = var_dir / "demo-logins.txt"
    assert logins_file.stat().st_mode & 0o777 == 0o600
    assert dict(line.split("\t") for line in logins_file.read_text().splitlines()) == logins

    hashes = password_hashes()
    again = seed()
    assert password_hashes() == hashes
    assert dict(printed_logins(again)) == logins


def test_rerun_with_another_password_does_not_print_logins_that_do_not_work():
    seed("--password", PASSWORD)
    output = seed("--password", "another-pass-2")
    for username, password in printed_logins(output):
        assert can_log_in(username, password), (username, password)


def test_logins_left_over_from_an_earlier_database_are_not_printed_as_current(var_dir):
    (var_dir / "demo-logins.txt").write_text("drafter_office\tstale-password-0\n")
    output = seed()
    logins = printed_logins(output)
    assert sorted(u for u, _ in logins) == sorted(LOGINS)
    for username, password in logins:
        assert can_log_in(username, password), (username, password)


def test_audit_trail_verifies_after_seeding_twice():
    seed("--password", PASSWORD)
    seed("--password", PASSWORD)
    out = io.StringIO()
    call_command("verify_audit_trail", "--agency", AGENCY, stdout=out)
    events = AuditEvent.objects.filter(agency__code=AGENCY).count()
    assert out.getvalue().strip() == f"{AGENCY}: OK, {events} events"


def test_the_demo_admin_is_the_agencys_admin_and_the_operator_is_apart():
    """Observed on main: the seeded `admin` was a Django superuser."""
    seed("--password", PASSWORD)
    admin = User.objects.get(username="admin")
    assert admin.agency.code == AGENCY and admin.roles == ["agency_admin"]
    assert admin.is_staff and not admin.is_superuser
    operator = User.objects.get(username="operator")
    assert operator.agency is None and operator.is_superuser and operator.roles == []


def test_reseeding_an_old_demo_database_takes_superuser_from_the_agency_admin():
    seed("--password", PASSWORD)
    User.objects.filter(username="admin").update(is_superuser=True)
    output = seed("--password", PASSWORD)
    assert "no longer a superuser" in output
    assert not User.objects.get(username="admin").is_superuser


def test_seed_creates_applications_in_every_status_and_cases():
    # a day on which an application received today runs past the holiday table (2026's is
    # the last entered); the demo is dated back from the day it is seeded
    HolidayYear.objects.filter(year__gte=2027).delete()
    day = dt.date(2026, 12, 2)
    with time_machine.travel(dt.datetime(2026, 12, 2, 9, tzinfo=dt.timezone(
            dt.timedelta(hours=8))), tick=False):
        seed("--password", PASSWORD)
    apps = Application.objects.filter(agency__code=AGENCY)
    assert set(apps.values_list("status", flat=True)) == set(ApplicationStatus.values)
    outcomes = set(apps.filter(status="replied").values_list("outcome", flat=True))
    assert {"disclosed", "partly_disclosed", "unable_not_held", "other_no_correction"} <= outcomes
    assert overdue_filter(apps, on=day).count() == 1
    assert apps.filter(deadline_beyond_known=True, received_on=day).count() == 1
    assert apps.filter(extended=True).count() >= 1
    assert apps.filter(received_via="online", status="pending_confirmation").count() == 1
    assert set(apps.exclude(status="pending_confirmation")
               .values_list("handler__username", flat=True)) == {"handler_office"}
    # the handler's replies were approved by the leader covering the section
    events = AuditEvent.objects.filter(agency__code=AGENCY)
    assert set(events.filter(action="reply_approved").values_list(
        "actor_username", flat=True)) == {"leader"}
    cases = Case.objects.filter(agency__code=AGENCY)
    assert set(cases.values_list("kind", flat=True)) == {
        "reconsideration", "litigation_direct", "litigation_after_reconsideration"}
    assert set(cases.values_list("result", flat=True)) == {"pending", "upheld"}
    assert cases.get(kind="reconsideration").application.outcome == "unable_not_held"
    with time_machine.travel(dt.datetime(2026, 12, 3, 9, tzinfo=dt.timezone(
            dt.timedelta(hours=8))), tick=False):
        counts = row_counts()
        assert "nothing changed" in seed("--password", PASSWORD)
        assert row_counts() == counts


def test_a_database_seeded_before_applications_gets_them_and_the_handler(monkeypatch):
    from demo.management.commands import seed_demo as command

    with monkeypatch.context() as before:  # seed_demo as it was before issue 11
        before.setattr(command, "PEOPLE", [p for p in command.PEOPLE
                                           if p[0] != "handler_office"])
        before.setattr(command.Command, "_applications", lambda self, agency: None)
        seed("--password", PASSWORD)
    assert not User.objects.filter(username="handler_office").exists()
    items = Publication.objects.count()
    output = seed("--password", PASSWORD)
    assert "Demo applications and cases created." in output
    assert Publication.objects.count() == items
    assert User.objects.get(username="handler_office").has_role("application_handler")
    assert Application.objects.filter(agency__code=AGENCY).count() > 10


def test_the_demo_agency_reviews_its_annual_report_in_the_office():
    seed("--password", PASSWORD)
    agency = Agency.objects.get(code=AGENCY)
    assert agency.report_section.code == "office"
    assert User.objects.get(username="report_editor").has_role("report_editor")


def test_the_county_government_supervises_the_housing_bureau_and_a_second_department():
    seed("--password", PASSWORD)
    county = Agency.objects.get(code="wenxian_gov")
    assert county.name == "温县人民政府"
    assert set(county.children.values_list("code", flat=True)) == {
        AGENCY, "wenxian_archives"}
    supervisor = User.objects.get(username="county_supervisor")
    assert supervisor.agency == county and supervisor.roles == ["auditor"]
    client = Client()
    client.force_login(supervisor)
    response = client.get("/api/v1/reports/annual/overview/?agency=wenxian_gov&year=2025")
    assert response.status_code == 200
    assert {a["agency"]: a["status"] for a in response.json()["agencies"]} == {
        AGENCY: "not_started", "wenxian_archives": "not_started"}
    # the housing bureau's people are where they were
    assert not User.objects.filter(agency=county).exclude(username="county_supervisor").exists()


def test_a_housing_bureau_the_operator_moved_elsewhere_stays_there():
    seed("--password", PASSWORD)
    city = Agency.objects.create(code="jiaozuo_gov", name="焦作市人民政府")
    Agency.objects.filter(code=AGENCY).update(parent=city)
    seed("--password", PASSWORD)
    assert Agency.objects.get(code=AGENCY).parent == city
