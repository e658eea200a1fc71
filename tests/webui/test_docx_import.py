"""导入 Word: a .docx becomes the body of a new item's form or of a draft, its images the
draft's attachments; bad files are refused with a message and write nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditAction, AuditEvent
from audit.selectors import subject_trail
from publications.models import Attachment, Publication
from scanning import services as scanning
from testsupport.docx_files import LEGACY_DOC, TITLE, word_document, zip_bomb
from testsupport.factories import create_item

pytestmark = pytest.mark.django_db

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
RESIDENT_ID = "41082119800101231X"


def docx(data=None, name="住房保障资金公示.docx"):
    return SimpleUploadedFile(name, word_document() if data is None else data, DOCX)


def item_form(**overrides):
    data = {"title": "关于住房保障资金的公示", "section": "office",
            "category": "work_updates", "article20_item": "12", "formed_on": "2024-03-01",
            "channels": ["website"]}
    data.update(overrides)
    return data


def test_import_on_the_new_page_fills_title_and_body_and_saves_nothing(client, org):
    client.force_login(org["drafter_office"])
    events = AuditEvent.objects.count()
    response = client.post("/app/items/new/import/", {"docx": docx()})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'value="{TITLE}"' in html  # the first heading is the title
    form = response.context["form"]
    body = form.initial["body"]
    assert body.startswith("<h2>一、分配原则</h2>")  # the title heading is not repeated
    assert '<td colspan="3"><p>资金分配表</p></td>' in body
    assert '<p style="text-align:center">温县住房和城乡建设局</p>' in body
    assert '<p style="text-indent:2em">现将' in body
    assert "〔图片1.png，见附件〕" in body and "<img" not in body
    assert "保存草稿后，在修改页面再次导入该文档" in html
    assert Publication.objects.count() == 0 and AuditEvent.objects.count() == events
    # the form posts to the new item's page, not back to the import
    assert 'action="/app/items/new/"' in html


def test_without_a_heading_the_file_name_is_the_title(client, org):
    import io

    from docx import Document

    document = Document()
    document.add_paragraph("只有正文的文件。")
    out = io.BytesIO()
    document.save(out)
    client.force_login(org["drafter_office"])
    response = client.post("/app/items/new/import/",
                           {"docx": docx(out.getvalue(), name="2024年工作要点.docx")})
    assert response.context["form"].initial["title"] == "2024年工作要点"


def test_import_into_a_draft_replaces_the_body_adds_images_and_is_audited(client, org):
    publication = create_item(org, body="")
    client.force_login(org["drafter_office"])
    response = client.post(f"/app/items/{publication.pk}/import/", {"docx": docx()})
    assert response.status_code == 302
    assert response["Location"] == f"/app/items/{publication.pk}/edit/"
    publication.refresh_from_db()
    assert '<td colspan="3"><p>资金分配表</p></td>' in publication.body
    assert [a.name for a in publication.attachments.all()] == ["图片1.png"]
    event = subject_trail(subject=publication).get(action=AuditAction.DOCX_IMPORTED)
    assert event.data["file"] == "住房保障资金公示.docx" and event.data["images"] == ["图片1.png"]
    assert len(event.data["sha256"]) == 64
    page = client.get(f"/app/items/{publication.pk}/edit/").content.decode()
    assert "1 张图片已添加为附件" in page and "图片1.png" in page


def test_a_body_is_replaced_only_when_the_drafter_confirms(client, org):
    publication = create_item(org)
    before = publication.body
    client.force_login(org["drafter_office"])
    page = client.get(f"/app/items/{publication.pk}/edit/").content.decode()
    assert "我已确认用导入的内容替换现有正文" in page
    response = client.post(f"/app/items/{publication.pk}/import/", {"docx": docx()})
    assert response.status_code == 422
    assert "勾选确认后，导入的内容将替换现有正文" in response.content.decode()
    publication.refresh_from_db()
    assert publication.body == before and not publication.attachments.exists()
    response = client.post(f"/app/items/{publication.pk}/import/",
                           {"docx": docx(), "replace": "on"})
    assert response.status_code == 302
    publication.refresh_from_db()
    assert "资金分配表" in publication.body


def test_importing_the_same_file_again_changes_nothing(client, org):
    publication = create_item(org, body="")
    client.force_login(org["drafter_office"])
    client.post(f"/app/items/{publication.pk}/import/", {"docx": docx()})
    events = AuditEvent.objects.count()
    response = client.post(f"/app/items/{publication.pk}/import/",
                           {"docx": docx(), "replace": "on"}, follow=True)
    assert "导入的内容与当前正文相同" in response.content.decode()
    assert Attachment.objects.count() == 1 and AuditEvent.objects.count() == events


@pytest.mark.parametrize(("name", "data", "message"), [
    ("旧文件.doc", LEGACY_DOC, "请先在 Word 或 WPS 中“另存为” .docx 格式"),
    ("改名的旧文件.docx", LEGACY_DOC, "不是有效的 .docx 文件"),
    ("不是压缩包.docx", b"just some text, not a zip", "不是有效的 .docx 文件"),
    ("炸弹.docx", None, "文件解压后过大或结构过于复杂"),
    ("表格.xlsx", b"PK\x03\x04", "只能导入 Word 文档"),
    ("空.docx", b"", "文件是空的"),
])
def test_bad_files_are_refused_with_a_message_and_nothing_is_written(
        client, org, name, data, message):
    if data is None:
        data = zip_bomb()
    publication = create_item(org, body="")
    client.force_login(org["drafter_office"])
    events = AuditEvent.objects.count()
    for url in ("/app/items/new/import/", f"/app/items/{publication.pk}/import/"):
        response = client.post(url, {"docx": docx(data, name=name)})
        assert response.status_code == 422, url
        assert message in response.content.decode(), url
    publication.refresh_from_db()
    assert publication.body == "" and not publication.attachments.exists()
    assert AuditEvent.objects.count() == events


def test_a_file_over_the_size_limit_is_refused(client, org, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    client.force_login(org["drafter_office"])
    response = client.post("/app/items/new/import/", {"docx": docx()})
    assert response.status_code == 422 and "文件过大" in response.content.decode()


def test_no_file_is_a_422_and_get_is_405(client, org):
    publication = create_item(org)
    client.force_login(org["drafter_office"])
    assert client.post("/app/items/new/import/").status_code == 422
    assert client.get("/app/items/new/import/").status_code == 405
    assert client.get(f"/app/items/{publication.pk}/import/").status_code == 405


def test_only_the_drafter_imports_into_their_open_draft(client, org, other_org):
    publication = create_item(org, body="")
    client.force_login(org["head_office"])
    assert client.post(f"/app/items/{publication.pk}/import/",
                       {"docx": docx()}).status_code == 403
    assert client.post("/app/items/new/import/", {"docx": docx()}).status_code == 403
    client.force_login(other_org["drafter_office"])
    assert client.post(f"/app/items/{publication.pk}/import/",
                       {"docx": docx()}).status_code == 404
    client.force_login(org["drafter_office"])
    client.post(f"/app/items/{publication.pk}/submit/")
    response = client.post(f"/app/items/{publication.pk}/import/", {"docx": docx()})
    assert response.status_code == 302
    assert response["Location"] == f"/app/items/{publication.pk}/"
    publication.refresh_from_db()
    assert publication.body == ""


def test_drafter_imports_a_docx_with_a_table_pre_scans_masks_and_submits(client, org):
    drafter = org["drafter_office"]
    client.force_login(drafter)
    data = word_document(rows=[("张三", RESIDENT_ID, "3万元")])
    filled = client.post("/app/items/new/import/", {"docx": docx(data)}).context["form"]
    response = client.post("/app/items/new/", item_form(
        title=filled.initial["title"], body=filled.initial["body"]))
    assert response.status_code == 302
    publication = Publication.objects.get()
    assert RESIDENT_ID in publication.body and "<table>" in publication.body

    report = scanning.scan_publication(user=drafter, publication_id=publication.pk)
    assert any(f.field == "body" and f.text == RESIDENT_ID for f in report.findings.all())
    scanning.apply_masks(user=drafter, publication_id=publication.pk)
    publication.refresh_from_db()
    assert RESIDENT_ID not in publication.body
    assert '<td colspan="3"><p>资金分配表</p></td>' in publication.body  # the table survives

    response = client.post(f"/app/items/{publication.pk}/submit/", follow=True)
    assert "已提交审核" in response.content.decode()
    publication.refresh_from_db()
    assert publication.status == "in_review"
