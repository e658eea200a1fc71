"""A document's 文号 and 有效性 on its public page: in force from its effective date, not yet
in force, abolished on its own 废止日期 or by a later item on the site."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.publicsite.test_public_site import approved_item, item_url, public_item, text

pytestmark = pytest.mark.django_db

LONG_AGO = dt.date(2020, 1, 1)
FAR_AHEAD = dt.date(2099, 12, 31)


def document(org, number, when=None, **overrides):
    overrides.setdefault("title", f"建筑市场管理办法（{number}）")
    return public_item(org, when, article20_item=1, document_type="normative_document",
                       document_number=number, **overrides)


def row(page: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">(.*?)</td>', page, re.S)
    assert match, testid
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_a_document_in_force_shows_its_number_and_since_when(client, org):
    page = text(client.get(item_url(document(org, "温住建〔2024〕3号",
                                             effective_on=dt.date(2024, 4, 1)))))
    assert "<th scope=\"row\">文号</th><td>温住建〔2024〕3号</td>" in page
    assert row(page, "validity") == "现行有效（2024-04-01 起施行）"


def test_a_document_not_yet_in_force(client, org):
    page = text(client.get(item_url(document(org, "温住建〔2024〕4号", effective_on=FAR_AHEAD))))
    assert row(page, "validity") == "尚未生效（2099-12-31 起施行）"


def test_a_document_past_its_own_abolition_date_is_abolished(client, org):
    page = text(client.get(item_url(document(org, "温住建〔2019〕1号", effective_on=LONG_AGO,
                                             abolished_on=dt.date(2021, 6, 30)))))
    assert row(page, "validity") == "已废止（2021-06-30 起）"
    assert "2021-06-30" in page and "2020-01-01" in page


def test_an_abolition_date_still_ahead_leaves_the_document_in_force(client, org):
    page = text(client.get(item_url(document(org, "温住建〔2024〕5号", effective_on=LONG_AGO,
                                             abolished_on=FAR_AHEAD))))
    assert row(page, "validity") == "现行有效（2020-01-01 起施行）"


def test_a_document_abolished_by_a_later_item_on_the_site(client, org):
    old = document(org, "温住建〔2019〕8号", title="旧建筑市场管理办法", effective_on=LONG_AGO)
    when = timezone.make_aware(dt.datetime(2024, 3, 5, 10, 0))
    new = document(org, "温住建〔2024〕3号", when, title="新建筑市场管理办法",
                   abolishes=[old.pk])
    page = text(client.get(item_url(old)))
    assert row(page, "validity") == "已废止（2024-03-05 起）"
    assert row(page, "abolisher") == "温住建〔2024〕3号 新建筑市场管理办法"
    assert f'href="{item_url(new)}"' in page

    page = text(client.get(item_url(new)))
    assert row(page, "abolishes") == "温住建〔2019〕8号 旧建筑市场管理办法"
    assert f'href="{item_url(old)}"' in page


def test_an_abolishing_item_not_yet_on_the_site_changes_nothing_there(client, org):
    old = document(org, "温住建〔2019〕8号", effective_on=LONG_AGO)
    approved_item(org, article20_item=1, document_type="rule",
                  document_number="温住建规〔2024〕1号", abolishes=[old.pk])  # release pending
    page = text(client.get(item_url(old)))
    assert row(page, "validity") == "现行有效（2020-01-01 起施行）"
    assert 'data-testid="abolisher"' not in page


def test_an_item_that_is_not_a_document_shows_no_validity(client, org):
    page = text(client.get(item_url(public_item(org, title="工作动态"))))
    assert "有效性" not in page and "文号" not in page


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_a_document_page_costs_the_same_for_one_and_many_abolished_documents(client, org):
    documents = [document(org, f"温住建〔2019〕{n}号") for n in range(4)]
    one = document(org, "温住建〔2024〕1号", abolishes=[documents[0].pk])
    many = document(org, "温住建〔2024〕2号", abolishes=[d.pk for d in documents])
    # agency, item, attachments, the item abolishing it (none), the documents it abolishes
    assert queries(client, item_url(one)) == queries(client, item_url(many)) == 5
    page = text(client.get(item_url(many)))
    assert row(page, "abolishes").count("号 建筑市场管理办法") == 4
    assert all(f'href="{item_url(d)}"' in page for d in documents)
