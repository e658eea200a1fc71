"""Which channels a drafter may choose: only configured ones (the service refuses the rest
too), in the agency's order, grouped by kind, the agency's defaults ticked on a new item."""

import re

import pytest

from agencies.models import Channel
from core.errors import InvalidInput
from publications.services import create_publication, update_publication
from testsupport.factories import create_item, item_data

pytestmark = pytest.mark.django_db


def form_html(client, user, url="/app/items/new/"):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode().split('id="field-channels"', 1)[1].split(
        'id="field-attachments"', 1)[0]


def offered(html) -> list[str]:
    return re.findall(r'name="channels" value="([^"]+)"', html)


def ticked(html) -> list[str]:
    return re.findall(r'name="channels" value="([^"]+)"[^>]*checked', html)


def unconfigure(org, code="wechat"):
    Channel.objects.filter(agency=org.agency, code=code).update(config={})


def test_an_unconfigured_channel_is_not_offered_and_the_form_says_why(client, org):
    assert offered(form_html(client, org["drafter_office"])) == [
        "website", "wechat", "jiaozuo_daily"]
    unconfigure(org)
    html = form_html(client, org["drafter_office"])
    assert offered(html) == ["website", "jiaozuo_daily"]
    assert "以下渠道尚未配置完成，暂不能选择：微信公众号" in html


def test_the_service_refuses_an_unconfigured_channel(org):
    unconfigure(org)
    with pytest.raises(InvalidInput) as refused:
        create_publication(user=org["drafter_office"], data=item_data())
    assert "尚未配置完成" in refused.value.fields["channels"][0]
    assert "微信公众号" in refused.value.fields["channels"][0]
    publication = create_item(org, channels=["website"])
    with pytest.raises(InvalidInput):
        update_publication(user=org["drafter_office"], publication_id=publication.pk,
                           data={"channels": ["website", "wechat"]})


def test_posting_an_unconfigured_channel_answers_422(client, org):
    unconfigure(org)
    client.force_login(org["drafter_office"])
    data = {**item_data(), "formed_on": "2024-03-01", "article20_item": "12"}
    response = client.post("/app/items/new/", data)
    assert response.status_code == 422


def test_channels_follow_the_agency_order_grouped_by_kind(client, org):
    Channel.objects.filter(agency=org.agency, code="jiaozuo_daily").update(order=5)
    Channel.objects.create(agency=org.agency, code="henan_daily", name="河南日报",
                           kind="manual", order=50)
    html = form_html(client, org["drafter_office"])
    assert offered(html) == ["website", "jiaozuo_daily", "henan_daily", "wechat"]
    groups = [html.index(label) for label in ("政府信息公开专栏", "人工发布（报刊、公告栏等）",
                                              "微信公众号</label>")]
    assert groups == sorted(groups)


def test_the_agency_defaults_are_ticked_on_a_new_item_and_the_items_own_on_edit(client, org):
    assert ticked(form_html(client, org["drafter_office"])) == ["website"]
    Channel.objects.filter(agency=org.agency, code="jiaozuo_daily").update(is_default=True)
    assert ticked(form_html(client, org["drafter_office"])) == ["website", "jiaozuo_daily"]
    publication = create_item(org, channels=["wechat"])
    html = form_html(client, org["drafter_office"], f"/app/items/{publication.pk}/edit/")
    assert ticked(html) == ["wechat"]


def test_a_chosen_channel_that_lost_its_settings_is_shown_and_refused_on_saving(client, org):
    publication = create_item(org, channels=["website", "wechat"])
    unconfigure(org)
    url = f"/app/items/{publication.pk}/edit/"
    html = form_html(client, org["drafter_office"], url)
    assert ticked(html) == ["website", "wechat"] and "微信公众号（未配置完成）" in html
    data = {**item_data(), "formed_on": "2024-03-01", "article20_item": "12"}
    response = client.post(url, data)
    assert response.status_code == 422
    assert "发布渠道尚未配置完成，不能选择：微信公众号" in response.content.decode()


def test_the_agency_admin_sets_a_channels_order_and_default(client, org):
    admin = org["admin"]  # the agency-admin role, as staff
    admin.is_staff = True
    admin.save()
    admin_client = client
    admin_client.force_login(admin)
    channel = Channel.objects.get(agency=org.agency, code="jiaozuo_daily")
    html = admin_client.get(f"/admin/agencies/channel/{channel.pk}/change/").content.decode()
    assert 'name="order"' in html and 'name="is_default"' in html
    listing = admin_client.get("/admin/agencies/channel/").content.decode()
    assert "column-order" in listing and "column-is_default" in listing
