"""Where a person lands after login: their work, the administration for the platform's
operator, and for someone without a role a page that says whom to ask."""

import pytest

from agencies.models import Role, User
from testsupport.factories import make_user

pytestmark = pytest.mark.django_db


def test_a_person_without_a_role_is_told_whom_to_ask_and_what_they_can_do(client, org):
    person = make_user(org.agency, "no_roles", [])
    make_user(org.agency, "admin_two", [Role.AGENCY_ADMIN], display_name="钱七（管理员）")
    client.force_login(person)
    response = client.get("/app/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "尚未分配起草、审核、发布或审计等岗位" in html
    assert "钱七（管理员）" in html
    assert "/app/notifications/" in html and "/app/statistics/" in html
    assert f"/gk/{org.agency.code}/" in html


def test_the_platform_operator_lands_in_the_administration(client, db):
    operator = User.objects.create_superuser("operator", password="x-operator-pass-1")
    client.force_login(operator)
    response = client.get("/app/")
    assert response.status_code == 302 and response["Location"] == "/admin/"


@pytest.mark.parametrize(("username", "home"), [
    ("drafter_office", "/app/items/"), ("head_office", "/app/review/"),
    ("secrecy", "/app/review/"), ("leader", "/app/review/"), ("auditor", "/app/audit/")])
def test_each_role_lands_on_its_work(client, org, username, home):
    client.force_login(org[username])
    assert client.get("/app/")["Location"] == home


def test_the_site_has_a_favicon_for_pages_that_name_none(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/webui/favicon.ico"


def test_the_drawer_leads_each_person_to_a_page_of_the_application_they_may_use(client, org):
    org["admin"].is_staff = True
    org["admin"].save(update_fields=["is_staff"])
    client.force_login(org["admin"])
    html = client.get("/app/notifications/").content.decode()
    # an agency admin's 审核 holds only 代理: its link leads there, not to a queue (403)
    assert 'href="/app/review/substitutes/" data-testid="app-review"' in html
    client.force_login(org["head_office"])
    html = client.get("/app/notifications/").content.decode()
    assert 'href="/app/review/" data-testid="app-review"' in html
