"""全部信息: every item of the agency for leaders, reviewers, auditors, admins and publishers."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Channel
from publications.models import Publication
from testsupport.factories import create_item, submitted_item

pytestmark = pytest.mark.django_db
URL = "/app/items/all/"


def get(client, user, **params):
    client.force_login(user)
    return client.get(URL, params)


def test_a_leader_sees_every_section_and_a_drafter_is_refused(client, org):
    office = create_item(org, title="办公室的信息")
    construction = create_item(org, "drafter_construction", title="建筑业管理股的信息")
    html = get(client, org["leader"]).content.decode()
    assert office.title in html and construction.title in html
    for username in ("auditor", "secrecy", "head_office", "admin", "publisher"):
        assert get(client, org[username]).status_code == 200, username
    assert get(client, org["drafter_office"]).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302


def test_another_agencys_items_never_show(client, org, other_org):
    mine = create_item(org, title="本机关信息")
    theirs = create_item(other_org, title="其他机关信息")
    html = get(client, org["leader"]).content.decode()
    assert mine.title in html and theirs.title not in html
    foreign_channel = Channel.objects.get(agency=other_org.agency, code="website")
    assert get(client, org["leader"], channel=foreign_channel.pk).status_code == 422


def test_search_by_title_or_document_number_and_each_filter(client, org):
    a = create_item(org, title="关于春季防火的通知", formed_on=dt.date(2024, 3, 1))
    Publication.objects.filter(pk=a.pk).update(document_number="温住建〔2024〕7号")
    b = submitted_item(org, "drafter_construction", title="建筑工地检查结果",
                       formed_on=dt.date(2024, 6, 1), channels=["website"])
    leader = org["leader"]

    def titles(**params):
        html = get(client, leader, **params).content.decode()
        return {t for t in (a.title, b.title) if t in html}

    assert titles(q="春季") == {a.title}
    assert titles(q="〔2024〕7号") == {a.title}
    assert titles(status="in_review") == {b.title}
    assert titles(section=org.sections["construction"].pk) == {b.title}
    wechat = Channel.objects.get(agency=org.agency, code="wechat")
    assert titles(channel=wechat.pk) == {a.title}
    assert titles(date_from="2024-05-01") == {b.title}
    assert titles(date_to="2024-05-01") == {a.title}


def test_empty_states_say_what_to_do_and_bad_dates_answer_422(client, org):
    html = get(client, org["leader"]).content.decode()
    assert "经办人起草并提交后会列在这里" in html
    create_item(org)
    html = get(client, org["leader"], q="不存在的标题").content.decode()
    assert "清除筛选" in html and "没有符合条件的信息" in html
    response = get(client, org["leader"], date_from="2024-06-01", date_to="2024-01-01")
    assert response.status_code == 422 and "结束日期不能早于开始日期" in response.content.decode()
    assert get(client, org["leader"], date_from="not-a-date").status_code == 422
    assert get(client, org["leader"], page="x").status_code == 200


def test_the_query_count_does_not_grow_with_the_items(client, org):
    client.force_login(org["leader"])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    for _ in range(5):
        create_item(org)
    small = count()
    for _ in range(15):
        create_item(org, "drafter_construction")
    assert count() == small
