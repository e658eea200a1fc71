"""常用意见: a reviewer's saved comment phrases, kept on a page of their own and offered
beside each decision's comment (inserted by a script, or used by the server when no
comment was typed)."""

import re

import pytest
from django.conf import settings

from audit.models import AuditEvent
from testsupport.factories import submitted_item, task_for
from workflow import services as review
from workflow.models import CommentPhrase
from workflow.phrases import MAX_PHRASES, add_comment_phrase

pytestmark = pytest.mark.postgres

PHRASES = "/app/review/phrases/"


def texts(user) -> list[str]:
    return list(CommentPhrase.objects.filter(person=user).values_list("text", flat=True))


def test_a_reviewer_adds_and_deletes_phrases_without_audit_events(client, org):
    head = org["head_office"]
    client.force_login(head)
    assert "暂无常用意见" in client.get(PHRASES).content.decode()
    events = AuditEvent.objects.count()
    for text in ("内容准确，同意公开。", "  请补充  发文依据。 "):
        response = client.post(PHRASES, {"text": text}, follow=True)
        assert response.redirect_chain[-1][0] == PHRASES
    assert texts(head) == ["内容准确，同意公开。", "请补充 发文依据。"]
    html = client.get(PHRASES).content.decode()
    assert "内容准确，同意公开。" in html and "已保存 2 / 20 条。" in html
    first = CommentPhrase.objects.get(person=head, text="内容准确，同意公开。")
    assert client.post(f"{PHRASES}{first.pk}/delete/").status_code == 302
    assert texts(head) == ["请补充 发文依据。"]
    assert AuditEvent.objects.count() == events  # personal preferences: not in the trail
    assert client.get(f"{PHRASES}{first.pk}/delete/").status_code == 405


def test_phrases_are_personal_and_limited_in_number_and_length(client, org):
    head = org["head_office"]
    other = add_comment_phrase(user=org["head_office_2"], text="同事的意见")
    client.force_login(head)
    assert "同事的意见" not in client.get(PHRASES).content.decode()
    assert client.post(f"{PHRASES}{other.pk}/delete/").status_code == 404
    assert texts(org["head_office_2"]) == ["同事的意见"]

    for text, error in (("", "请填写常用意见。"), ("长" * 201, "201"),
                        ("同意", None), ("同意", "已有相同的常用意见。")):
        response = client.post(PHRASES, {"text": text})
        if error is None:
            assert response.status_code == 302
        else:
            assert response.status_code == 422 and error in response.content.decode()
    for n in range(MAX_PHRASES - 1):
        add_comment_phrase(user=head, text=f"意见{n}")
    assert 'data-testid="phrases-full"' in client.get(PHRASES).content.decode()
    response = client.post(PHRASES, {"text": "第二十一条"})
    assert response.status_code == 422
    assert "最多保存 20 条常用意见" in response.content.decode()
    assert len(texts(head)) == MAX_PHRASES


def test_people_without_a_reviewer_role_have_no_phrase_page(client, org):
    client.force_login(org["drafter_office"])
    assert client.get(PHRASES).status_code == 403
    assert client.post(PHRASES, {"text": "x"}).status_code == 403


def test_the_task_page_offers_the_phrases_and_without_js_the_chosen_one_is_the_comment(
        client, org):
    head = org["head_office"]
    agree = add_comment_phrase(user=head, text="内容准确，同意公开。")
    publication = submitted_item(org)
    task = task_for(head, publication)
    review.claim_task(user=head, task_id=task.pk)
    client.force_login(head)
    html = client.get(f"/app/review/tasks/{task.pk}/").content.decode()
    approve = re.search(r'id="decide-approve">(.*?)</section>', html, re.S).group(1)
    assert 'data-phrase-target="approve_comment"' in approve
    assert f'<option value="{agree.pk}">内容准确，同意公开。</option>' in approve
    assert "webui/phrases.js" in html

    response = client.post(f"/app/review/tasks/{task.pk}/approve/",
                           {"comment": "", "phrase": str(agree.pk)})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.data["comment"] == "内容准确，同意公开。"


def test_a_typed_comment_wins_over_the_phrase_and_a_foreign_phrase_is_ignored(client, org):
    head = org["head_office"]
    foreign = add_comment_phrase(user=org["head_office_2"], text="同事的意见")
    mine = add_comment_phrase(user=head, text="同意")
    first, second = submitted_item(org), submitted_item(org)
    client.force_login(head)
    task = task_for(head, first)
    client.post(f"/app/review/tasks/{task.pk}/approve/",
                {"comment": "我自己写的", "phrase": str(mine.pk)})
    task.refresh_from_db()
    assert task.data["comment"] == "我自己写的"
    # a reject needs a comment: someone else's phrase does not supply one
    task = task_for(head, second)
    review.claim_task(user=head, task_id=task.pk)
    response = client.post(f"/app/review/tasks/{task.pk}/reject/",
                           {"comment": "", "phrase": str(foreign.pk)})
    assert response.status_code == 422 and "请填写退回意见。" in response.content.decode()
    response = client.post(f"/app/review/tasks/{task.pk}/reject/",
                           {"comment": "", "phrase": "99999999999999"})
    assert response.status_code == 422


def test_the_new_review_pages_show_no_english_in_chinese_and_read_in_english(client, org):
    from tests.i18n_check import english_words

    head = org["head_office"]
    add_comment_phrase(user=head, text="同意")
    review.approve_task(user=head, task_id=task_for(head, submitted_item(org)).pk,
                        comment="同意")
    client.force_login(head)
    for url in (PHRASES, "/app/review/done/"):
        html = client.get(url).content.decode()
        content = html[html.index('<div class="webui-content"'):]
        assert english_words(content, extra_allowed=["head_office"]) == [], url
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for url, words in ((PHRASES, "Saved phrases"), ("/app/review/done/", "The tasks you decided")):
        html = client.get(url).content.decode()
        assert words in html and "常用意见" not in html and "已办" not in html, url
