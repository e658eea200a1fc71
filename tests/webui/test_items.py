"""The drafter's pages of the web UI, through Django's test client."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditAction
from audit.selectors import subject_trail
from publications.models import Publication
from testsupport.factories import create_item, submitted_item, task_for
from workflow import services as review


def login(client, user):
    client.force_login(user)
    return client


def form_data(**overrides):
    data = {"title": "关于公布2024年第一批建筑业企业资质审批结果的通知",
            "body": "<p>现将审批结果公布如下。</p>", "section": "office",
            "category": "work_updates", "article20_item": "12", "formed_on": "2024-03-01",
            "channels": ["website", "wechat"]}
    data.update(overrides)
    return data


def test_anonymous_people_are_sent_to_the_chinese_login_page(client, org):
    response = client.get("/app/items/")
    assert response.status_code == 302
    assert response["Location"].startswith("/app/login/?next=/app/items/")
    page = client.get("/app/login/")
    assert page.status_code == 200
    assert "用户名" in page.content.decode() and "密码" in page.content.decode()


def test_root_redirects_to_the_web_ui(client, db):
    assert client.get("/")["Location"] == "/app/"


def test_header_shows_name_agency_roles_and_navigation(client, org):
    drafter = org["drafter_office"]
    drafter.display_name = "张三"
    drafter.save()
    html = login(client, drafter).get("/app/items/").content.decode()
    assert "张三" in html and org.agency.name in html and "经办人" in html
    for label in ("我的信息", "新建信息", "公开专栏", "统计", "退出登录"):
        assert label in html
    assert f"/gk/{org.agency.code}/" in html and "/app/statistics/" in html


def test_empty_list_tells_the_drafter_how_to_start(client, org):
    html = login(client, org["drafter_office"]).get("/app/items/").content.decode()
    assert "还没有信息，点击“新建”开始起草" in html


def test_created_item_appears_in_the_list_as_a_draft(client, org):
    login(client, org["drafter_office"])
    assert client.get("/app/items/new/").status_code == 200
    response = client.post("/app/items/new/", form_data())
    publication = Publication.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/app/items/{publication.pk}/"
    assert publication.drafter == org["drafter_office"]
    assert [c.code for c in publication.channels.order_by("code")] == ["website", "wechat"]
    html = client.get("/app/items/").content.decode()
    assert publication.title in html and "草稿" in html


def test_form_errors_are_shown_next_to_the_fields(client, org):
    login(client, org["drafter_office"])
    response = client.post("/app/items/new/", form_data(title="", channels=[],
                                                        formed_on="not-a-date"))
    assert response.status_code == 422
    form = response.context["form"]
    assert set(form.errors) >= {"title", "channels", "formed_on"}
    html = response.content.decode()
    assert 'id="field-title"' in html and "webui-field-error" in html
    assert not Publication.objects.exists()


def test_service_errors_map_to_fields(client, org, settings):
    settings.PUBLICATION_BODY_MAX_CHARS = 10
    login(client, org["drafter_office"])
    response = client.post("/app/items/new/", form_data(body="<p>" + "字" * 20 + "</p>"))
    assert response.status_code == 422
    assert "body" in response.context["form"].errors


def test_submitting_puts_the_item_in_review_at_the_section_head(client, org):
    publication = create_item(org)
    login(client, org["drafter_office"])
    response = client.post(f"/app/items/{publication.pk}/submit/")
    assert response.status_code == 302
    publication.refresh_from_db()
    assert publication.status == "in_review"
    html = client.get("/app/items/").content.decode()
    assert "审核中" in html and "科室审核" in html
    assert "科室审核" in client.get(f"/app/items/{publication.pk}/").content.decode()


def test_withdrawing_an_item_in_review(client, org):
    publication = submitted_item(org)
    login(client, org["drafter_office"])
    client.post(f"/app/items/{publication.pk}/withdraw/", {"confirm": "1"})
    publication.refresh_from_db()
    assert publication.status == "withdrawn"


def test_submitting_twice_shows_the_service_message(client, org):
    publication = submitted_item(org)
    login(client, org["drafter_office"])
    response = client.post(f"/app/items/{publication.pk}/submit/", follow=True)
    assert response.status_code == 200
    assert "不能提交审核" in response.content.decode()


def test_returned_item_shows_the_reviewers_comment(client, org):
    publication = submitted_item(org)
    head = org["head_office"]
    review.reject_task(user=head, task_id=task_for(head, publication).pk,
                       comment="请补充发文依据")
    assert subject_trail(subject=publication).filter(action=AuditAction.REJECT).exists()
    login(client, org["drafter_office"])
    assert "请补充发文依据" in client.get(f"/app/items/{publication.pk}/").content.decode()
    assert "请补充发文依据" in client.get(f"/app/items/{publication.pk}/edit/").content.decode()


def test_editing_a_draft(client, org):
    publication = create_item(org)
    login(client, org["drafter_office"])
    assert client.get(f"/app/items/{publication.pk}/edit/").status_code == 200
    response = client.post(f"/app/items/{publication.pk}/edit/", form_data(title="新标题"))
    assert response.status_code == 302
    publication.refresh_from_db()
    assert publication.title == "新标题"


def test_items_of_other_agencies_are_not_found(client, org, other_org):
    publication = create_item(other_org, "drafter_office")
    login(client, org["drafter_office"])
    for url in (f"/app/items/{publication.pk}/", f"/app/items/{publication.pk}/edit/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/app/items/{publication.pk}/submit/").status_code == 404


def test_only_the_drafter_gets_buttons_and_others_get_403(client, org):
    publication = create_item(org)
    head = org["head_office"]
    login(client, head)
    html = client.get(f"/app/items/{publication.pk}/").content.decode()
    assert publication.title in html
    assert "提交审核" not in html and "撤回" not in html
    assert client.post(f"/app/items/{publication.pk}/submit/").status_code == 403
    assert client.post(f"/app/items/{publication.pk}/withdraw/").status_code == 403
    assert client.get(f"/app/items/{publication.pk}/edit/").status_code == 403
    publication.refresh_from_db()
    assert publication.status == "draft"


def test_a_non_drafter_cannot_open_the_create_form(client, org):
    assert login(client, org["head_office"]).get("/app/items/new/").status_code == 403


def test_submit_and_withdraw_need_post(client, org):
    publication = create_item(org)
    login(client, org["drafter_office"])
    assert client.get(f"/app/items/{publication.pk}/submit/").status_code == 405


def _list_queries(client, user):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/app/items/")
    assert response.status_code == 200
    return len(queries)


def test_item_list_query_count_is_the_same_for_3_and_30_items(client, org):
    drafter = org["drafter_office"]
    login(client, drafter)
    for _ in range(3):
        submitted_item(org)
    three = _list_queries(client, drafter)
    for _ in range(27):
        submitted_item(org)
    assert _list_queries(client, drafter) == three


@pytest.mark.parametrize("page", ["2", "999", "x"])
def test_pagination_never_fails(client, org, page):
    for _ in range(21):
        create_item(org)
    response = login(client, org["drafter_office"]).get(f"/app/items/?page={page}")
    assert response.status_code == 200


def test_the_body_is_edited_in_the_rich_text_editor_and_stored_sanitised(client, org):
    login(client, org["drafter_office"])
    html = client.get("/app/items/new/").content.decode()
    assert "/static/tinymce/tinymce.min.js" in html and "/static/webui/rich_text.js" in html
    assert "trix" not in html and "cdn" not in html.lower()
    client.post("/app/items/new/", form_data(
        body='<p onclick="steal()">正文<strong>加粗</strong><script>alert(1)</script></p>'))
    body = Publication.objects.get().body
    assert "<strong>加粗</strong>" in body
    assert "onclick" not in body and "<script" not in body


# what Word (and WPS) put on the clipboard: Mso classes, mso- styles, a first-line indent
WORD_PASTE = (
    '<p class=MsoNormal style="text-indent:2em;text-align:center;mso-char-indent-count:2.0">'
    '<span lang=EN-US style="font-family:仿宋_GB2312;mso-bidi-font-size:16pt">各科室：</span></p>'
    '<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0 '
    'style="border-collapse:collapse;mso-yfti-tbllook:1184">'
    '<tr style="mso-yfti-irow:0"><td colspan=2 valign=top style="width:414.8pt">'
    '<p class=MsoNormal style="text-align:center">资金分配表</p></td></tr>'
    '<tr><td style="width:207.4pt"><p class=MsoNormal>城关镇</p></td>'
    '<td><p class=MsoNormal style="text-align:right">120万元</p></td></tr></table>'
    '<p class=MsoNormal style="text-indent:21.0pt"><o:p>&nbsp;</o:p></p>')


def test_a_word_paste_keeps_table_merged_cells_alignment_and_first_line_indent(client, org):
    login(client, org["drafter_office"])
    response = client.post("/app/items/new/", form_data(body=WORD_PASTE))
    assert response.status_code == 302
    body = Publication.objects.get().body
    assert '<p style="text-indent:2em;text-align:center">' in body
    assert '<td colspan="2"><p style="text-align:center">资金分配表</p></td>' in body
    assert '<p style="text-align:right">120万元</p>' in body
    assert '<p style="text-indent:21.0pt">' in body
    for word_only in ("MsoNormal", "MsoTableGrid", "mso-", "font-family", "width", "o:p"):
        assert word_only not in body


def _file(name, content=b"%PDF-1.4 test"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_files_chosen_on_the_create_form_become_attachments(client, org):
    login(client, org["drafter_office"])
    data = form_data()
    data["attachments"] = [_file("批复.pdf"), _file("附表.pdf", b"%PDF-1.4 other")]
    response = client.post("/app/items/new/", data)
    publication = Publication.objects.get()
    assert response.status_code == 302
    names = sorted(publication.attachments.values_list("name", flat=True))
    assert names == ["批复.pdf", "附表.pdf"]
    attachment = publication.attachments.get(name="批复.pdf")
    download = client.get(f"/app/items/{publication.pk}/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"
    assert "attachment" in download["Content-Disposition"]


def test_a_file_of_a_forbidden_type_is_refused_next_to_the_field_and_nothing_is_saved(
        client, org):
    login(client, org["drafter_office"])
    data = form_data()
    data["attachments"] = [_file("病毒.exe")]
    response = client.post("/app/items/new/", data)
    assert response.status_code == 422
    assert "病毒.exe" in " ".join(response.context["form"].errors["attachments"])
    assert not Publication.objects.exists()


def _item_with_a_file(client, drafter, name="批复.pdf"):
    """The drafter creates an item with one file chosen on the form."""
    login(client, drafter)
    data = form_data()
    data["attachments"] = [_file(name)]
    client.post("/app/items/new/", data)
    return Publication.objects.get()


def test_the_drafter_removes_an_attachment_from_the_edit_page(client, org):
    publication = _item_with_a_file(client, org["drafter_office"])
    attachment = publication.attachments.get()
    assert "批复.pdf" in client.get(f"/app/items/{publication.pk}/edit/").content.decode()
    before = publication.fingerprint
    response = client.post(f"/app/items/{publication.pk}/attachments/{attachment.pk}/remove/",
                           {"confirm": "1"})
    assert response.status_code == 302
    publication.refresh_from_db()
    assert not publication.attachments.exists() and publication.fingerprint != before


def test_attachments_of_items_one_cannot_see_are_not_found(client, org, other_org):
    publication = _item_with_a_file(client, other_org["drafter_office"])
    attachment = publication.attachments.get()
    login(client, org["drafter_office"])
    url = f"/app/items/{publication.pk}/attachments/{attachment.pk}/"
    assert client.get(url).status_code == 404
    assert client.post(url + "remove/").status_code == 404
    assert publication.attachments.exists()


def test_the_item_page_lists_attachments_and_leads_the_auditor_to_the_timeline(client, org):
    publication = _item_with_a_file(client, org["drafter_office"])
    html = client.get(f"/app/items/{publication.pk}/").content.decode()
    assert "批复.pdf" in html and f"/app/audit/items/{publication.pk}/" not in html
    login(client, org["auditor"])
    html = client.get(f"/app/items/{publication.pk}/").content.decode()
    assert "批复.pdf" in html and f"/app/audit/items/{publication.pk}/" in html


def test_the_drafters_list_shows_the_art26_deadline_of_open_items_only(client, org):
    import datetime as dt

    from django.utils import timezone

    formed = timezone.localdate() - dt.timedelta(days=60)
    late = create_item(org, title="超期的草稿", formed_on=formed)
    html = login(client, org["drafter_office"]).get("/app/items/").content.decode()
    row = html[html.index(late.title):].split("</tr>")[0]
    assert "webui-due--overdue" in row and "已超期" in row
    Publication.objects.filter(pk=late.pk).update(status="withheld")
    html = client.get("/app/items/").content.decode()
    assert "webui-due" not in html.split(late.title)[1].split("</tr>")[0]
