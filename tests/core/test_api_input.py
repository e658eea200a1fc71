"""Bad input through the REST API: a clear 400 naming the field, and nothing written."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from audit.models import AuditEvent
from publications.models import Attachment, Publication
from testsupport.factories import (
    PASSWORD,
    api,
    approve_through,
    create_item,
    item_data,
    submitted_item,
    task_for,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/publications/"


def written() -> tuple[int, int, int]:
    return (Publication.objects.count(), AuditEvent.objects.count(),
            Attachment.objects.count())


def assert_field_error(response, field):
    """400, and the body names the field with at least one non-empty message."""
    assert response.status_code == 400, (response.status_code, response.content)
    body = response.json()
    assert field in body, body
    messages = body[field]
    assert isinstance(messages, list) and messages and all(
        isinstance(m, str) and m.strip() for m in messages), body


def assert_message(response):
    """400 with a human-readable message even where no single field is to blame."""
    assert response.status_code == 400, (response.status_code, response.content)
    body = response.json()
    text = json.dumps(body, ensure_ascii=False)
    assert body and len(text) > 10, body


def without(key, **overrides):
    data = item_data(**overrides)
    del data[key]
    return data


BAD_FIELDS = [
    pytest.param(without("title"), "title", id="missing-title"),
    pytest.param(item_data(title=""), "title", id="blank-title"),
    pytest.param(item_data(title="   \n "), "title", id="whitespace-title"),
    pytest.param(item_data(title=None), "title", id="null-title"),
    pytest.param(item_data(title="长" * 301), "title", id="title-too-long"),
    pytest.param(item_data(title="通知\x00"), "title", id="nul-in-title"),
    pytest.param(without("section"), "section", id="missing-section"),
    pytest.param(item_data(section="no_such_section"), "section", id="unknown-section"),
    pytest.param(without("category"), "category", id="missing-category"),
    pytest.param(item_data(category="no_such_category"), "category", id="unknown-category"),
    pytest.param(item_data(channels=["website", "no_such_channel"]), "channels",
                 id="unknown-channel"),
    pytest.param(item_data(channels=[]), "channels", id="empty-channels"),
    pytest.param(without("channels"), "channels", id="missing-channels"),
    pytest.param(item_data(channels="website"), "channels", id="channels-not-a-list"),
    pytest.param(without("formed_on"), "formed_on", id="missing-formed-on"),
    pytest.param(item_data(formed_on="2024-13-45"), "formed_on", id="formed-on-2024-13-45"),
    pytest.param(item_data(formed_on="yesterday"), "formed_on", id="formed-on-yesterday"),
    pytest.param(item_data(effective_on="2024-02-30"), "effective_on", id="effective-on-feb-30"),
    pytest.param(item_data(effective_on=None, abolished_on="yesterday"), "abolished_on",
                 id="abolished-on-yesterday"),
    pytest.param(item_data(effective_on="2024-05-01", abolished_on="2024-04-01"), "abolished_on",
                 id="abolished-before-effective"),
    pytest.param(item_data(article20_item=0), "article20_item", id="article20-item-0"),
    pytest.param(item_data(article20_item=16), "article20_item", id="article20-item-16"),
    pytest.param(item_data(article20_item="first"), "article20_item", id="article20-item-text"),
    pytest.param(item_data(document_type="decree"), "document_type", id="unknown-document-type"),
    pytest.param(item_data(document_type="rule"), "document_number",
                 id="rule-without-document-number"),
    pytest.param(item_data(decision_type="parking"), "decision_type", id="unknown-decision-type"),
    pytest.param(item_data(decision_count=0), "decision_count", id="decision-count-0"),
    pytest.param(item_data(fee_amount_yuan="-1.00"), "fee_amount_yuan", id="negative-fee"),
    pytest.param(item_data(fee_amount_yuan="lots"), "fee_amount_yuan", id="fee-not-a-number"),
    pytest.param(item_data(body=None), "body", id="null-body"),
]


@pytest.mark.parametrize(("payload", "field"), BAD_FIELDS)
def test_create_with_bad_field_is_refused_naming_the_field_and_writes_nothing(org, payload,
                                                                             field):
    before = written()
    response = api(org["drafter_office"]).post(URL, payload, format="json")
    assert_field_error(response, field)
    assert written() == before


@pytest.mark.postgres
def test_create_with_decision_count_beyond_integer_range_is_a_400(org):
    before = written()
    client = api(org["drafter_office"])
    client.raise_request_exception = False
    response = client.post(URL, item_data(decision_count=2**31), format="json")
    assert_field_error(response, "decision_count")
    assert written() == before


def test_create_reports_every_bad_field_at_once(org):
    response = api(org["drafter_office"]).post(
        URL, item_data(title="", section="nope", category="nope", channels=["nope"]),
        format="json")
    for field in ("title", "section", "category", "channels"):
        assert_field_error(response, field)
    assert Publication.objects.count() == 0


@pytest.mark.parametrize("body", [
    "<p>通知如下。</p><script>alert(1)</script>",
    '<p>通知如下。</p><img src=x onerror=alert(1)>',
    '<p>通知如下。</p><SCRIPT SRC=//evil.example/x.js></SCRIPT><a href="#" onclick="x()">链接</a>',
    '<p onmouseover="alert(1)">通知如下。</p><iframe src="javascript:alert(1)"></iframe>',
])
def test_create_stores_body_sanitised_and_keeps_ordinary_markup(org, body):
    response = api(org["drafter_office"]).post(URL, item_data(body=body), format="json")
    assert response.status_code == 201, response.json()
    stored = Publication.objects.get(pk=response.json()["id"]).body
    for shown in (stored, response.json()["body"]):
        lowered = shown.lower()
        assert "<script" not in lowered
        assert "onerror" not in lowered and "onclick" not in lowered
        assert "onmouseover" not in lowered and "javascript:" not in lowered
        assert "<iframe" not in lowered
        assert "<p>通知如下。</p>" in shown


def test_edit_stores_body_sanitised(org):
    publication = create_item(org)
    response = api(org["drafter_office"]).patch(
        f"{URL}{publication.pk}/",
        {"body": '<p>补充：</p><script>alert(1)</script><img src=x onerror=alert(1)>'},
        format="json")
    assert response.status_code == 200, response.json()
    publication.refresh_from_db()
    assert "<script" not in publication.body and "onerror" not in publication.body
    assert publication.body.startswith("<p>补充：</p>")


def test_body_over_the_limit_is_refused_and_at_the_limit_accepted(org, settings):
    settings.PUBLICATION_BODY_MAX_CHARS = 50
    client = api(org["drafter_office"])
    before = written()
    response = client.post(URL, item_data(body="长" * 51), format="json")
    assert_field_error(response, "body")
    assert "50" in response.json()["body"][0]
    assert written() == before
    assert client.post(URL, item_data(body="长" * 50), format="json").status_code == 201


@pytest.mark.parametrize(("content_type", "raw"), [
    ("text/plain", "title=关于开展检查的通知"),
    ("application/xml", "<publication><title>通知</title></publication>"),
    ("application/x-www-form-urlencoded", "title=notice&section=office"),
], ids=["text-plain", "xml", "form-urlencoded"])
def test_create_with_unsupported_content_type_is_a_400_with_a_message(org, content_type, raw):
    before = written()
    response = api(org["drafter_office"]).post(URL, raw, content_type=content_type)
    assert_message(response)
    assert "JSON" in response.json()["detail"]
    assert written() == before


@pytest.mark.parametrize("raw", [
    "{not json",
    '{"title": "通知",}',
    "",
], ids=["garbage", "trailing-comma", "empty"])
def test_create_with_malformed_json_is_a_400_with_a_message(org, raw):
    before = written()
    response = api(org["drafter_office"]).post(URL, raw, content_type="application/json")
    assert_message(response)
    assert written() == before


@pytest.mark.parametrize("document", [
    [item_data(formed_on="2024-03-01")],
    [],
    "关于开展检查的通知",
    42,
    None,
], ids=["array-of-object", "empty-array", "string", "number", "null"])
def test_create_with_json_that_is_not_an_object_is_a_400(org, document):
    before = written()
    response = api(org["drafter_office"]).post(URL, json.dumps(document),
                                               content_type="application/json")
    assert_message(response)
    assert written() == before


# --- editing (PATCH) -----------------------------------------------------------------


def snapshot(publication):
    publication.refresh_from_db()
    return (publication.title, publication.body, publication.section_id,
            publication.category_id, publication.article20_item, publication.formed_on,
            publication.effective_on, publication.fingerprint, publication.updated_at,
            sorted(publication.channels.values_list("code", flat=True)))


BAD_EDITS = [
    pytest.param({"title": ""}, "title", id="blank-title"),
    pytest.param({"title": "  "}, "title", id="whitespace-title"),
    pytest.param({"title": None}, "title", id="null-title"),
    pytest.param({"section": "no_such_section"}, "section", id="unknown-section"),
    pytest.param({"category": "no_such_category"}, "category", id="unknown-category"),
    pytest.param({"channels": ["website", "no_such_channel"]}, "channels", id="unknown-channel"),
    pytest.param({"channels": []}, "channels", id="empty-channels"),
    pytest.param({"formed_on": "2024-13-45"}, "formed_on", id="formed-on-2024-13-45"),
    pytest.param({"formed_on": "yesterday"}, "formed_on", id="formed-on-yesterday"),
    pytest.param({"article20_item": 0}, "article20_item", id="article20-item-0"),
    pytest.param({"article20_item": 16}, "article20_item", id="article20-item-16"),
    pytest.param({"document_type": "rule"}, "document_number", id="rule-without-number"),
    pytest.param({"effective_on": "2024-05-01", "abolished_on": "2024-04-01"}, "abolished_on",
                 id="abolished-before-effective"),
    # a good field next to a bad one: the good one must not be saved either
    pytest.param({"title": "新标题", "category": "no_such_category"}, "category",
                 id="good-title-with-bad-category"),
]


@pytest.mark.parametrize(("payload", "field"), BAD_EDITS)
def test_edit_with_bad_field_is_refused_naming_the_field_and_changes_nothing(org, payload,
                                                                           field):
    publication = create_item(org)
    before, state = written(), snapshot(publication)
    response = api(org["drafter_office"]).patch(f"{URL}{publication.pk}/", payload,
                                                format="json")
    assert_field_error(response, field)
    assert written() == before
    assert snapshot(publication) == state


def test_edit_with_body_over_the_limit_is_refused_and_changes_nothing(org, settings):
    publication = create_item(org)
    settings.PUBLICATION_BODY_MAX_CHARS = 20
    before, state = written(), snapshot(publication)
    response = api(org["drafter_office"]).patch(f"{URL}{publication.pk}/", {"body": "x" * 21},
                                                format="json")
    assert_field_error(response, "body")
    assert written() == before and snapshot(publication) == state


@pytest.mark.parametrize(("content_type", "raw"), [
    ("text/plain", "title=新标题"),
    ("application/xml", "<publication><title>新标题</title></publication>"),
    ("application/json", "{not json"),
    ("application/json", json.dumps([{"title": "新标题"}])),
    ("application/json", json.dumps("新标题")),
], ids=["text-plain", "xml", "malformed-json", "json-array", "json-string"])
def test_edit_with_unreadable_request_is_a_400_and_changes_nothing(org, content_type, raw):
    publication = create_item(org)
    before, state = written(), snapshot(publication)
    response = api(org["drafter_office"]).patch(f"{URL}{publication.pk}/", raw,
                                                content_type=content_type)
    assert_message(response)
    assert written() == before and snapshot(publication) == state


def test_edit_cannot_set_status_round_or_fingerprint(org):
    publication = create_item(org)
    before, state = written(), snapshot(publication)
    response = api(org["drafter_office"]).patch(
        f"{URL}{publication.pk}/",
        {"status": "approved", "round": 7, "fingerprint": "0" * 64, "drafter": "leader"},
        format="json")
    assert response.status_code in (200, 400)
    publication.refresh_from_db()
    assert publication.status == "draft" and publication.round == 1
    assert publication.drafter == org["drafter_office"]
    assert written() == before and snapshot(publication) == state


# --- attachments ---------------------------------------------------------------------


def upload(user, publication, name, content=b"%PDF-1.4\n%demo\n", content_type=None):
    file = SimpleUploadedFile(name, content, content_type=content_type or "application/pdf")
    return api(user).post(f"{URL}{publication.pk}/attachments/", {"file": file},
                          format="multipart")


@pytest.mark.parametrize("name", ["setup.exe", "report.pdf.exe", "script.sh", "noextension"])
def test_attachment_with_disallowed_type_is_refused_and_nothing_changes(org, name):
    publication = create_item(org)
    before, state = written(), snapshot(publication)
    response = upload(org["drafter_office"], publication, name, b"MZ\x90\x00binary",
                      "application/octet-stream")
    assert_field_error(response, "file")
    assert "pdf" in response.json()["file"][0]
    assert written() == before and snapshot(publication) == state


def test_attachment_over_the_size_limit_is_refused_and_at_the_limit_accepted(org, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    publication = create_item(org)
    before, state = written(), snapshot(publication)
    response = upload(org["drafter_office"], publication, "big.pdf", b"%" * 1025)
    assert_field_error(response, "file")
    assert written() == before and snapshot(publication) == state
    assert upload(org["drafter_office"], publication, "fits.pdf", b"%" * 1024).status_code == 201


def test_attachment_request_without_a_file_is_a_400(org):
    publication = create_item(org)
    before = written()
    response = api(org["drafter_office"]).post(f"{URL}{publication.pk}/attachments/",
                                               {"other": "x"}, format="multipart")
    assert_field_error(response, "file")
    json_response = api(org["drafter_office"]).post(f"{URL}{publication.pk}/attachments/",
                                                    {"file": "x"}, format="json")
    assert_message(json_response)
    assert written() == before


def test_good_pdf_is_attached_changes_the_fingerprint_and_is_audited(org):
    publication = create_item(org)
    old_fingerprint = publication.fingerprint
    events = AuditEvent.objects.count()
    content = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"
    response = upload(org["drafter_office"], publication, "检查方案.pdf", content)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "检查方案.pdf" and body["size"] == len(content)
    assert len(body["sha256"]) == 64
    publication.refresh_from_db()
    assert publication.fingerprint != old_fingerprint
    item = api(org["drafter_office"]).get(f"{URL}{publication.pk}/").json()
    assert item["fingerprint"] == publication.fingerprint
    assert [a["name"] for a in item["attachments"]] == ["检查方案.pdf"]
    assert AuditEvent.objects.count() == events + 1
    assert AuditEvent.objects.order_by("-pk").first().fingerprint == publication.fingerprint


def test_attachment_to_a_returned_item_is_accepted(org):
    publication = submitted_item(org)
    from workflow import services as review

    review.reject_task(user=org["head_office"], task_id=task_for(org["head_office"],
                                                                  publication).pk,
                       comment="请附上检查方案")
    publication.refresh_from_db()
    assert publication.status == "returned"
    assert upload(org["drafter_office"], publication, "方案.pdf").status_code == 201


def _in_review(org):
    return submitted_item(org)


def _withdrawn(org):
    from workflow import services as review

    publication = create_item(org)
    review.withdraw_publication(user=org["drafter_office"], publication_id=publication.pk)
    return publication


def _approved(org):
    return approve_through(org, submitted_item(org), "head_office", "secrecy", "leader")


@pytest.mark.parametrize("make", [_in_review, _withdrawn, _approved],
                         ids=["in_review", "withdrawn", "approved"])
def test_attachment_to_an_item_not_in_draft_or_returned_is_a_conflict(org, make):
    publication = make(org)
    before, state = written(), snapshot(publication)
    response = upload(org["drafter_office"], publication, "late.pdf")
    assert response.status_code == 409, response.json()
    assert response.json()["detail"]
    assert written() == before and snapshot(publication) == state


# --- token authentication ------------------------------------------------------------


def test_token_is_issued_for_good_credentials_and_authenticates_requests(org):
    client = APIClient()
    assert client.get(URL).status_code in (401, 403)
    response = client.post("/api/v1/auth/token/",
                           {"username": "drafter_office", "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.json()
    token = response.json()["token"]
    assert token

    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(URL).status_code == 200
    created = client.post(URL, item_data(), format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["drafter"] == "drafter_office"

    client.credentials(HTTP_AUTHORIZATION="Token not-the-token")
    assert client.get(URL).status_code in (401, 403)


@pytest.mark.parametrize("credentials", [
    {"username": "drafter_office", "password": "wrong-password"},
    {"username": "nobody", "password": PASSWORD},
    {"username": "drafter_office"},
    {},
], ids=["wrong-password", "unknown-user", "missing-password", "empty"])
def test_token_is_refused_for_bad_credentials(org, credentials):
    response = APIClient().post("/api/v1/auth/token/", credentials, format="json")
    assert_message(response)
    assert "token" not in response.json()


# --- requests that used to end in a 500 (issue 10, defect 9) ------------------------------

def assert_json_error(response, status):
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body.get("detail"), str) and body["detail"].strip(), body


@pytest.mark.parametrize(("method", "path"), [
    ("post", "/api/v1/tasks/abc/approve/"),
    ("post", "/api/v1/tasks/abc/claim/"),
    ("get", "/api/v1/tasks/abc/"),
    ("post", "/api/v1/publications/abc/submit/"),
    ("post", "/api/v1/publications/abc/withdraw/"),
    ("get", "/api/v1/publications/abc/"),
    ("patch", "/api/v1/publications/abc/"),
    ("get", "/api/v1/publications/abc/trail/"),
    ("delete", "/api/v1/publications/abc/attachments/1/"),
    ("delete", "/api/v1/publications/1/attachments/abc/"),
    ("post", "/api/v1/publications/abc/scan/"),
    ("post", "/api/v1/retraction-requests/abc/approve/"),
    ("post", "/api/v1/retraction-requests/abc/decline/"),
    ("post", "/api/v1/releases/abc/confirm/"),
    ("get", "/api/v1/releases/abc/"),
    ("get", "/api/v1/no-such-thing/"),
])
def test_a_non_numeric_id_or_unknown_api_path_is_a_json_404(org, method, path):
    response = getattr(api(org["drafter_office"]), method)(path, {}, format="json")
    assert_json_error(response, 404)


@pytest.mark.parametrize("path", ["/api/v1/tasks/", URL, "/api/v1/releases/"])
@pytest.mark.parametrize("page", ["0", "-3", "x", "2", "9" * 20, "9" * 400])
def test_a_page_number_past_the_end_or_beyond_any_integer_is_a_json_404(org, path, page):
    """The task queue pages by offset in SQL: a number past PostgreSQL's bigint must be
    the same 404 as page 2 of a short list, not an error from the database."""
    response = api(org["head_office"]).get(path, {"page": page})
    assert_json_error(response, 404)


@pytest.mark.parametrize("query", ["section=%00", "status=%00", "section=a%00b"])
def test_a_nul_byte_in_a_query_parameter_is_a_json_400(org, query):
    response = api(org["drafter_office"]).get(f"{URL}?{query}")
    assert_json_error(response, 400)


def test_a_nul_byte_in_a_web_page_filter_is_refused_by_the_form_not_a_500(org, client):
    client.force_login(org["auditor"])
    assert client.get("/app/audit/?action=%00").status_code == 400
    client.force_login(org["head_office"])
    assert client.get("/app/review/?section=%00").status_code < 500


def test_json_nested_1000_deep_is_a_json_400_and_writes_nothing(org):
    before = written()
    raw = "[" * 1000 + "]" * 1000
    response = api(org["drafter_office"]).post(URL, raw, content_type="application/json")
    assert_json_error(response, 400)
    assert written() == before


def test_a_body_over_the_upload_limit_is_a_json_400(org, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    raw = json.dumps({**item_data(), "body": "<p>" + "长" * 2000 + "</p>"}, default=str)
    response = api(org["drafter_office"]).post(URL, raw, content_type="application/json")
    assert_json_error(response, 400)
