"""Files: the information a reply provides, and a case's documents — added by the people
working on them, downloaded by those who see the applicant's data, each step audited."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applications import services
from audit.models import AuditEvent
from testsupport.factories import api

from .conftest import D, on, register

pytestmark = pytest.mark.django_db
URL = "/api/v1/applications/"


def upload(user, path, name="名单.pdf", content=b"%PDF-1.4 test"):
    return api(user).post(path, {"file": SimpleUploadedFile(name, content)},
                          format="multipart")


def drafted(org):
    a = register(org, received_on=D(2024, 3, 4))
    with on(D(2024, 3, 5)):
        services.draft_reply(user=org["handler_office"], application_id=a.pk,
                             outcome="disclosed", basis="第三十六条", text="予以公开。")
    return a


def test_a_pending_reply_takes_files_that_handlers_and_leaders_download(handlers):
    org = handlers
    a = drafted(org)
    response = upload(org["handler_office"], f"{URL}{a.pk}/reply/attachments/")
    assert response.status_code == 201, response.json()
    file_id = response.json()["id"]
    detail = api(org["handler_office"]).get(f"{URL}{a.pk}/").json()
    assert detail["replies"][0]["attachments"] == [
        {"id": file_id, "name": "名单.pdf", "size": 13}]
    got = api(org["leader"]).get(f"{URL}{a.pk}/reply/attachments/{file_id}/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"%PDF-1.4 test"
    assert AuditEvent.objects.filter(action="attachment_downloaded", subject_id=a.pk,
                                     actor=org["leader"]).exists()
    # auditors see the case masked: not its files
    assert api(org["auditor"]).get(
        f"{URL}{a.pk}/reply/attachments/{file_id}/").status_code == 403
    assert api(org["handler_office"]).delete(
        f"{URL}{a.pk}/reply/attachments/{file_id}/").status_code == 204
    assert AuditEvent.objects.filter(action="reply_attachment_removed").count() == 1


def test_files_only_while_the_reply_awaits_approval_and_of_allowed_types(handlers):
    org = handlers
    a = register(org, received_on=D(2024, 3, 4))
    assert upload(org["handler_office"], f"{URL}{a.pk}/reply/attachments/").status_code == 409
    a = drafted(org)
    assert upload(org["handler_office"], f"{URL}{a.pk}/reply/attachments/",
                  name="x.exe").status_code == 400
    assert api(org["handler_office"]).post(f"{URL}{a.pk}/reply/attachments/", {},
                                           format="multipart").status_code == 400
    with on(D(2024, 3, 6)):
        services.approve_reply(user=org["leader"], application_id=a.pk)
    assert upload(org["handler_office"], f"{URL}{a.pk}/reply/attachments/").status_code == 409


def test_case_documents(handlers, other_org):
    org = handlers
    with on(dt.date(2024, 6, 3)):
        case = services.file_case(user=org["handler_office"], data={
            "kind": "reconsideration", "filed_on": D(2024, 6, 1), "body": "温县人民政府"})
    path = f"/api/v1/cases/{case.pk}/documents/"
    response = upload(org["handler_office"], path, name="复议决定书.pdf")
    assert response.status_code == 201
    assert upload(org["leader"], path).status_code == 403  # leaders read cases
    assert upload(other_org["admin"], path).status_code == 404
    listed = api(org["auditor"]).get(f"/api/v1/cases/{case.pk}/").json()
    assert [d["name"] for d in listed["documents"]] == ["复议决定书.pdf"]
    got = api(org["auditor"]).get(f"{path}{response.json()['id']}/")
    assert got.status_code == 200
    assert AuditEvent.objects.filter(action="case_document_added", subject_id=case.pk).exists()
