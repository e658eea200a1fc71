"""The drafter's item page: 预检 and 一键脱敏 before submitting, the pre-scan at submit that
the section head sees, the 进度 bar, the reviewers' comments, and the confirmation every
irreversible action asks for."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditAction
from audit.selectors import subject_trail
from publications.models import Publication
from publications.services import add_attachment
from scanning.services import scan_if_missing
from testsupport.factories import approve_through, create_item, submitted_item, task_for
from workflow import services as review

pytestmark = pytest.mark.postgres

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
MOBILE = "13812345678"
SECRET_BODY = "<p>机密★</p><p>现将有关事项通知如下。</p>"


def resident_id(first17="41082319800101123") -> str:
    check = "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]
    return first17 + check


def login(client, user):
    client.force_login(user)
    return client


def item_url(publication, action=""):
    return f"/app/items/{publication.pk}/" + (f"{action}/" if action else "")


def task_url(task, action=""):
    return f"/app/review/tasks/{task.pk}/" + (f"{action}/" if action else "")


def section(html, testid) -> str:
    found = re.search(rf'data-testid="{testid}">(.*?)</section>', html, re.S)
    assert found, testid
    return found.group(1)


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def scans_of(publication):
    return subject_trail(subject=publication).filter(action=AuditAction.SCAN)


def body_of(publication) -> str:
    return Publication.objects.get(pk=publication.pk).body


# ---------------------------------------------------------------- 预检 and 一键脱敏

def test_the_prescan_shows_each_finding_with_personal_data_masked(client, org):
    publication = create_item(org, body=f"<p>机密★</p><p>联系电话：{MOBILE}</p>")
    login(client, org["drafter_office"])
    html = page(client, item_url(publication))
    assert "当前内容尚未预检" in section(html, "prescan")
    assert 'data-testid="prescan-button"' in html

    response = client.post(item_url(publication, "scan"))
    assert response.status_code == 302 and response["Location"].endswith("#prescan")
    assert scans_of(publication).get().actor == org["drafter_office"]
    response = client.get(response["Location"])
    assert "预检完成" in messages_of(response)[0]
    card = section(response.content.decode(), "prescan")
    rows = re.findall(r'data-testid="prescan-finding">(.*?)</tr>', card, re.S)
    assert len(rows) == 2
    secret = next(row for row in rows if "密级标识" in row)
    assert "正文" in secret and "机密★" in secret and "阻止通过" in secret
    phone = next(row for row in rows if "手机号码" in row)
    assert "138****5678" in phone and MOBILE not in card
    assert "一键脱敏" in card and 'data-testid="mask-form"' in card  # a mobile to mask


def test_masking_asks_to_confirm_then_rewrites_the_body_and_is_audited(client, org):
    number = resident_id()
    publication = create_item(org, body=f"<p>申请人身份证号：{number}</p>")
    login(client, org["drafter_office"])
    client.post(item_url(publication, "scan"), follow=True)

    refused = client.post(item_url(publication, "mask"), follow=True)
    assert "请勾选“我已确认脱敏”" in messages_of(refused)[0]
    assert number in body_of(publication)

    response = client.post(item_url(publication, "mask"), {"confirm": "1"}, follow=True)
    assert response.status_code == 200 and "已脱敏" in messages_of(response)[0]
    body = body_of(publication)
    assert number not in body and number[:2] + "*" in body
    event = subject_trail(subject=publication).get(action=AuditAction.MASKS_APPLIED)
    assert event.actor == org["drafter_office"]
    card = section(response.content.decode(), "prescan")
    assert "身份证号码" not in card and "未发现敏感词、个人信息或密级标识" in card


def test_prescan_and_masking_are_the_drafters_own_and_need_post(client, org, other_org):
    # returned: the section head who returned it reads it, the drafter may change it
    publication = submitted_item(org, body=f"<p>{MOBILE}</p>")
    review.reject_task(user=org["head_office"], comment="请删去电话",
                       task_id=task_for(org["head_office"], publication).pk)
    scanned = scans_of(publication).count()
    login(client, org["head_office"])
    assert client.post(item_url(publication, "scan")).status_code == 403
    assert client.post(item_url(publication, "mask"), {"confirm": "1"}).status_code == 403
    login(client, other_org["drafter_office"])  # another agency's: not even found
    assert client.post(item_url(publication, "scan")).status_code == 404
    login(client, org["drafter_office"])
    assert client.get(item_url(publication, "scan")).status_code == 405
    assert client.get(item_url(publication, "mask")).status_code == 405
    assert scans_of(publication).count() == scanned and MOBILE in body_of(publication)
    assert 'data-testid="prescan-button"' in page(client, item_url(publication))


def test_an_item_in_review_is_not_prescanned_or_masked_by_the_drafter(client, org):
    publication = submitted_item(org, body=f"<p>{MOBILE}</p>")
    login(client, org["drafter_office"])
    html = page(client, item_url(publication))
    assert 'data-testid="prescan-button"' not in html and "一键脱敏" not in html
    response = client.post(item_url(publication, "mask"), {"confirm": "1"}, follow=True)
    assert "只有草稿或退回修改的信息可以预检或脱敏" in messages_of(response)[0]
    assert scans_of(publication).count() == 1 and MOBILE in body_of(publication)


def test_save_and_prescan_on_the_form_saves_then_shows_the_findings(client, org):
    publication = create_item(org)
    login(client, org["drafter_office"])
    assert 'name="then" value="scan"' in page(client, item_url(publication, "edit"))
    data = {"title": publication.title, "body": SECRET_BODY, "section": "office",
            "category": "work_updates", "article20_item": "12", "formed_on": "2024-03-01",
            "channels": ["website"], "then": "scan"}
    response = client.post(item_url(publication, "edit"), data)
    assert response.status_code == 302
    assert response["Location"] == item_url(publication) + "#prescan"
    assert body_of(publication) == SECRET_BODY and scans_of(publication).count() == 1
    assert "密级标识" in section(page(client, response["Location"]), "prescan")


def test_attachments_still_being_scanned_are_said_to_be(client, org):
    publication = create_item(org)
    add_attachment(user=org["drafter_office"], publication_id=publication.pk,
                   uploaded=SimpleUploadedFile("批复.pdf", b"%PDF-1.4 test",
                                               content_type="application/pdf"))
    login(client, org["drafter_office"])
    # the attachments' part runs after commit; in a test transaction it has not yet run
    response = client.post(item_url(publication, "scan"), follow=True)
    card = section(response.content.decode(), "prescan")
    assert "附件扫描中" in card and 'data-testid="prescan-pending"' in card
    assert "标题、正文和文号中未发现" in card


# ---------------------------------------------------------------- the pre-scan at submit

def test_submit_runs_the_prescan_and_the_section_head_sees_its_findings(client, org):
    publication = submitted_item(org, body=SECRET_BODY)
    assert scans_of(publication).count() == 1
    task = task_for(org["head_office"], publication)
    findings = section(page(login(client, org["head_office"]), task_url(task)), "findings")
    assert "密级标识" in findings and "机密★" in findings and "阻止通过" in findings
    assert "尚未预检" not in findings

    # entering the confidentiality review, the same content is not scanned again
    approve_through(org, publication, "head_office")
    scan_if_missing(publication.pk)
    assert scans_of(publication).count() == 1


def test_content_prescanned_by_the_drafter_is_not_scanned_again_at_submit(client, org):
    publication = create_item(org, body=SECRET_BODY)
    login(client, org["drafter_office"])
    client.post(item_url(publication, "scan"))
    client.post(item_url(publication, "submit"))
    assert Publication.objects.get(pk=publication.pk).status == "in_review"
    assert scans_of(publication).count() == 1


# ---------------------------------------------------------------- 进度

def steps_of(html) -> dict:
    """{step name: (state, text)} of the progress bar."""
    bar = section(html, "progress")
    return {name: (state, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip())
            for name, state, text in re.findall(
                r'data-testid="progress-(\w+)" data-state="(\w+)"[^>]*>(.*?)</li>', bar, re.S)}


def test_the_progress_bar_follows_the_item_through_the_review(client, org):
    org["head_office"].display_name = "王科长"
    org["head_office"].save()
    publication = create_item(org)
    login(client, org["drafter_office"])
    steps = steps_of(page(client, item_url(publication)))
    assert list(steps) == ["draft", "section_head_review", "secrecy_review",
                           "leadership_review", "publish"]
    assert steps["draft"][0] == "current" and "起草中" in steps["draft"][1]
    assert {steps[s][0] for s in list(steps)[1:]} == {"todo"}

    review.submit_publication(user=org["drafter_office"], publication_id=publication.pk)
    steps = steps_of(page(client, item_url(publication)))
    assert steps["draft"][0] == "done" and "已提交" in steps["draft"][1]
    state, text = steps["section_head_review"]
    assert state == "current" and "科室审核" in text and "待签收" in text and "自 " in text

    task = task_for(org["head_office"], publication)
    review.claim_task(user=org["head_office"], task_id=task.pk)
    state, text = steps_of(page(client, item_url(publication)))["section_head_review"]
    assert state == "current" and "已签收" in text and "王科长" in text

    review.approve_task(user=org["head_office"], task_id=task.pk, comment="同意")
    steps = steps_of(page(client, item_url(publication)))
    assert steps["section_head_review"][0] == "done"
    assert "通过" in steps["section_head_review"][1] and "王科长" in steps["section_head_review"][1]
    assert steps["secrecy_review"][0] == "current" and steps["leadership_review"][0] == "todo"

    review.reject_task(user=org["secrecy"], task_id=task_for(org["secrecy"], publication).pk,
                       comment="请删去联系人电话")
    steps = steps_of(page(client, item_url(publication)))
    assert steps["draft"][0] == "current" and "退回修改中" in steps["draft"][1]
    assert steps["secrecy_review"][0] == "stopped" and "退回修改" in steps["secrecy_review"][1]


def test_an_approved_item_shows_every_step_done(client, org):
    publication = approve_through(org, submitted_item(org), "head_office", "secrecy", "leader")
    steps = steps_of(page(login(client, org["drafter_office"]), item_url(publication)))
    assert {state for state, _text in steps.values()} == {"done"}
    assert "终审通过" in steps["publish"][1]


def test_a_withdrawn_item_shows_where_its_round_stopped(client, org):
    publication = submitted_item(org)
    review.withdraw_publication(user=org["drafter_office"], publication_id=publication.pk)
    steps = steps_of(page(login(client, org["drafter_office"]), item_url(publication)))
    assert steps["section_head_review"][0] == "stopped"
    assert steps["publish"] == ("stopped", "发布 已撤回")


# ---------------------------------------------------------------- 审核意见

def returned_and_resubmitted(org, rounds):
    """An item returned `rounds` times by the section head, then resubmitted."""
    publication = submitted_item(org)
    for number in range(1, rounds + 1):
        task = task_for(org["head_office"], publication)
        review.reject_task(user=org["head_office"], task_id=task.pk,
                           comment=f"第{number}次退回：请补充依据")
        review.submit_publication(user=org["drafter_office"], publication_id=publication.pk)
    return publication


def test_the_reviewers_comments_of_every_round_are_listed_newest_first(client, org):
    org["head_office"].display_name = "王科长"
    org["head_office"].save()
    publication = returned_and_resubmitted(org, 2)
    approve_through(org, publication, "head_office")
    login(client, org["drafter_office"])
    html = page(client, item_url(publication))
    comments = re.findall(r'data-testid="comment">(.*?)</li>', section(html, "comments"), re.S)
    assert len(comments) == 3
    assert "通过" in comments[0] and "第 3 轮" in comments[0] and "未填写意见" in comments[0]
    assert "退回" in comments[1] and "第2次退回：请补充依据" in comments[1]
    assert "第 2 轮" in comments[1] and "科室审核" in comments[1] and "王科长" in comments[1]
    assert "第1次退回" in comments[2] and "第 1 轮" in comments[2]
    # reviewers read them on the item page too
    assert "第2次退回" in section(page(login(client, org["secrecy"]), item_url(publication)),
                                 "comments")


def test_an_item_without_decisions_says_so(client, org):
    html = page(login(client, org["drafter_office"]), item_url(create_item(org)))
    assert "暂无审核意见" in section(html, "comments")


def detail_queries(client, publication) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(item_url(publication)).status_code == 200
    return len(queries)


def test_the_item_page_costs_the_same_for_one_round_and_many(client, org):
    login(client, org["drafter_office"])
    few = returned_and_resubmitted(org, 1)
    many = returned_and_resubmitted(org, 4)
    detail_queries(client, few)  # warm the per-process caches
    assert detail_queries(client, few) == detail_queries(client, many)


# ---------------------------------------------------------------- confirmations

def test_withdrawing_is_refused_without_confirmation(client, org):
    publication = submitted_item(org)
    login(client, org["drafter_office"])
    form = re.search(r'data-testid="withdraw-form">(.*?)</form>',
                     page(client, item_url(publication)), re.S).group(1)
    assert "<dialog" in form and 'name="confirm"' in form and "确认撤回" in form
    response = client.post(item_url(publication, "withdraw"), follow=True)
    assert "请勾选“我已确认撤回”" in messages_of(response)[0]
    assert Publication.objects.get(pk=publication.pk).status == "in_review"
    client.post(item_url(publication, "withdraw"), {"confirm": "1"})
    assert Publication.objects.get(pk=publication.pk).status == "withdrawn"


def test_deleting_an_attachment_is_refused_without_confirmation(client, org):
    publication = create_item(org)
    attachment = add_attachment(user=org["drafter_office"], publication_id=publication.pk,
                                uploaded=SimpleUploadedFile("批复.pdf", b"%PDF-1.4 test",
                                                            content_type="application/pdf"))
    login(client, org["drafter_office"])
    assert "确定删除附件“批复.pdf”吗" in page(client, item_url(publication, "edit"))
    url = f"{item_url(publication)}attachments/{attachment.pk}/remove/"
    response = client.post(url, follow=True)
    assert "请勾选“我已确认删除”" in messages_of(response)[0]
    assert publication.attachments.exists()
    client.post(url, {"confirm": "1"})
    assert not publication.attachments.exists()


def test_withholding_is_refused_without_confirmation(client, org):
    publication = approve_through(org, submitted_item(org), "head_office")
    task = task_for(org["secrecy"], publication)
    review.claim_task(user=org["secrecy"], task_id=task.pk)
    login(client, org["secrecy"])
    assert "确认不予公开" in page(client, task_url(task))
    response = client.post(task_url(task, "withhold"),
                           {"basis": "state_secret", "comment": "含国家秘密"})
    assert response.status_code == 422
    assert "请勾选确认后再决定不予公开。" in response.content.decode()
    assert Publication.objects.get(pk=publication.pk).status == "in_review"


def test_the_final_approval_is_refused_without_confirmation(client, org):
    publication = approve_through(org, submitted_item(org), "head_office", "secrecy")
    task = task_for(org["leader"], publication)
    review.claim_task(user=org["leader"], task_id=task.pk)
    login(client, org["leader"])
    assert "确定终审通过吗" in page(client, task_url(task))
    response = client.post(task_url(task, "approve"), {"comment": "同意发布"})
    assert response.status_code == 422
    assert "请勾选确认后再终审通过。" in response.content.decode()
    assert Publication.objects.get(pk=publication.pk).status == "in_review"
    response = client.post(task_url(task, "approve"), {"comment": "同意发布", "confirm": "1"})
    assert response.status_code == 302
    assert Publication.objects.get(pk=publication.pk).status == "approved"


def test_the_earlier_approvals_need_no_confirmation(client, org):
    publication = submitted_item(org)
    task = task_for(org["head_office"], publication)
    login(client, org["head_office"])
    review.claim_task(user=org["head_office"], task_id=task.pk)
    assert "确定终审通过吗" not in page(client, task_url(task))
    assert client.post(task_url(task, "approve"), {"comment": ""}).status_code == 302
