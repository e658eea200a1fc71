"""The reviewers' pages of the web UI (queue, my tasks, the task page), through Django's
test client on PostgreSQL."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from audit.models import AuditAction
from audit.selectors import subject_trail
from publications.models import Publication
from publications.services import update_publication
from scanning.services import open_blockers, scan_if_missing
from tests.i18n_check import english_words
from testsupport.factories import approve_through, submitted_item, task_for
from webui.review_display import text_diff, waiting_text
from workflow import services as review

pytestmark = pytest.mark.postgres

QUEUE, INBOX = "/app/review/", "/app/review/mine/"

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def resident_id(first17="41082319800101123") -> str:
    check = "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]
    return first17 + check


def login(client, user):
    client.force_login(user)
    return client


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def task_url(task, action=""):
    return f"/app/review/tasks/{task.pk}/" + (f"{action}/" if action else "")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def status_of(publication) -> str:
    return Publication.objects.get(pk=publication.pk).status


def at_secrecy(org, **overrides):
    return approve_through(org, submitted_item(org, **overrides), "head_office")


def claimed_by(user, publication):
    task = task_for(user, publication)
    review.claim_task(user=user, task_id=task.pk)
    return task


# ---------------------------------------------------------------- who sees what

def test_queue_shows_a_task_only_to_the_people_who_may_claim_it(client, org):
    publication = submitted_item(org, title="关于调整办公时间的通知")
    for username in ("head_office", "head_office_2"):
        assert publication.title in page(login(client, org[username]), QUEUE)
    for username in ("head_construction", "secrecy", "leader"):
        assert publication.title not in page(login(client, org[username]), QUEUE)
    approve_through(org, publication, "head_office")
    assert publication.title in page(login(client, org["secrecy"]), QUEUE)
    assert publication.title not in page(login(client, org["head_office"]), QUEUE)


def test_queue_row_shows_section_step_drafter_round_and_waiting_time(client, org):
    org["drafter_office"].display_name = "王经办"
    org["drafter_office"].save()
    publication = submitted_item(org)
    task = task_for(org["head_office"], publication)
    Task.objects.filter(pk=task.pk).update(created=timezone.now() - dt.timedelta(days=2, hours=3))
    html = page(login(client, org["head_office"]), QUEUE)
    row = re.search(rf'<tr data-testid="task-{task.pk}">(.*?)</tr>', html, re.S).group(1)
    for text in (publication.title, "办公室", "科室审核", "王经办", "第 1 轮", "2 天 3 小时",
                 "签收"):
        assert text in row
    assert "待签收" in html and "我的待办" in html  # the drawer's menu entries


def test_drafters_and_auditors_get_403_and_anonymous_people_the_login_page(client, org):
    publication = submitted_item(org)
    task = task_for(org["head_office"], publication)
    for username in ("drafter_office", "auditor", "publisher"):
        login(client, org[username])
        for url in (QUEUE, INBOX, task_url(task)):
            assert client.get(url).status_code == 403, (username, url)
        assert client.post(task_url(task, "claim")).status_code == 403
    client.logout()
    response = client.get(QUEUE)
    assert response.status_code == 302 and response["Location"].startswith("/app/login/")
    assert Task.objects.get(pk=task.pk).status == STATUS.NEW


def test_task_pages_outside_ones_reach_are_not_found(client, org, other_org):
    elsewhere = submitted_item(other_org)
    foreign = task_for(other_org["head_office"], elsewhere)
    own = submitted_item(org)
    start_task = Task.objects.filter(process__reviewprocess__publication=own,
                                     flow_task_type="START").get()
    login(client, org["head_office"])
    for url in (task_url(foreign), "/app/review/tasks/999999/", task_url(start_task)):
        assert client.get(url).status_code == 404, url
    assert client.post(task_url(foreign, "claim")).status_code == 404
    assert client.post(task_url(foreign, "approve")).status_code == 404
    assert Task.objects.get(pk=foreign.pk).status == STATUS.NEW


def test_empty_queue_and_inbox_say_what_to_expect(client, org):
    login(client, org["head_office"])
    assert "暂无待签收的审核任务" in page(client, QUEUE)
    assert "暂无我的待办" in page(client, INBOX)
    assert "没有符合筛选条件的审核任务" in page(client, QUEUE, section="construction")


# ---------------------------------------------------------------- filters and paging

def test_filters_by_section_step_and_waiting_time(client, org):
    office = at_secrecy(org, title="办公室的信息")
    construction = approve_through(
        org, submitted_item(org, "drafter_construction", title="建筑业管理股的信息"),
        "head_construction")
    old = task_for(org["secrecy"], office)
    Task.objects.filter(pk=old.pk).update(created=timezone.now() - dt.timedelta(days=4))
    login(client, org["secrecy"])

    both = page(client, QUEUE)
    assert office.title in both and construction.title in both
    only_office = page(client, QUEUE, section="office")
    assert office.title in only_office and construction.title not in only_office
    waited = page(client, QUEUE, waited="3")
    assert office.title in waited and construction.title not in waited
    assert office.title not in page(client, QUEUE, waited="7")
    assert office.title in page(client, QUEUE, step="secrecy_review")
    assert "没有符合筛选条件的审核任务" in page(client, QUEUE, step="section_head_review")


@pytest.mark.parametrize("params", [
    {"section": "nope"}, {"step": "'; drop table"}, {"waited": "abc"}, {"waited": "-1"},
    {"page": "x"}, {"page": "999"}, {"page": "-1"}, {"page": "0"},
])
def test_bad_filter_and_page_values_never_fail(client, org, params):
    submitted_item(org)
    login(client, org["head_office"])
    assert client.get(QUEUE, params).status_code == 200
    assert client.get(INBOX, params).status_code == 200


def test_paging_20_rows_a_page_keeps_the_filters(client, org):
    for n in range(21):
        submitted_item(org, title=f"分页测试信息{n:02d}")
    login(client, org["head_office"])
    first = page(client, QUEUE, section="office")
    assert first.count('<tr data-testid="task-') == 20
    assert "?section=office&amp;page=2" in first and "共 21 条" in first
    second = page(client, QUEUE, section="office", page="2")
    assert second.count('<tr data-testid="task-') == 1
    assert "?section=office&amp;page=1" in second


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_queue_and_inbox_query_counts_do_not_grow_with_the_rows(client, org):
    head = org["head_office"]
    login(client, head)
    for _ in range(2):
        claimed_by(head, submitted_item(org))
        submitted_item(org, "drafter_construction")  # another section: not in the queue
        submitted_item(org)
    queue_2, inbox_2 = _queries(client, QUEUE), _queries(client, INBOX)
    for _ in range(13):
        claimed_by(head, submitted_item(org))
        submitted_item(org)
    assert page(client, QUEUE).count('<tr data-testid="task-') == 15
    assert page(client, INBOX).count('<tr data-testid="task-') == 15
    assert _queries(client, QUEUE) == queue_2
    assert _queries(client, INBOX) == inbox_2


def test_task_page_query_count_does_not_grow_with_rounds_and_decisions(client, org):
    drafter, head = org["drafter_office"], org["head_office"]
    fresh = submitted_item(org)
    reworked = submitted_item(org)
    for n in range(3):
        review.reject_task(user=head, task_id=task_for(head, reworked).pk, comment=f"第{n}次")
        update_publication(user=drafter, publication_id=reworked.pk,
                           data={"body": f"<p>第{n}次修改</p>"})
        review.submit_publication(user=drafter, publication_id=reworked.pk)
    login(client, head)
    few = _queries(client, task_url(task_for(head, fresh)))
    assert _queries(client, task_url(task_for(head, reworked))) == few


# ---------------------------------------------------------------- claim and unclaim

def test_claim_from_the_queue_then_unclaim_from_the_inbox(client, org):
    publication = submitted_item(org)
    task = task_for(org["head_office"], publication)
    login(client, org["head_office"])
    response = client.post(task_url(task, "claim"))
    assert response.status_code == 302 and response["Location"] == task_url(task)
    task.refresh_from_db()
    assert task.status == STATUS.ASSIGNED and task.owner == org["head_office"]
    assert publication.title in page(client, INBOX)
    assert publication.title not in page(client, QUEUE)
    # not claimable by a colleague: listed only among the tasks others hold
    other_queue = page(login(client, org["head_office_2"]), QUEUE)
    assert f'<tr data-testid="task-{task.pk}"' not in other_queue
    assert f'<tr data-testid="held-{task.pk}"' in other_queue

    login(client, org["head_office"])
    response = client.post(task_url(task, "unclaim"))
    assert response.status_code == 302 and response["Location"] == INBOX
    task.refresh_from_db()
    assert task.status == STATUS.NEW and task.owner is None
    assert publication.title in page(login(client, org["head_office_2"]), QUEUE)


def test_claim_and_decisions_need_post(client, org):
    task = task_for(org["head_office"], submitted_item(org))
    login(client, org["head_office"])
    for action in ("claim", "unclaim", "approve", "reject", "withhold"):
        assert client.get(task_url(task, action)).status_code == 405


def test_buttons_follow_who_may_act(client, org):
    publication = submitted_item(org)
    task = task_for(org["head_office"], publication)
    login(client, org["head_office"])
    html = page(client, task_url(task))
    assert "签收并审核" in html and 'id="decide-approve"' not in html
    client.post(task_url(task, "claim"))
    html = page(client, task_url(task))
    assert 'id="decide-approve"' in html and 'id="decide-reject"' in html
    assert "取消签收" in html and "签收并审核" not in html

    other = page(login(client, org["head_office_2"]), task_url(task))
    assert 'id="decide-approve"' not in other and "签收并审核" not in other
    assert "由 head_office 签收于 " in other
    wrong_section = page(login(client, org["head_construction"]), task_url(task))
    assert 'id="decide-approve"' not in wrong_section and "签收并审核" not in wrong_section
    assert "您不是该信息所属科室的负责人" in wrong_section


# ---------------------------------------------------------------- decisions

def test_approve_moves_the_item_to_the_secrecy_review(client, org):
    publication = submitted_item(org)
    task = claimed_by(org["head_office"], publication)
    login(client, org["head_office"])
    response = client.post(task_url(task, "approve"), {"comment": "同意"}, follow=True)
    assert response.redirect_chain[-1][0] == INBOX  # nothing else to do
    assert messages_of(response) == [f"已通过“{publication.title}”。", "没有待办任务了。"]
    assert Task.objects.get(pk=task.pk).status == STATUS.DONE
    next_task = task_for(org["secrecy"], publication)
    assert next_task.flow_task.name == "secrecy_review"
    assert publication.title in page(login(client, org["secrecy"]), QUEUE)
    approval = subject_trail(subject=publication).get(action=AuditAction.APPROVE)
    assert approval.comment == "同意" and approval.actor == org["head_office"]


def test_reject_without_comment_shows_the_error_next_to_the_field_and_changes_nothing(
        client, org):
    publication = submitted_item(org)
    task = claimed_by(org["head_office"], publication)
    login(client, org["head_office"])
    response = client.post(task_url(task, "reject"), {"comment": "   "})
    assert response.status_code == 422
    html = response.content.decode()
    field = re.search(r'<div class="webui-field webui-field--error" id="field-reject-comment">'
                      r'(.*?)</div>', html, re.S)
    assert field and "请填写退回意见。" in field.group(1)
    assert status_of(publication) == "in_review"
    assert Task.objects.get(pk=task.pk).status == STATUS.ASSIGNED
    assert not subject_trail(subject=publication).filter(action=AuditAction.REJECT).exists()


def test_reject_with_comment_returns_the_item_to_the_drafter(client, org):
    publication = submitted_item(org)
    task = claimed_by(org["head_office"], publication)
    login(client, org["head_office"])
    response = client.post(task_url(task, "reject"), {"comment": "请补充发文依据"})
    assert response.status_code == 302
    assert status_of(publication) == "returned"
    rejected = subject_trail(subject=publication).get(action=AuditAction.REJECT)
    assert rejected.comment == "请补充发文依据"


def test_withhold_is_offered_only_at_the_secrecy_review_and_needs_a_basis(client, org):
    publication = submitted_item(org)
    head_task = claimed_by(org["head_office"], publication)
    login(client, org["head_office"])
    assert 'id="decide-withhold"' not in page(client, task_url(head_task))
    response = client.post(task_url(head_task, "withhold"),
                           {"basis": "state_secret", "comment": "涉密"}, follow=True)
    assert "只有保密审查环节可以决定不予公开。" in messages_of(response)
    assert status_of(publication) == "in_review"

    approve_through(org, publication, "head_office")
    task = claimed_by(org["secrecy"], publication)
    login(client, org["secrecy"])
    html = page(client, task_url(task))
    assert 'id="decide-withhold"' in html and "属于国家秘密" in html
    response = client.post(task_url(task, "withhold"), {"basis": "", "comment": "涉密"})
    assert response.status_code == 422
    assert "请选择不予公开的法定依据。" in response.content.decode()
    assert status_of(publication) == "in_review"

    response = client.post(task_url(task, "withhold"),
                           {"basis": "state_secret", "comment": "含国家秘密", "confirm": "1"})
    assert response.status_code == 302
    assert status_of(publication) == "withheld"
    event = subject_trail(subject=publication).get(action=AuditAction.WITHHOLD)
    assert event.data == {"basis": "state_secret"} and event.comment == "含国家秘密"


def test_a_lost_race_says_someone_else_handled_it(client, org):
    publication = submitted_item(org)
    task = task_for(org["head_office"], publication)
    claimed_by(org["head_office_2"], publication)  # between the page load and the click
    login(client, org["head_office"])
    response = client.post(task_url(task, "claim"), follow=True)
    assert response.redirect_chain[-1][0] == QUEUE
    assert messages_of(response) == ["已由他人处理"]

    review.approve_task(user=org["head_office_2"], task_id=task.pk)
    response = client.post(task_url(task, "approve"), {"comment": ""}, follow=True)
    assert response.redirect_chain[-1][0] == QUEUE
    assert messages_of(response) == ["已由他人处理"]
    assert Task.objects.get(pk=task.pk).owner == org["head_office_2"]


def test_content_changed_under_the_round_says_so_and_returns_the_item(client, org):
    publication = submitted_item(org)
    task = claimed_by(org["head_office"], publication)
    # as an edit outside the services would: new content, new fingerprint
    Publication.objects.filter(pk=publication.pk).update(title="审核中被改动的标题",
                                                         fingerprint="0" * 64)
    login(client, org["head_office"])
    response = client.post(task_url(task, "approve"), {"comment": "内容无误"})
    assert response.status_code == 422
    kept = re.search(r'data-testid="kept-comment">(.*?)</section>',
                     response.content.decode(), re.S).group(1)
    assert "本轮审核作废" in kept and ">内容无误</textarea>" in kept
    assert status_of(publication) == "returned"


def test_a_finished_task_page_shows_no_buttons(client, org):
    publication = submitted_item(org)
    task = task_for(org["head_office"], publication)
    review.approve_task(user=org["head_office_2"], task_id=task.pk, comment="可以发布")
    html = page(login(client, org["head_office"]), task_url(task))
    assert "本环节已处理完毕" in html
    assert "签收并审核" not in html and 'id="decide-approve"' not in html
    trail = re.search(r'data-testid="trail">(.*?)</section>', html, re.S).group(1)
    assert "通过" in trail and "head_office_2" in trail and "可以发布" in trail


# ---------------------------------------------------------------- what the reviewer reads

def test_task_page_shows_content_metadata_and_attachments(client, org):
    publication = submitted_item(org, title="关于<脚本>的通知",
                                 body='<p>第一段<b>加粗</b></p><script>alert(1)</script>')
    task = task_for(org["head_office"], publication)
    html = page(login(client, org["head_office"]), task_url(task))
    assert "关于&lt;脚本&gt;的通知" in html and "<script>alert" not in html
    assert "<b>加粗</b>" in html
    for text in ("办公室", "工作动态", "公开专栏", "微信公众号", "第 1 轮", "无附件",
                 "这是第一轮审核"):
        assert text in html


def test_findings_are_listed_and_marked_in_the_body_and_block_the_secrecy_approval(client, org):
    number = resident_id()
    publication = at_secrecy(org, body=f"<p>申请人张三（身份证号：{number}）符合条件。</p>")
    scan_if_missing(publication.pk)
    task = claimed_by(org["secrecy"], publication)
    login(client, org["secrecy"])
    html = page(client, task_url(task))
    content = re.search(r'data-testid="content">(.*?)</article>', html, re.S).group(1)
    assert re.search(rf'<mark class="webui-finding webui-finding--blocking" '
                     rf'id="body-finding-\d+">{number}</mark>', content)
    findings = re.search(r'data-testid="findings">(.*?)</section>', html, re.S).group(1)
    assert "身份证号码" in findings and "阻止通过" in findings and "身份证号：" in findings
    assert "保密审查不能通过" in findings

    response = client.post(task_url(task, "approve"), {"comment": "经核查可以公开"})
    assert response.status_code == 422
    decision = re.search(r'id="decide-approve">(.*?)</section>',
                         response.content.decode(), re.S).group(1)
    assert "预检发现 1 处须处理的问题" in decision
    assert ">\n经核查可以公开</textarea>" in decision  # the comment as typed
    assert status_of(publication) == "in_review"


def test_diff_shows_what_changed_since_the_returned_round(client, org):
    drafter, head = org["drafter_office"], org["head_office"]
    publication = submitted_item(
        org, title="关于开展安全检查的通知",
        body="<p>第一段不变。</p><p>检查时间为三月一日。</p><p>最后一段不变。</p>")
    review.reject_task(user=head, task_id=task_for(head, publication).pk,
                       comment="时间写错了")
    update_publication(user=drafter, publication_id=publication.pk, data={
        "title": "关于开展安全大检查的通知",
        "body": "<p>第一段不变。</p><p>检查时间为三月五日。</p><p>最后一段不变。</p>"})
    review.submit_publication(user=drafter, publication_id=publication.pk)

    task = task_for(head, publication)
    html = page(login(client, head), task_url(task))
    title_diff = re.search(r'data-testid="title-diff">(.*?)</div>', html, re.S).group(1)
    assert "<ins>大</ins>" in title_diff
    body_diff = re.search(r'data-testid="body-diff">(.*?)</section>', html, re.S).group(1)
    assert "<del>一</del><ins>五</ins>" in body_diff
    assert "第一段不变。" in body_diff
    trail = re.search(r'data-testid="trail">(.*?)</section>', html, re.S).group(1)
    assert "本轮（第 2 轮）" in trail and "第 1 轮" in trail and "时间写错了" in trail


def test_a_round_submitted_without_a_kept_copy_says_it_cannot_compare(client, org):
    drafter, head = org["drafter_office"], org["head_office"]
    publication = submitted_item(org)
    review.reject_task(user=head, task_id=task_for(head, publication).pk, comment="改")
    first = publication.review_rounds.get(round=1)
    first.data = {}
    first.save(update_fields=["data"])
    update_publication(user=drafter, publication_id=publication.pk, data={"title": "新标题"})
    review.submit_publication(user=drafter, publication_id=publication.pk)
    html = page(login(client, head), task_url(task_for(head, publication)))
    assert "第 1 轮提交时没有保存内容副本" in html


# ---------------------------------------------------------------- presentation helpers

def test_waiting_time_reads_in_days_hours_and_minutes():
    now = timezone.now()
    assert waiting_text(now - dt.timedelta(days=2, hours=3, minutes=5), now) == "2 天 3 小时"
    assert waiting_text(now - dt.timedelta(hours=5, minutes=10), now) == "5 小时 10 分钟"
    assert waiting_text(now - dt.timedelta(minutes=7), now) == "7 分钟"
    assert waiting_text(now - dt.timedelta(seconds=20), now) == "不到 1 分钟"


def test_long_unchanged_stretches_are_left_out_of_the_diff():
    old = "\n".join(f"第{n}段" for n in range(10))
    new = old.replace("第5段", "第5段（已修改）")
    blocks = text_diff(old, new)
    kinds = [block.kind for block in blocks]
    assert kinds == ["skipped", "equal", "changed", "equal", "skipped"]
    assert blocks[0].skipped == 3 and blocks[-1].skipped == 2
    assert ("ins", "（已修改）") in blocks[2].segments


def test_the_page_never_marks_inside_a_tag(client, org):
    number = resident_id()
    body = f'<p><img src="x.png" alt="{number}">正文</p>'
    publication = at_secrecy(org, body=body)
    scan_if_missing(publication.pk)
    html = page(login(client, org["secrecy"]), task_url(task_for(org["secrecy"], publication)))
    content = re.search(r'data-testid="content">(.*?)</article>', html, re.S).group(1)
    assert "<mark" not in content and "正文" in content
    assert "身份证号码" in html


def test_the_submitted_content_is_kept_on_the_round_not_in_the_audit_trail(org):
    # the body may hold personal data the drafter masks later; the trail is append-only
    publication = submitted_item(org, body="<p>原文</p>")
    assert publication.review_rounds.get().data["submitted"] == {
        "title": publication.title, "body": "<p>原文</p>"}
    submit = subject_trail(subject=publication).get(action=AuditAction.SUBMIT)
    assert "原文" not in str(submit.data)


def test_review_pages_show_no_english_in_chinese(client, org):
    drafter, head = org["drafter_office"], org["head_office"]
    publication = submitted_item(org, body=f"<p>身份证号：{resident_id()}</p><p>第二段</p>")
    review.reject_task(user=head, task_id=task_for(head, publication).pk, comment="请修改")
    update_publication(user=drafter, publication_id=publication.pk,
                       data={"body": f"<p>身份证号：{resident_id()}</p><p>第二段改</p>"})
    review.submit_publication(user=drafter, publication_id=publication.pk)
    approve_through(org, publication, "head_office")
    scan_if_missing(publication.pk)
    task = claimed_by(org["secrecy"], publication)
    login(client, org["secrecy"])
    pages = [page(client, url) for url in (QUEUE, INBOX, task_url(task))]
    pages.append(client.post(task_url(task, "withhold"), {"basis": "x"}).content.decode())
    pages.append(page(client, QUEUE, section="nope", waited="3"))
    for html in pages:
        # the page's own content; the frame's menu button is a known gap of base.html
        content = html[html.index('<div class="webui-content"'):]
        assert english_words(content, extra_allowed=["secrecy"]) == []  # a username


# ---------------------------------------------------------------- dismissing a finding

def at_secrecy_with_a_blocker(org):
    """An item at the confidentiality review whose scan found one resident ID (blocking)."""
    publication = at_secrecy(org, body=f"<p>申请人张三（身份证号：{resident_id()}）符合条件。</p>")
    scan_if_missing(publication.pk)
    [finding] = open_blockers(publication)
    return publication, finding


def dismiss_url(task, finding):
    return task_url(task, f"findings/{finding.pk}/dismiss")


def test_only_the_reviewing_secrecy_reviewer_is_offered_to_dismiss_a_finding(client, org):
    publication, finding = at_secrecy_with_a_blocker(org)
    task = claimed_by(org["secrecy"], publication)
    form = f'data-testid="dismiss-{finding.pk}"'
    html = page(login(client, org["secrecy"]), task_url(task))
    assert form in html and "确认无需处理" in html and "处理说明" in html
    for username in ("head_office", "secrecy_2"):  # not a secrecy reviewer; not claimed
        assert form not in page(login(client, org[username]), task_url(task)), username

    login(client, org["head_office"])
    response = client.post(dismiss_url(task, finding), {"justification": "不是身份证号"},
                           follow=True)
    assert response.redirect_chain[-1][0] == task_url(task)
    assert "只有保密审查员可以排除预检发现。" in messages_of(response)[0]
    assert open_blockers(publication) == [finding]


def test_dismissing_without_a_justification_shows_the_error_next_to_the_field(client, org):
    publication, finding = at_secrecy_with_a_blocker(org)
    task = claimed_by(org["secrecy"], publication)
    login(client, org["secrecy"])
    response = client.post(dismiss_url(task, finding), {"justification": "  "})
    assert response.status_code == 422
    field = re.search(rf'<div class="webui-field webui-field--error" '
                      rf'id="field-dismiss-{finding.pk}-justification">(.*?)</div>',
                      response.content.decode(), re.S)
    assert field and "请说明该发现为何无需处理。" in field.group(1)
    assert open_blockers(publication) == [finding]
    assert not subject_trail(subject=publication).filter(
        action=AuditAction.FINDING_DISMISSED).exists()


def test_dismissing_with_a_justification_clears_the_blocker_and_lets_approval_pass(client, org):
    org["secrecy"].display_name = "李保密"
    org["secrecy"].save()
    publication, finding = at_secrecy_with_a_blocker(org)
    task = claimed_by(org["secrecy"], publication)
    login(client, org["secrecy"])
    response = client.post(dismiss_url(task, finding),
                           {"justification": "系虚构的示例号码，已与经办人核实"}, follow=True)
    assert response.redirect_chain[-1][0] == task_url(task) + f"#finding-{finding.pk}"
    assert messages_of(response) == ["已确认该发现无需处理。"]
    assert open_blockers(publication) == []
    event = subject_trail(subject=publication).get(action=AuditAction.FINDING_DISMISSED)
    assert event.actor == org["secrecy"] and event.comment == "系虚构的示例号码，已与经办人核实"

    html = response.content.decode()
    findings = re.search(r'data-testid="findings">(.*?)</section>', html, re.S).group(1)
    assert f'data-testid="dismissed-{finding.pk}"' in findings
    assert "李保密 于" in findings and "系虚构的示例号码，已与经办人核实" in findings
    assert f'data-testid="dismiss-{finding.pk}"' not in findings
    assert "保密审查不能通过" not in findings

    again = client.post(dismiss_url(task, finding), {"justification": "再次"}, follow=True)
    assert messages_of(again) == ["该发现已被排除。"]

    response = client.post(task_url(task, "approve"), {"comment": ""}, follow=True)
    assert response.redirect_chain[-1][0] == INBOX
    assert f"已通过“{publication.title}”。" in messages_of(response)
    assert Task.objects.get(pk=task.pk).status == STATUS.DONE


def test_a_finding_of_another_item_or_agency_is_not_found(client, org, other_org):
    publication, _finding = at_secrecy_with_a_blocker(org)
    _other, of_another_item = at_secrecy_with_a_blocker(org)
    _foreign, of_another_agency = at_secrecy_with_a_blocker(other_org)
    task = claimed_by(org["secrecy"], publication)
    login(client, org["secrecy"])
    for finding in (of_another_item, of_another_agency):
        response = client.post(dismiss_url(task, finding), {"justification": "无需处理"})
        assert response.status_code == 404
        finding.refresh_from_db()
        assert finding.dismissed_at is None
    assert client.get(dismiss_url(task, of_another_item)).status_code == 405


def test_queue_rows_show_the_art26_deadline_amber_when_close_red_when_overdue(client, org):
    today = timezone.localdate()
    overdue = submitted_item(org, title="早已形成的信息", formed_on=today - dt.timedelta(days=60))
    fresh = submitted_item(org, title="今天形成的信息", formed_on=today)
    html = page(login(client, org["head_office"]), QUEUE)

    def due_of(publication):
        task = task_for(org["head_office"], publication)
        row = re.search(rf'<tr data-testid="task-{task.pk}">(.*?)</tr>', html, re.S).group(1)
        return re.search(r'<span class="webui-due (webui-due--\w+)"[^>]*>(.*?)</span>',
                         row, re.S).groups()

    css, text = due_of(overdue)
    assert css == "webui-due--overdue" and "已超期" in text
    css, text = due_of(fresh)
    # pending only while next year's holiday notice is missing
    assert css in ("webui-due--ok", "webui-due--pending")
    assert "已超期" not in text
