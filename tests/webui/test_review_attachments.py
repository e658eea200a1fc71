"""Reviewers open an item's files: PDF and raster images in the browser, anything else
(SVG and HTML included) only as a download; either way the trail records it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditAction, AuditEvent
from publications.services import add_attachment
from testsupport.factories import create_item, task_for
from workflow import services as review

pytestmark = pytest.mark.postgres

CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def attach(org, publication, name, content, content_type):
    return add_attachment(user=org["drafter_office"], publication_id=publication.pk,
                          uploaded=SimpleUploadedFile(name, content, content_type=content_type))


def file_url(publication, attachment, inline=False):
    url = f"/app/items/{publication.pk}/attachments/{attachment.pk}/"
    return url + "?inline=1" if inline else url


@pytest.mark.parametrize(("name", "content_type"), [
    ("批复.pdf", "application/pdf"), ("现场.png", "image/png"), ("现场.jpg", "image/jpeg"),
])
def test_a_pdf_or_an_image_opens_inline_with_a_sandboxing_policy(client, org, name,
                                                                  content_type):
    publication = create_item(org)
    attachment = attach(org, publication, name, b"\x89data", content_type)
    client.force_login(org["head_office"])
    response = client.get(file_url(publication, attachment, inline=True))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline")
    assert response["Content-Type"] == content_type
    assert response["Content-Security-Policy"] == CSP
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"\x89data"
    # without ?inline=1 it is the download it always was
    download = client.get(file_url(publication, attachment))
    assert download["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(("name", "content_type"), [
    ("图.svg", "image/svg+xml"), ("伪装.png", "image/svg+xml"), ("页.txt", "text/html"),
    ("表.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("无类型.pdf", ""),
])
def test_svg_html_and_other_types_always_download(client, org, settings, name, content_type):
    settings.ATTACHMENT_ALLOWED_EXTENSIONS = [*settings.ATTACHMENT_ALLOWED_EXTENSIONS, "svg"]
    publication = create_item(org)
    attachment = attach(org, publication, name, b"<svg onload=alert(1)>", content_type)
    client.force_login(org["head_office"])
    response = client.get(file_url(publication, attachment, inline=True))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in response


def test_viewing_inline_is_recorded_like_a_download_and_refused_outside_the_agency(
        client, org, other_org):
    publication = create_item(org)
    attachment = attach(org, publication, "批复.pdf", b"%PDF-1.4", "application/pdf")
    client.force_login(other_org["head_office"])
    assert client.get(file_url(publication, attachment, inline=True)).status_code == 404
    client.force_login(org["head_office"])
    client.get(file_url(publication, attachment, inline=True))
    [event] = AuditEvent.objects.filter(action=AuditAction.ATTACHMENT_DOWNLOADED)
    assert event.actor == org["head_office"] and event.data["name"] == "批复.pdf"


def test_the_task_page_offers_view_for_pdf_and_images_and_download_for_all(client, org):
    publication = create_item(org)
    pdf = attach(org, publication, "批复.pdf", b"%PDF-1.4", "application/pdf")
    sheet = attach(org, publication, "表.xlsx", b"PK", "application/vnd.ms-excel")
    review.submit_publication(user=org["drafter_office"], publication_id=publication.pk)
    task = task_for(org["head_office"], publication)
    client.force_login(org["head_office"])
    html = client.get(f"/app/review/tasks/{task.pk}/").content.decode()
    assert f'href="{file_url(publication, pdf)}?inline=1"' in html
    assert f'href="{file_url(publication, pdf)}"' in html
    assert f'href="{file_url(publication, sheet)}?inline=1"' not in html
    assert f'href="{file_url(publication, sheet)}"' in html
    assert "查看" in html and "下载" in html
