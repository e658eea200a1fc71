"""The review sign-off sheet (信息公开审核审签单): each tier's reviewer, decision, comment and
time of the item's current round, as a printable page and a PDF."""

import io

import pytest
from pypdf import PdfReader

from testsupport.factories import approve_through, submitted_item, task_for
from workflow import services as review

pytestmark = pytest.mark.django_db


def approve(org, publication, username, comment):
    user = org[username]
    review.approve_task(user=user, task_id=task_for(user, publication).pk, comment=comment)


@pytest.fixture
def approved(org):
    item = submitted_item(org, title="关于公布2024年度建筑业企业资质审批结果的公告",
                          document_number="温住建〔2024〕12号")
    approve(org, item, "head_office", "内容属实，同意公开")
    approve(org, item, "secrecy", "经审查不涉密")
    approve(org, item, "leader", "同意发布")
    item.refresh_from_db()
    return item


def test_the_sheet_of_an_approved_item_names_each_tier_with_its_decision_and_comment(
        client, org, approved):
    client.force_login(org["drafter_office"])
    detail = client.get(f"/app/items/{approved.pk}/").content.decode()
    assert f"/app/items/{approved.pk}/sign-off/" in detail
    response = client.get(f"/app/items/{approved.pk}/sign-off/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "信息公开审核审签单" in html and "温住建〔2024〕12号" in html
    assert "关于公布2024年度建筑业企业资质审批结果的公告" in html
    for username, comment in [("head_office", "内容属实，同意公开"),
                              ("secrecy", "经审查不涉密"), ("leader", "同意发布")]:
        assert comment in html
        assert (org[username].display_name or org[username].username) in html
    assert html.count("<strong>通过</strong>") == 3
    assert "公开专栏、微信公众号" in html
    assert approved.fingerprint[:16] in html
    assert 'data-testid="sign-off-incomplete"' not in html


def test_an_item_in_review_gets_a_sheet_marked_incomplete_with_blank_tiers(client, org):
    item = submitted_item(org)
    approve(org, item, "head_office", "同意")
    client.force_login(org["leader"])
    html = client.get(f"/app/items/{item.pk}/sign-off/").content.decode()
    assert 'data-testid="sign-off-incomplete"' in html
    assert html.count("尚未审核") == 2


def test_the_sheet_shows_the_current_round_only(client, org):
    item = submitted_item(org)
    head = org["head_office"]
    review.reject_task(user=head, task_id=task_for(head, item).pk, comment="请补充附件")
    review.submit_publication(user=org["drafter_office"], publication_id=item.pk)
    approve_through(org, item, "head_office")
    client.force_login(org["drafter_office"])
    html = client.get(f"/app/items/{item.pk}/sign-off/").content.decode()
    assert "第 2 轮" in html and "请补充附件" not in html
    assert html.count("<strong>通过</strong>") == 1


def test_the_pdf_is_an_a4_document_with_the_sheet(client, org, approved):
    client.force_login(org["auditor"])
    response = client.get(f"/app/items/{approved.pk}/sign-off.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    text = reader.pages[0].extract_text()
    assert "审签单" in text and "同意发布" in text
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert round(width) == 595 and round(height) == 842  # A4 in points


def test_other_agencies_and_anonymous_readers_get_nothing(client, org, other_org, approved):
    assert client.get(f"/app/items/{approved.pk}/sign-off/").status_code == 302
    client.force_login(other_org["auditor"])
    assert client.get(f"/app/items/{approved.pk}/sign-off/").status_code == 404
    assert client.get(f"/app/items/{approved.pk}/sign-off.pdf").status_code == 404


def test_a_draft_offers_no_sheet(client, org):
    from testsupport.factories import create_item

    item = create_item(org)
    client.force_login(org["drafter_office"])
    assert "sign-off" not in client.get(f"/app/items/{item.pk}/").content.decode()
