"""The figures table 二 of the annual report counts, entered and checked in the web UI: the
drafter's form (documents under Art. 20 item (1), decisions under (5) and (6), fees under
(8)), the item page and the reviewer's task page."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from publications.models import Publication
from testsupport.factories import approve_through, create_item, submitted_item, task_for

NEW = "/app/items/new/"


def form_data(**overrides):
    data = {"title": "温县住房和城乡建设局关于印发建筑市场管理办法的通知",
            "body": "<p>第一条 为规范建筑市场秩序，制定本办法。</p>", "section": "office",
            "category": "work_updates", "article20_item": "1", "formed_on": "2024-03-01",
            "channels": ["website"]}
    data.update(overrides)
    return data


def released_document(org, number, title="关于印发建筑市场管理办法的通知",
                      document_type="normative_document", **overrides):
    """A document through all three tiers: what an item may abolish."""
    publication = submitted_item(org, title=title, article20_item=1,
                                 document_type=document_type, document_number=number,
                                 **overrides)
    return approve_through(org, publication, "head_office", "secrecy", "leader")


def html_of(response) -> str:
    return response.content.decode()


def field_block(html: str, name: str) -> str:
    """The markup of one field's box (up to the next field)."""
    start = html.index(f'id="field-{name}"')
    following = html.find('<div class="webui-field', start + 1)
    return html[start:following if following > 0 else None]


def fact(html: str, name: str) -> str:
    match = re.search(rf'data-testid="fact-{name}"[^>]*>(.*?)</dd>', html, re.S)
    assert match, name
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


@pytest.fixture
def drafter(client, org):
    client.force_login(org["drafter_office"])
    return org["drafter_office"]


# ---------------------------------------------------------------- the form

def test_form_offers_every_article20_item_with_what_it_covers(client, drafter):
    html = html_of(client.get(NEW))
    for expected in ("第（1）项　行政法规、规章和规范性文件",
                     "第（5）项　办理行政许可和其他对外管理服务事项的依据、条件、程序以及办理结果",
                     "第（8）项　行政事业性收费项目及其依据、标准", "不属于第二十条事项"):
        assert expected in html, expected
    assert html.count('name="article20_item"') == 16
    # without a script every group is there, each naming the items it belongs to
    for legend in ("规章和行政规范性文件（第（1）项）", "处理决定（第（5）项、第（6）项）",
                   "行政事业性收费（第（8）项）"):
        assert legend in html, legend
    assert 'data-items="1"' in html and 'data-items="5 6"' in html and 'data-items="8"' in html
    assert "webui/item_form.js" in html


def test_drafter_creates_a_rule_with_number_and_dates(client, drafter):
    response = client.post(NEW, form_data(document_type="rule",
                                           document_number=" 温住建规〔2024〕1号 ",
                                           effective_on="2024-04-01",
                                           abolished_on="2029-03-31"))
    publication = Publication.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/app/items/{publication.pk}/"
    assert (publication.article20_item, publication.document_type,
            publication.document_number) == (1, "rule", "温住建规〔2024〕1号")
    assert publication.effective_on == dt.date(2024, 4, 1)
    assert publication.abolished_on == dt.date(2029, 3, 31)
    assert publication.decision_type == "" and publication.fee_amount_yuan is None

    html = html_of(client.get(response["Location"]))
    assert fact(html, "article20_item") == "第（1）项　行政法规、规章和规范性文件"
    assert fact(html, "document_type") == "规章"
    assert fact(html, "document_number") == "温住建规〔2024〕1号"
    assert fact(html, "effective_on") == "2024-04-01"
    assert fact(html, "abolished_on") == "2029-03-31"


@pytest.mark.parametrize(("item", "decision_type", "label"), [
    ("5", "licensing", "行政许可"), ("6", "penalty", "行政处罚"), ("6", "enforcement", "行政强制")])
def test_drafter_records_decisions_under_items_5_and_6(client, drafter, item, decision_type,
                                                       label):
    response = client.post(NEW, form_data(title="建筑业企业资质审批结果公示",
                                           article20_item=item, decision_type=decision_type,
                                           decision_count="12"))
    assert response.status_code == 302
    publication = Publication.objects.get()
    assert (publication.article20_item, publication.decision_type,
            publication.decision_count) == (int(item), decision_type, 12)
    assert publication.document_type == "" and publication.document_number == ""
    html = html_of(client.get(response["Location"]))
    assert fact(html, "decision_type") == label and fact(html, "decision_count") == "12"


def test_a_decision_without_a_count_counts_as_one(client, drafter):
    client.post(NEW, form_data(article20_item="5", decision_type="licensing",
                               decision_count=""))
    assert Publication.objects.get().decision_count == 1


def test_drafter_records_a_fee_under_item_8(client, drafter):
    response = client.post(NEW, form_data(title="行政事业性收费项目公示", article20_item="8",
                                           fee_amount_yuan="12345.60"))
    assert response.status_code == 302
    publication = Publication.objects.get()
    assert publication.fee_amount_yuan == Decimal("12345.60")
    assert fact(html_of(client.get(response["Location"])), "fee_amount_yuan") == "12345.60"


def test_abolishable_documents_are_the_agencys_released_ones_by_number_and_title(
        client, org, other_org, drafter):
    old = released_document(org, "温住建〔2019〕8号", title="旧建筑市场管理办法")
    create_item(org, title="起草中的办法", article20_item=1, document_type="rule",
                document_number="温住建〔2024〕9号")  # a draft: not released
    approve_through(org, submitted_item(org, title="已发布的工作动态"),
                    "head_office", "secrecy", "leader")  # released, but not a document
    released_document(other_org, "他机关〔2019〕1号", title="其他机关的办法")
    block = field_block(html_of(client.get(NEW)), "abolishes")
    assert f'value="{old.pk}"' in block
    assert "温住建〔2019〕8号　旧建筑市场管理办法（行政规范性文件）" in block
    for absent in ("起草中的办法", "已发布的工作动态", "其他机关的办法"):
        assert absent not in block, absent
    assert 'data-filter-for="abolishes"' in block  # the script's filter box

    response = client.post(NEW, form_data(document_type="normative_document",
                                           document_number="温住建〔2024〕3号",
                                           abolishes=[str(old.pk)]))
    assert response.status_code == 302
    publication = Publication.objects.get(document_number="温住建〔2024〕3号")
    assert list(publication.abolishes.all()) == [old]
    assert "温住建〔2019〕8号　旧建筑市场管理办法" in fact(
        html_of(client.get(response["Location"])), "abolishes")


def test_without_released_documents_the_form_says_so(client, drafter):
    assert "本机关还没有已发布的规章或行政规范性文件。" in html_of(client.get(NEW))


# ---------------------------------------------------------------- validation

def error_of(response, name) -> str:
    assert response.status_code == 422
    return " ".join(response.context["form"].errors[name])


def test_a_rule_needs_a_document_number(client, drafter):
    response = client.post(NEW, form_data(document_type="rule", document_number=""))
    assert error_of(response, "document_number") == "规章和行政规范性文件须填写文号。"
    assert "规章和行政规范性文件须填写文号。" in field_block(html_of(response), "document_number")
    assert not Publication.objects.exists()


def test_abolition_before_taking_effect_is_refused(client, drafter):
    response = client.post(NEW, form_data(document_type="rule", document_number="温规〔2024〕1号",
                                          effective_on="2024-04-01", abolished_on="2024-01-01"))
    assert error_of(response, "abolished_on") == "废止日期不能早于生效日期。"
    assert not Publication.objects.exists()


@pytest.mark.parametrize(("item", "field", "value", "message"), [
    ("12", "document_number", "温住建〔2024〕3号", "只适用于条例第二十条第（1）项"),
    ("", "document_type", "rule", "只适用于条例第二十条第（1）项"),
    ("8", "decision_type", "licensing", "只适用于条例第二十条第（5）项、第（6）项"),
    ("5", "fee_amount_yuan", "100", "只适用于条例第二十条第（8）项"),
    ("5", "decision_type", "penalty", "第二十条第（5）项的决定类型只能是行政许可。"),
    ("6", "decision_type", "licensing", "第二十条第（6）项的决定类型只能是行政处罚、行政强制。"),
    ("5", "decision_count", "3", "填写了决定数量，请选择决定类型。"),
    ("5", "decision_count", "0", "填写了决定数量，请选择决定类型。"),
])
def test_figures_outside_their_article20_item_are_refused(client, drafter, item, field, value,
                                                          message):
    response = client.post(NEW, form_data(article20_item=item, **{field: value}))
    errors = response.context["form"].errors
    assert response.status_code == 422
    assert any(message in e for messages in errors.values() for e in messages), errors
    assert not Publication.objects.exists()


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"article20_item": "5", "decision_type": "licensing", "decision_count": "0"},
     "decision_count", "决定数量至少为 1。"),
    ({"article20_item": "8", "fee_amount_yuan": "-1"}, "fee_amount_yuan", "收费金额不能为负数。"),
    ({"article20_item": "8", "fee_amount_yuan": "很多"}, "fee_amount_yuan", "输入一个数字。"),
])
def test_the_services_rules_are_shown_next_to_the_field(client, drafter, data, field, message):
    assert message in error_of(client.post(NEW, form_data(**data)), field)


def test_a_document_not_released_cannot_be_abolished(client, org, drafter):
    draft = create_item(org, article20_item=1, document_type="rule",
                        document_number="温〔2024〕2号")
    response = client.post(NEW, form_data(document_type="rule", document_number="温〔2024〕5号",
                                          abolishes=[str(draft.pk)]))
    assert "abolishes" in response.context["form"].errors
    assert Publication.objects.count() == 1


def test_a_group_with_a_misplaced_value_stays_open_with_its_error(client, drafter):
    html = html_of(client.post(NEW, form_data(article20_item="12",
                                              document_number="温住建〔2024〕3号")))
    assert re.search(r'id="group-document" data-items="1" data-kept', html)
    assert not re.search(r'id="group-fee" data-items="8" data-kept', html)


# ---------------------------------------------------------------- editing

def test_editing_shows_the_figures_and_saves_changes(client, org, drafter):
    old = released_document(org, "温住建〔2019〕8号", title="旧办法")
    publication = create_item(org, article20_item=1, document_type="normative_document",
                              document_number="温住建〔2024〕3号",
                              effective_on=dt.date(2024, 4, 1), abolishes=[old.pk])
    html = html_of(client.get(f"/app/items/{publication.pk}/edit/"))
    assert 'value="温住建〔2024〕3号"' in field_block(html, "document_number")
    assert 'value="2024-04-01"' in field_block(html, "effective_on")
    assert re.search(rf'value="{old.pk}"[^>]*checked', field_block(html, "abolishes"))

    response = client.post(f"/app/items/{publication.pk}/edit/", form_data(
        title=publication.title, body=publication.body, document_type="rule",
        document_number="温住建规〔2024〕4号", effective_on="2024-05-01"))
    assert response.status_code == 302
    publication.refresh_from_db()
    assert (publication.document_type, publication.document_number,
            publication.effective_on) == ("rule", "温住建规〔2024〕4号", dt.date(2024, 5, 1))
    assert not publication.abolishes.exists()  # unticked


def test_moving_an_item_to_another_article20_item_with_its_fields_cleared(client, org, drafter):
    publication = create_item(org, article20_item=5, decision_type="licensing",
                              decision_count=7)
    html = html_of(client.get(f"/app/items/{publication.pk}/edit/"))
    assert 'value="7"' in field_block(html, "decision_count")
    response = client.post(f"/app/items/{publication.pk}/edit/", form_data(
        article20_item="8", fee_amount_yuan="50.00"))
    assert response.status_code == 302
    publication.refresh_from_db()
    assert (publication.article20_item, publication.decision_type, publication.decision_count,
            publication.fee_amount_yuan) == (8, "", 1, Decimal("50.00"))


def test_an_edit_that_breaks_a_rule_changes_nothing(client, org, drafter):
    publication = create_item(org, article20_item=1, document_type="rule",
                              document_number="温住建规〔2024〕1号")
    response = client.post(f"/app/items/{publication.pk}/edit/", form_data(
        document_type="rule", document_number=""))
    assert error_of(response, "document_number") == "规章和行政规范性文件须填写文号。"
    publication.refresh_from_db()
    assert publication.document_number == "温住建规〔2024〕1号"


# ---------------------------------------------------------------- the item and review pages

def test_item_page_shows_what_the_chosen_item_misses(client, org, drafter):
    publication = create_item(org, article20_item=6)
    html = html_of(client.get(f"/app/items/{publication.pk}/"))
    assert fact(html, "decision_type") == "未填写（不计入表二的处理决定数量）"
    assert "webui-fact--missing" in html
    plain = create_item(org, article20_item=12)
    html = html_of(client.get(f"/app/items/{plain.pk}/"))
    assert fact(html, "article20_item").startswith("第（12）项")
    assert 'data-testid="fact-document_type"' not in html
    assert 'data-testid="fact-decision_type"' not in html


def review_page(client, org, publication, reviewer="head_office"):
    user = org[reviewer]
    client.force_login(user)
    response = client.get(f"/app/review/tasks/{task_for(user, publication).pk}/")
    assert response.status_code == 200
    return html_of(response)


def test_reviewers_see_the_document_figures_above_the_content(client, org):
    old = released_document(org, "温住建〔2019〕8号", title="旧建筑市场管理办法")
    publication = submitted_item(
        org, title="建筑市场管理办法", article20_item=1, document_type="rule",
        document_number="温住建规〔2024〕1号", effective_on=dt.date(2024, 4, 1),
        abolished_on=dt.date(2029, 3, 31), abolishes=[old.pk])
    html = review_page(client, org, publication)
    assert html.index('data-testid="table2-facts"') < html.index('data-testid="content"')
    assert "计入政府信息公开工作年度报告表二" in html
    assert fact(html, "document_type") == "规章"
    assert fact(html, "document_number") == "温住建规〔2024〕1号"
    assert fact(html, "effective_on") == "2024-04-01"
    assert fact(html, "abolished_on") == "2029-03-31"
    assert fact(html, "abolishes") == "温住建〔2019〕8号　旧建筑市场管理办法"
    assert f'href="/app/items/{old.pk}/"' in html


@pytest.mark.parametrize(("data", "expected"), [
    ({"article20_item": 6, "decision_type": "penalty", "decision_count": 3},
     {"decision_type": "行政处罚", "decision_count": "3"}),
    ({"article20_item": 8, "fee_amount_yuan": Decimal("880.00")}, {"fee_amount_yuan": "880.00"}),
    ({"article20_item": 5}, {"decision_type": "未填写（不计入表二的处理决定数量）"}),
    ({"article20_item": 1}, {"document_type": "未填写（不计入表二的规章、行政规范性文件）"}),
])
def test_reviewers_see_decisions_fees_and_what_is_missing(client, org, data, expected):
    html = review_page(client, org, submitted_item(org, **data))
    for name, value in expected.items():
        assert fact(html, name) == value, name


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_review_page_costs_the_same_for_one_and_many_abolished_documents(client, org):
    documents = [released_document(org, f"温住建〔2019〕{n}号") for n in range(4)]
    one = submitted_item(org, article20_item=1, document_type="rule",
                         document_number="温住建规〔2024〕1号", abolishes=[documents[0].pk])
    many = submitted_item(org, article20_item=1, document_type="rule",
                          document_number="温住建规〔2024〕2号",
                          abolishes=[d.pk for d in documents])
    head = org["head_office"]
    client.force_login(head)
    url = "/app/review/tasks/{}/"
    assert (_queries(client, url.format(task_for(head, one).pk))
            == _queries(client, url.format(task_for(head, many).pk)))
    assert fact(review_page(client, org, many), "abolishes").count("温住建〔2019〕") == 4


def test_review_page_of_an_item_abolishing_nothing_does_not_load_the_list(client, org):
    document = released_document(org, "温住建〔2019〕1号")
    plain = submitted_item(org, article20_item=1, document_type="rule",
                           document_number="温住建规〔2024〕1号")
    abolishing = submitted_item(org, article20_item=1, document_type="rule",
                                document_number="温住建规〔2024〕2号", abolishes=[document.pk])
    head = org["head_office"]
    client.force_login(head)
    url = "/app/review/tasks/{}/"
    assert (_queries(client, url.format(task_for(head, plain).pk)) + 1
            == _queries(client, url.format(task_for(head, abolishing).pk)))
