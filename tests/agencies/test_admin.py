"""Django admin: every page renders, and an agency admin sees only their agency."""

import pytest
from django.contrib.auth.models import Permission

from agencies.models import Role
from testsupport.factories import approve_through, make_user, submitted_item

pytestmark = pytest.mark.django_db

PAGES = ["agencies/agency", "agencies/section", "agencies/user", "publications/category",
         "releases/retractionrequest", "scanning/sensitivewordlist", "scanning/publicnumber",
         "workdays/holiday", "applications/lettertemplate",
         "publications/publication", "agencies/channel", "releases/release", "audit/auditevent"]


@pytest.fixture
def superuser(org):
    return make_user(org.agency, "root_admin", [Role.AGENCY_ADMIN], is_staff=True,
                     is_superuser=True)


@pytest.mark.parametrize("page", PAGES)
def test_every_admin_list_renders_in_chinese(client, org, superuser, page):
    approve_through(org, submitted_item(org), "head_office", "secrecy", "leader")
    client.force_login(superuser)
    response = client.get(f"/admin/{page}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "政府信息公开审核发布 · 系统管理" in response.content.decode()


def test_reviewed_content_cannot_be_changed_in_admin(client, org, superuser):
    publication = submitted_item(org)
    client.force_login(superuser)
    page = client.get(f"/admin/publications/publication/{publication.pk}/change/")
    assert page.status_code == 200
    assert 'name="title"' not in page.content.decode()
    response = client.post(f"/admin/publications/publication/{publication.pk}/change/",
                           {"title": "改"})
    assert response.status_code == 403
    publication.refresh_from_db()
    assert publication.title != "改"


def test_agency_admin_manages_only_their_own_agency(client, org, other_org):
    admin = make_user(org.agency, "agency_admin_1", [Role.AGENCY_ADMIN], is_staff=True)
    admin.user_permissions.set(Permission.objects.filter(
        content_type__app_label__in=["agencies", "publications", "releases"]))
    client.force_login(admin)
    sections = client.get("/admin/agencies/section/").content.decode()
    assert f"/admin/agencies/section/{org.sections['office'].pk}/change/" in sections
    assert f"/admin/agencies/section/{other_org.sections['office'].pk}/change/" not in sections
    other = client.get(f"/admin/agencies/section/{other_org.sections['office'].pk}/change/")
    assert other.status_code == 404  # as if absent
    form = client.get(f"/admin/agencies/section/{org.sections['office'].pk}/change/")
    html = form.content.decode()
    assert org["head_office"].username in html
    assert other_org["head_office"].username not in html


def agency_admin_with_people_rights(org):
    admin = make_user(org.agency, "agency_admin_1", [Role.AGENCY_ADMIN], is_staff=True)
    admin.user_permissions.set(Permission.objects.filter(
        content_type__app_label="agencies"))
    return admin


def test_an_agency_admin_cannot_make_anyone_a_superuser_staff_or_give_permissions(
        client, org):
    """Observed on main: a non-superuser agency admin with "change user" could tick
    is_superuser on themselves."""
    admin = agency_admin_with_people_rights(org)
    client.force_login(admin)
    for person in (admin, org["drafter_office"]):
        url = f"/admin/agencies/user/{person.pk}/change/"
        page = client.get(url).content.decode()
        for field in ("is_superuser", "is_staff", "user_permissions", "groups"):
            assert f'name="{field}"' not in page, field
        # the password is Django's read-only summary, never the hash in an editable field
        assert person.password not in page
        response = client.post(url, {
            "username": person.username, "display_name": "改名", "agency": org.agency.pk,
            "roles": person.roles, "is_active": "on", "is_superuser": "on", "is_staff": "on",
            "user_permissions": [p.pk for p in Permission.objects.all()[:5]],
            "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"})
        assert response.status_code == 302, response.context["adminform"].form.errors
        person.refresh_from_db()
        assert person.display_name == "改名"  # the change itself went through
        assert not person.is_superuser
        assert person.is_staff == (person == admin)
        assert person.user_permissions.count() == (
            Permission.objects.filter(content_type__app_label="agencies").count()
            if person == admin else 0)


def test_a_superuser_still_grants_staff_status(client, org, superuser):
    client.force_login(superuser)
    page = client.get(f"/admin/agencies/user/{org['drafter_office'].pk}/change/")
    assert 'name="is_staff"' in page.content.decode()
