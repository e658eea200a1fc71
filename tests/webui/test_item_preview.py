"""预览: the item as the public column will show it, for whoever may see the item."""

import pytest

from publications.models import Attachment, Publication
from testsupport.factories import approve_through, create_item, submitted_item

pytestmark = pytest.mark.django_db

BODY = ('<p style="text-indent:2em">现将有关事项通知如下。</p>'
        '<table><tr><td colspan="2">资金分配表</td></tr></table>')


def preview(client, user, publication):
    client.force_login(user)
    return client.get(f"/app/items/{publication.pk}/preview/")


def test_a_draft_is_shown_as_the_public_page_with_a_banner_and_noindex(client, org):
    publication = create_item(org, body=BODY, title="关于资金分配的公示")
    response = preview(client, org["drafter_office"], publication)
    assert response.status_code == 200
    html = response.content.decode()
    assert "预览 — 尚未发布" in html and "公众现在还看不到" in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    # the column's page: its header, the metadata table, the body as sanitised
    assert f"{org.agency.name}政府信息公开" in html and "公开目录类别" in html
    assert "<h1>关于资金分配的公示</h1>" in html
    assert '<p style="text-indent:2em">现将有关事项通知如下。</p>' in html
    assert '<td colspan="2">资金分配表</td>' in html
    assert "发布时生成" in html
    # nothing internal reaches it, as on the column
    assert org["drafter_office"].username not in html.split("</header>", 1)[1]


def test_attachments_link_to_the_staff_download(client, org):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from publications.services import add_attachment

    publication = create_item(org)
    add_attachment(user=org["drafter_office"], publication_id=publication.pk,
                   uploaded=SimpleUploadedFile("附件.pdf", b"%PDF-1.4", "application/pdf"))
    attachment = Attachment.objects.get()
    html = preview(client, org["drafter_office"], publication).content.decode()
    assert f"/app/items/{publication.pk}/attachments/{attachment.pk}/" in html
    assert "附件.pdf" in html


def test_reviewers_of_the_agency_see_it_and_other_agencies_get_404(client, org, other_org):
    publication = submitted_item(org)
    assert preview(client, org["head_office"], publication).status_code == 200
    assert preview(client, org["auditor"], publication).status_code == 200
    assert preview(client, other_org["leader"], publication).status_code == 404
    assert preview(client, other_org["drafter_office"], publication).status_code == 404
    client.logout()
    response = client.get(f"/app/items/{publication.pk}/preview/")
    assert response.status_code == 302 and "/app/login/" in response["Location"]
    assert client.get("/app/items/999999/preview/").status_code == 302


def test_a_missing_item_is_404_and_post_is_405(client, org):
    publication = create_item(org)
    client.force_login(org["drafter_office"])
    assert client.get("/app/items/999999/preview/").status_code == 404
    assert client.post(f"/app/items/{publication.pk}/preview/").status_code == 405


def test_an_approved_item_says_so_and_the_item_page_links_the_preview(client, org):
    publication = approve_through(org, submitted_item(org), "head_office", "secrecy", "leader")
    assert publication.status == "approved"
    html = preview(client, org["drafter_office"], publication).content.decode()
    assert "预览 — 已通过" in html and "尚未发布" not in html
    detail = client.get(f"/app/items/{publication.pk}/").content.decode()
    assert f'href="/app/items/{publication.pk}/preview/"' in detail


def test_the_preview_is_in_chinese_for_staff_reading_english(client, org):
    publication = create_item(org)
    client.force_login(org["drafter_office"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/app/items/"})
    html = client.get(f"/app/items/{publication.pk}/preview/").content.decode()
    assert "预览 — 尚未发布" in html and Publication.objects.count() == 1
