"""Who downloaded an item's file and who exported the trail are in the agency's chain."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditAction, AuditEvent
from publications.services import add_attachment
from testsupport.factories import create_item

pytestmark = pytest.mark.django_db


def events(org, action):
    return list(AuditEvent.objects.filter(agency=org.agency, action=action).order_by("seq"))


def test_an_attachment_download_is_recorded_with_who_and_which_file(client, org):
    publication = create_item(org)
    attachment = add_attachment(user=org["drafter_office"], publication_id=publication.pk,
                                uploaded=SimpleUploadedFile("批复.pdf", b"%PDF-1.4 test",
                                                            content_type="application/pdf"))
    client.force_login(org["auditor"])
    response = client.get(f"/app/items/{publication.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
    [event] = events(org, AuditAction.ATTACHMENT_DOWNLOADED)
    assert event.actor == org["auditor"]
    assert (event.subject_type, event.subject_id) == ("publications.publication",
                                                      publication.pk)
    assert event.data == {"attachment": attachment.pk, "name": "批复.pdf",
                          "sha256": attachment.sha256}
    # the item's timeline shows it, in words
    page = client.get(f"/app/audit/items/{publication.pk}/").content.decode()
    assert "下载附件" in page and "批复.pdf" in page


def test_a_download_refused_is_not_recorded(client, org, other_org):
    publication = create_item(org)
    client.force_login(other_org["auditor"])
    assert client.get(f"/app/items/{publication.pk}/attachments/1/").status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.ATTACHMENT_DOWNLOADED).exists()


def test_a_trail_export_is_recorded_with_its_filters(client, org):
    create_item(org)
    client.force_login(org["auditor"])
    response = client.get("/app/audit/export.csv", {"action": "create"})
    assert response.status_code == 200
    b"".join(response.streaming_content)
    [event] = events(org, AuditAction.TRAIL_EXPORTED)
    assert event.actor == org["auditor"]
    assert event.data == {"filters": {"action": "create"}}
    # the next export lists the first one with its filters in words (and itself: it is
    # recorded before its rows are read)
    again = client.get("/app/audit/export.csv", {"action": "trail_exported"})
    rows = list(csv.reader(io.StringIO(b"".join(again.streaming_content).decode("utf-8-sig"))))
    itself, first = rows[1:]
    assert first[7] == "导出审计日志" and first[11] == "筛选条件：action=create"
    assert itself[11] == "筛选条件：action=trail_exported"
