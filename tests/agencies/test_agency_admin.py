"""An agency admin manages their agency's people and configuration by their role, only
theirs, cannot escalate; every change made in the admin is in the agency's chain (and
platform-wide ones in the platform's), secrets never in clear."""

import csv
import io
import json

import pytest
from django.core.management import call_command

from agencies.models import Agency, Channel, User
from audit.config_changes import PLATFORM_CODE
from audit.models import AuditEvent
from publications.selectors import visible_publications
from scanning.models import SensitiveWordList
from testsupport.factories import api, make_user, submitted_item
from workdays.models import Holiday

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-wechat-app-secret-value"


@pytest.fixture
def agency_admin(org):
    """Staff with the agency-admin role and no Django permission at all."""
    admin = org["admin"]
    admin.is_staff = True
    admin.save()
    return admin


@pytest.fixture
def operator(db):
    return make_user(None, "operator", [], is_staff=True, is_superuser=True)


def config_events(agency, model=None):
    events = AuditEvent.objects.filter(agency=agency, action="config_changed").order_by("seq")
    return [e for e in events if model is None or e.data["model"] == model]


def verify(code):
    out = io.StringIO()
    call_command("verify_audit_trail", "--agency", code, stdout=out)
    return out.getvalue()


def section_form(section, **overrides):
    data = {"agency": section.agency_id, "code": section.code, "name": section.name,
            "heads": list(section.heads.values_list("pk", flat=True)),
            "leaders": list(section.leaders.values_list("pk", flat=True))}
    data.update(overrides)
    return data


def test_an_agency_admin_reaches_their_configuration_by_role_alone(
        client, org, other_org, agency_admin):
    client.force_login(agency_admin)
    for page in ["agencies/user", "agencies/section", "agencies/channel",
                 "publications/category", "scanning/sensitivewordlist",
                 "scanning/publicnumber", "workdays/holiday"]:
        assert client.get(f"/admin/{page}/").status_code == 200, page
    # no filter that would list the other agencies
    people = client.get("/admin/agencies/user/").content.decode()
    assert "other_agency" not in people and "测试机关 other_agency" not in people
    # the trail, items and releases are not configuration: not by role
    for page in ["audit/auditevent", "publications/publication", "releases/release"]:
        assert client.get(f"/admin/{page}/").status_code == 403, page


def test_an_agency_admin_cannot_change_another_agencys_rows_by_url(
        client, org, other_org, agency_admin):
    client.force_login(agency_admin)
    channel = other_org.agency.channels.get(code="wechat")
    url = f"/admin/agencies/channel/{channel.pk}/change/"
    assert client.get(url).status_code == 404
    forged = {"agency": org.agency.pk, "code": "wechat", "name": "被改", "kind": "wechat",
              "config": "{}", "is_active": "on", "order": "10"}
    assert client.post(url, forged).status_code == 404
    channel.refresh_from_db()
    assert channel.name == "微信公众号"
    other_user = other_org["drafter_office"]
    response = client.post(f"/admin/agencies/user/{other_user.pk}/delete/", {"post": "yes"})
    assert response.status_code == 404
    response = client.get(f"/admin/agencies/user/{other_user.pk}/password/")
    assert response.status_code == 404
    assert User.objects.filter(pk=other_user.pk).exists()
    # nor can they move their own rows, or a new one, into another agency
    section = org.sections["office"]
    response = client.post(f"/admin/agencies/section/{section.pk}/change/",
                           section_form(section, agency=other_org.agency.pk))
    section.refresh_from_db()
    assert section.agency == org.agency
    assert not config_events(other_org.agency)


def test_an_agency_admin_cannot_make_themselves_a_superuser(client, org, agency_admin):
    client.force_login(agency_admin)
    url = f"/admin/agencies/user/{agency_admin.pk}/change/"
    response = client.post(url, {
        "username": agency_admin.username, "display_name": "管理员", "agency": org.agency.pk,
        "roles": agency_admin.roles, "is_active": "on", "is_superuser": "on",
        "is_staff": "on", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"})
    assert response.status_code == 302
    agency_admin.refresh_from_db()
    assert agency_admin.display_name == "管理员"
    assert not agency_admin.is_superuser
    [event] = config_events(org.agency, "agencies.user")
    assert "is_superuser" not in event.data["changes"]


def test_an_operators_account_is_not_the_agency_admins_to_change(client, org, agency_admin):
    hidden = make_user(org.agency, "root_in_agency", [], is_staff=True, is_superuser=True)
    client.force_login(agency_admin)
    assert "root_in_agency" not in client.get("/admin/agencies/user/").content.decode()
    assert client.get(f"/admin/agencies/user/{hidden.pk}/password/").status_code == 404


def test_a_person_an_agency_admin_adds_belongs_to_their_agency(client, org, agency_admin):
    client.force_login(agency_admin)
    response = client.post("/admin/agencies/user/add/", {
        "username": "new_drafter", "password1": "Zx9!long-enough-pw", "usable_password": "true",
        "password2": "Zx9!long-enough-pw"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    person = User.objects.get(username="new_drafter")
    assert person.agency == org.agency and not person.is_staff
    [event] = config_events(org.agency, "agencies.user")
    assert event.data["operation"] == "add"
    assert event.data["changes"]["password"] == {"changed": True}
    assert person.password not in json.dumps(event.data)


def test_changing_section_heads_is_in_the_agencys_chain_with_old_and_new(
        client, org, agency_admin):
    section = org.sections["office"]
    before = sorted(section.heads.values_list("pk", flat=True))
    client.force_login(agency_admin)
    response = client.post(f"/admin/agencies/section/{section.pk}/change/",
                           section_form(section, heads=[org["head_construction"].pk]))
    assert response.status_code == 302
    [event] = config_events(org.agency, "agencies.section")
    assert event.actor == agency_admin
    assert (event.subject_type, event.subject_id) == ("agencies.section", section.pk)
    assert event.data["operation"] == "change"
    assert event.data["changes"] == {"heads": {"old": before,
                                               "new": [org["head_construction"].pk]}}
    assert verify(org.agency.code).startswith(f"{org.agency.code}: OK")


def test_a_role_change_is_recorded(client, org, agency_admin):
    person = org["drafter_office"]
    client.force_login(agency_admin)
    response = client.post(f"/admin/agencies/user/{person.pk}/change/", {
        "username": person.username, "agency": org.agency.pk,
        "section": org.sections["office"].pk, "roles": ["drafter", "publisher"],
        "is_active": "on", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"})
    assert response.status_code == 302
    [event] = config_events(org.agency, "agencies.user")
    assert event.data["changes"]["roles"] == {"old": ["drafter"], "new": ["drafter", "publisher"]}


def test_a_channel_secret_is_recorded_as_changed_never_in_clear(client, org, agency_admin):
    channel = org.agency.channels.get(code="wechat")
    Channel.objects.filter(pk=channel.pk).update(config={})  # a channel being set up
    client.force_login(agency_admin)
    response = client.post(f"/admin/agencies/channel/{channel.pk}/change/", {
        "agency": org.agency.pk, "code": "wechat", "name": "微信公众号", "kind": "wechat",
        "config": json.dumps({"appid": "wx123", "secret": SECRET}), "is_active": "on",
        "order": "10"})
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.config["secret"] == SECRET
    [event] = config_events(org.agency, "agencies.channel")
    assert event.data["changes"] == {"config.appid": {"new": "wx123"},
                                     "config.secret": {"changed": True}}
    assert not AuditEvent.objects.filter(data__icontains=SECRET).exists()
    assert SECRET not in json.dumps(list(AuditEvent.objects.values_list("data", flat=True)))


def test_word_lists_added_and_deleted_are_recorded(client, org, agency_admin):
    client.force_login(agency_admin)
    response = client.post("/admin/scanning/sensitivewordlist/add/", {
        "agency": org.agency.pk, "name": "新词表", "severity": "blocking", "words": "绝密文件",
        "is_active": "on"})
    assert response.status_code == 302
    words = SensitiveWordList.objects.get(name="新词表")
    assert words.agency == org.agency
    response = client.post(f"/admin/scanning/sensitivewordlist/{words.pk}/delete/",
                           {"post": "yes"})
    assert response.status_code == 302
    added, deleted = config_events(org.agency, "scanning.sensitivewordlist")
    assert added.data["operation"] == "add"
    assert added.data["changes"]["words"] == {"new": "绝密文件"}
    assert deleted.data["operation"] == "delete"
    assert deleted.data["changes"]["words"] == {"old": "绝密文件"}
    assert deleted.subject_id == words.pk


def test_a_bulk_delete_records_each_row(client, org, agency_admin):
    lists = [SensitiveWordList.objects.create(agency=org.agency, name=f"表{i}") for i in range(2)]
    client.force_login(agency_admin)
    response = client.post("/admin/scanning/sensitivewordlist/", {
        "action": "delete_selected", "_selected_action": [w.pk for w in lists], "post": "yes"})
    assert response.status_code == 302
    assert not SensitiveWordList.objects.filter(agency=org.agency).exists()
    assert sorted(e.subject_id for e in config_events(org.agency)) == sorted(
        w.pk for w in lists)


def test_a_password_set_in_the_admin_is_recorded_without_the_password(
        client, org, agency_admin):
    person = org["drafter_office"]
    client.force_login(agency_admin)
    response = client.post(f"/admin/agencies/user/{person.pk}/password/", {
        "password1": "Zx9!another-long-pw", "password2": "Zx9!another-long-pw",
        "usable_password": "true"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password("Zx9!another-long-pw")
    [event] = config_events(org.agency, "agencies.user")
    assert event.data["changes"] == {"password": {"changed": True}}
    assert event.subject_id == person.pk and event.actor == agency_admin


def test_agency_admins_read_the_holiday_calendar_only_the_operator_changes_it(
        client, org, agency_admin, operator):
    client.force_login(agency_admin)
    response = client.post("/admin/workdays/holiday/add/",
                           {"date": "2027-02-08", "kind": "holiday", "name": "春节"})
    assert response.status_code == 403
    assert not Holiday.objects.filter(date="2027-02-08").exists()

    client.force_login(operator)
    response = client.post("/admin/workdays/holiday/add/",
                           {"date": "2027-02-08", "kind": "holiday", "name": "春节"})
    assert response.status_code == 302
    [event] = config_events(Agency.objects.get(code=PLATFORM_CODE))
    assert event.data["model"] == "workdays.holiday"
    assert event.data["changes"]["date"] == {"new": "2027-02-08"}
    assert event.actor == operator
    assert not config_events(org.agency)  # not written into every agency's chain
    assert verify(PLATFORM_CODE).startswith(f"{PLATFORM_CODE}: OK")


def test_the_operator_changes_an_agencys_people_in_that_agencys_chain(client, org, operator):
    client.force_login(operator)
    person = org["drafter_office"]
    response = client.post(f"/admin/agencies/user/{person.pk}/change/", {
        "username": person.username, "agency": org.agency.pk, "roles": ["drafter"],
        "section": org.sections["office"].pk, "is_active": "on", "is_staff": "on",
        "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"})
    assert response.status_code == 302
    [event] = config_events(org.agency, "agencies.user")
    assert event.data["changes"]["is_staff"] == {"old": False, "new": True}
    assert event.actor == operator


def test_the_platform_operator_reads_and_scans_no_agencys_items(org, operator):
    """Observed on main: the seeded superuser read every agency's items and wrote `scan`
    events into their chains."""
    publication = submitted_item(org)
    assert not visible_publications(operator).exists()
    client = api(operator)
    assert client.get(f"/api/v1/publications/{publication.pk}/").status_code == 404
    before = AuditEvent.objects.filter(agency=org.agency).count()
    assert client.post(f"/api/v1/publications/{publication.pk}/scan/").status_code == 404
    assert AuditEvent.objects.filter(agency=org.agency).count() == before


def test_the_auditor_reads_configuration_changes_in_words(client, org, agency_admin):
    channel = org.agency.channels.get(code="wechat")
    Channel.objects.filter(pk=channel.pk).update(config={})  # a channel being set up
    client.force_login(agency_admin)
    client.post(f"/admin/agencies/channel/{channel.pk}/change/", {
        "agency": org.agency.pk, "code": "wechat", "name": "温县住建微信", "kind": "wechat",
        "config": json.dumps({"secret": SECRET}), "is_active": "on", "order": "10"})
    client.force_login(org["auditor"])
    export = client.get("/app/audit/export.csv", {"action": "config_changed"})
    raw = b"".join(export.streaming_content).decode("utf-8-sig")
    [row] = list(csv.reader(io.StringIO(raw)))[1:]
    assert row[5] == "admin" and row[7] == "修改配置"
    assert row[11] == ("配置项：发布渠道；对象：温县住建微信；操作：修改；"
                       "改动：config.secret：已更改（保密，不记录内容）；"
                       'name："微信公众号" → "温县住建微信"')
    assert SECRET not in raw
