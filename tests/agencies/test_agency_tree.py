"""The platform operator sets an agency's parent (上级机关) in the admin, recorded in the trail;
a cycle is refused with a message; an agency admin sees the parent but cannot change it."""

import json
import re

import pytest

from agencies.models import Agency
from audit.models import AuditEvent
from testsupport.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db):
    return make_user(None, "operator", [], is_staff=True, is_superuser=True)


@pytest.fixture
def county(db):
    return Agency.objects.create(code="wenxian_gov", name="温县人民政府")


def agency_form(agency, **overrides):
    data = {"code": agency.code, "name": agency.name, "report_section": "",
            "parent": agency.parent_id or "",
            # its notice settings as the form shows them (issue 14)
            "time_zone": agency.time_zone, "digest_time": "08:30", "quiet_from": "20:00",
            "quiet_until": "08:00", "urgent_kinds": json.dumps(agency.urgent_kinds)}
    data.update(overrides)
    return data


def test_the_operator_sets_a_parent_and_the_change_is_recorded(client, org, county, operator):
    client.force_login(operator)
    url = f"/admin/agencies/agency/{org.agency.pk}/change/"
    response = client.post(url, agency_form(org.agency, parent=county.pk))
    assert response.status_code == 302
    org.agency.refresh_from_db()
    assert org.agency.parent == county
    event = AuditEvent.objects.get(agency=org.agency, action="config_changed")
    assert event.data["changes"]["parent"] == {"old": None, "new": county.pk}
    listing = client.get("/admin/agencies/agency/").content.decode()
    assert "温县人民政府" in listing


def test_the_operator_cannot_make_a_cycle(client, org, other_org, county, operator):
    org.agency.parent = county
    org.agency.save()
    client.force_login(operator)
    url = f"/admin/agencies/agency/{county.pk}/change/"
    # not offered: the agency itself and its subordinates
    form = client.get(url).content.decode()
    choices = re.search(r'<select name="parent".*?</select>', form, re.DOTALL).group(0)
    assert f'<option value="{other_org.agency.pk}"' in choices
    assert f'<option value="{org.agency.pk}"' not in choices
    assert f'<option value="{county.pk}"' not in choices
    # and refused when posted anyway
    response = client.post(url, agency_form(county, parent=org.agency.pk))
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    county.refresh_from_db()
    assert county.parent is None
    assert not AuditEvent.objects.filter(agency=county, action="config_changed").exists()


def test_the_model_refuses_a_cycle_with_a_message(org, county):
    from django.core.exceptions import ValidationError

    org.agency.parent = county
    org.agency.save()
    county.parent = org.agency
    with pytest.raises(ValidationError) as error:
        county.full_clean()
    assert org.agency.name in error.value.message_dict["parent"][0]


def test_an_agency_admin_sees_the_parent_but_cannot_change_it(client, org, other_org, county):
    admin = org["admin"]
    admin.is_staff = True
    admin.save()
    org.agency.parent = county
    org.agency.save()
    client.force_login(admin)
    url = f"/admin/agencies/agency/{org.agency.pk}/change/"
    page = client.get(url).content.decode()
    assert "温县人民政府" in page and 'name="parent"' not in page
    response = client.post(url, agency_form(org.agency, name="改名后的机关",
                                            parent=other_org.agency.pk))
    assert response.status_code == 302
    org.agency.refresh_from_db()
    assert org.agency.name == "改名后的机关" and org.agency.parent == county
