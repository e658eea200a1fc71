"""The auditor's pages: item timeline, round contents, filtered trail, CSV export, chain check."""

import csv
import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import Section
from audit.models import AuditAction, AuditEvent, ChainVerification
from audit.selectors import subject_trail
from publications.models import Publication
from publications.services import update_publication
from tests.audit.test_audit_trail import with_trigger_disabled
from tests.i18n_check import english_words
from testsupport.factories import api, approve_through, create_item, submitted_item, task_for
from workflow import services as review
from workflow.models import ReviewProcess

BEIJING = ZoneInfo("Asia/Shanghai")
NAMES = {"drafter_office": "李经办", "head_office": "王科长", "secrecy": "赵保密",
         "leader": "孙局长", "drafter_construction": "周经办"}


@pytest.fixture
def named_org(org):
    for username, name in NAMES.items():
        org[username].display_name = name
        org[username].save(update_fields=["display_name"])
    return org


@pytest.fixture
def auditor(client, named_org):
    client.force_login(named_org["auditor"])
    return client


def decide(org, publication, username, decision="approve", **kwargs):
    user = org[username]
    task_id = task_for(user, publication).pk
    getattr(review, f"{decision}_task")(user=user, task_id=task_id, **kwargs)


def fully_approved(org, **overrides):
    publication = submitted_item(org, **overrides)
    decide(org, publication, "head_office", comment="同意，请保密审查")
    decide(org, publication, "secrecy", comment="未发现涉密内容")
    decide(org, publication, "leader", comment="同意发布")
    publication.refresh_from_db()
    return publication


def seqs_on(html) -> list[int]:
    return [int(s) for s in re.findall(r'data-seq="(\d+)"', html)]


def visible_text(html) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def listed(response) -> list[AuditEvent]:
    assert response.status_code == 200, response.content.decode()[:500]
    return list(response.context["page"]["rows"])


# --- the item's timeline ---------------------------------------------------------------


def test_timeline_lists_every_event_of_an_approved_item_in_chain_order(auditor, named_org):
    publication = fully_approved(named_org)
    events = list(subject_trail(subject=publication).order_by("seq"))
    assert {AuditAction.CREATE, AuditAction.SUBMIT, AuditAction.APPROVE,
            AuditAction.RELEASE_CREATED} <= {e.action for e in events}

    response = auditor.get(f"/app/audit/items/{publication.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert seqs_on(html) == [e.seq for e in events]
    for expected in ("王科长（head_office）", "赵保密（secrecy）", "孙局长（leader）",
                     "李经办（drafter_office）", "同意，请保密审查", "未发现涉密内容", "同意发布",
                     "科室审核", "保密审查", "领导审签", "提交审核", "通过", "生成发布任务",
                     "公开专栏", "微信公众号"):
        assert expected in html, expected
    # fingerprints: short on the page, the full value on hover
    assert f'title="{publication.fingerprint}">{publication.fingerprint[:12]}<' in html
    text = visible_text(html)
    for code in ("section_head_review", "secrecy_review", "leadership_review",
                 "release_created", "website", "wechat"):
        assert code not in text, code


def test_timeline_shows_times_in_beijing_time(auditor, named_org, monkeypatch):
    moment = dt.datetime(2024, 3, 1, 16, 30, tzinfo=dt.UTC)  # 2024-03-02 00:30 in Beijing
    monkeypatch.setattr(timezone, "now", lambda: moment)
    publication = create_item(named_org)
    monkeypatch.undo()
    html = auditor.get(f"/app/audit/items/{publication.pk}/").content.decode()
    assert "2024-03-02 00:30:00" in html


def test_withholding_shows_its_legal_basis_in_words(auditor, named_org):
    publication = submitted_item(named_org)
    decide(named_org, publication, "head_office")
    decide(named_org, publication, "secrecy", "withhold", basis="state_secret",
           comment="涉及国家秘密")
    html = auditor.get(f"/app/audit/items/{publication.pk}/").content.decode()
    assert "不予公开" in html and "涉及国家秘密" in html
    assert "不予公开依据" in html and "属于国家秘密" in html
    assert "state_secret" not in visible_text(html)


def test_returned_round_and_resubmission_show_every_round(auditor, named_org):
    publication = submitted_item(named_org, title="第一稿标题")
    decide(named_org, publication, "head_office", "reject", comment="请补充发文依据")
    update_publication(user=named_org["drafter_office"], publication_id=publication.pk,
                       data={"title": "第二稿标题"})
    review.submit_publication(user=named_org["drafter_office"], publication_id=publication.pk)
    approve_through(named_org, publication, "head_office")

    html = auditor.get(f"/app/audit/items/{publication.pk}/").content.decode()
    assert "退回" in html and "请补充发文依据" in html
    assert "改动的内容" in html and "标题" in html
    assert f"/app/audit/items/{publication.pk}/rounds/1/" in html
    assert f"/app/audit/items/{publication.pk}/rounds/2/" in html

    second = auditor.get(f"/app/audit/items/{publication.pk}/rounds/2/")
    assert second.status_code == 200 and "第二稿标题" in second.content.decode()
    first = auditor.get(f"/app/audit/items/{publication.pk}/rounds/1/").content.decode()
    # round 1's content is kept by its submit event (when that records it) or not at all;
    # it is never the later content
    assert "第二稿标题" not in first
    assert "第一稿标题" in first or "该轮内容未留存" in first


def test_round_content_kept_by_the_round_is_shown_cleaned(auditor, named_org):
    publication = submitted_item(named_org, title="送审时的标题")
    ReviewProcess.objects.filter(publication=publication, round=1).update(data={
        "submitted": {"title": "留存的送审标题",
                      "body": "<p>留存正文</p><script>alert(1)</script>"}})
    html = auditor.get(f"/app/audit/items/{publication.pk}/rounds/1/").content.decode()
    assert "留存的送审标题" in html and "<p>留存正文</p>" in html
    assert "alert(1)" not in html
    assert "该轮内容未留存" not in html


def test_round_content_kept_by_the_review_round_is_shown(auditor, named_org):
    publication = submitted_item(named_org, title="送审时的标题")
    decide(named_org, publication, "head_office", "reject", comment="请修改标题")
    update_publication(user=named_org["drafter_office"], publication_id=publication.pk,
                       data={"title": "修改后的标题"})
    ReviewProcess.objects.filter(publication=publication, round=1).update(data={
        "submitted": {"title": "送审时的标题", "body": "<p>送审时的正文</p>"}})
    response = auditor.get(f"/app/audit/items/{publication.pk}/rounds/1/")
    assert response.context["content"].source == "round"
    html = response.content.decode()
    assert "送审时的标题" in html and "<p>送审时的正文</p>" in html
    assert "修改后的标题" not in html


def test_round_content_not_kept_anywhere_says_so(auditor, named_org):
    publication = submitted_item(named_org, title="送审时的标题")
    decide(named_org, publication, "head_office", "reject", comment="请修改标题")
    update_publication(user=named_org["drafter_office"], publication_id=publication.pk,
                       data={"title": "修改后的标题"})
    ReviewProcess.objects.filter(publication=publication, round=1).update(data={})
    html = auditor.get(f"/app/audit/items/{publication.pk}/rounds/1/").content.decode()
    assert "该轮内容未留存" in html and "修改后的标题" not in html


def test_a_round_never_submitted_is_not_found(auditor, named_org):
    publication = create_item(named_org)
    assert auditor.get(f"/app/audit/items/{publication.pk}/rounds/1/").status_code == 404
    html = auditor.get(f"/app/audit/items/{publication.pk}/").content.decode()
    assert "尚未提交审核" in html


# --- the trail: filters, paging, queries -------------------------------------------------


@pytest.fixture
def busy_trail(named_org):
    """Items of both sections at different stages, one returned with a comment."""
    fully_approved(named_org, title="办公室已发布")
    returned = submitted_item(named_org, "drafter_construction", title="建筑股被退回")
    decide(named_org, returned, "head_construction", "reject", comment="请补充附件")
    create_item(named_org, title="办公室草稿")
    return named_org


def test_trail_lists_the_agencys_events_newest_first(auditor, busy_trail):
    rows = listed(auditor.get("/app/audit/"))
    expected = list(AuditEvent.objects.filter(agency=busy_trail.agency)
                    .order_by("-seq").values_list("seq", flat=True))
    assert [e.seq for e in rows] == expected
    html = auditor.get("/app/audit/").content.decode()
    assert "建筑股被退回" in html and "请补充附件" in html
    assert f'href="/app/audit/items/{rows[0].item_id}/"' in html


def test_trail_filters_by_actor(auditor, busy_trail):
    head = busy_trail["head_office"]
    rows = listed(auditor.get("/app/audit/", {"actor": head.pk}))
    assert rows and {e.actor_id for e in rows} == {head.pk}
    html = auditor.get("/app/audit/").content.decode()
    assert "王科长（head_office）" in html  # the select names people


def test_trail_filters_by_action(auditor, busy_trail):
    rows = listed(auditor.get("/app/audit/", {"action": AuditAction.REJECT}))
    assert [e.comment for e in rows] == ["请补充附件"]


def test_trail_filters_by_section(auditor, busy_trail):
    rows = listed(auditor.get("/app/audit/", {"section": "construction"}))
    assert rows and {e.item_section for e in rows} == {
        Section.objects.get(agency=busy_trail.agency, code="construction").name}
    office = listed(auditor.get("/app/audit/", {"section": "office"}))
    assert office and not {e.pk for e in office} & {e.pk for e in rows}


def test_trail_filters_combine(auditor, busy_trail):
    rows = listed(auditor.get("/app/audit/", {"section": "office", "action": "approve"}))
    assert len(rows) == 3 and {e.tier for e in rows} == {
        "section_head_review", "secrecy_review", "leadership_review"}


def test_date_range_is_inclusive_and_in_beijing_time(auditor, named_org, monkeypatch):
    late_on_1st = dt.datetime(2024, 3, 1, 23, 30, tzinfo=BEIJING)
    early_on_2nd = dt.datetime(2024, 3, 2, 0, 30, tzinfo=BEIJING)
    items = {}
    for moment, title in ((late_on_1st, "三月一日深夜"), (early_on_2nd, "三月二日凌晨")):
        monkeypatch.setattr(timezone, "now", lambda moment=moment: moment.astimezone(dt.UTC))
        items[title] = create_item(named_org, title=title)
    monkeypatch.undo()

    def titles(**params):
        return [e.item_title for e in listed(auditor.get("/app/audit/", params))]

    assert titles(date_from="2024-03-01", date_to="2024-03-01") == ["三月一日深夜"]
    assert titles(date_from="2024-03-02", date_to="2024-03-02") == ["三月二日凌晨"]
    assert titles(date_from="2024-03-02") == ["三月二日凌晨"]
    assert titles(date_to="2024-03-01") == ["三月一日深夜"]
    assert titles(date_from="2024-03-01", date_to="2024-03-02") == ["三月二日凌晨", "三月一日深夜"]
    assert titles(date_from="2024-03-03") == []
    assert "没有符合条件的记录" in auditor.get(
        "/app/audit/", {"date_from": "2024-03-03"}).content.decode()


@pytest.mark.parametrize("params", [
    {"actor": "abc"}, {"actor": "999999"}, {"action": "bogus"}, {"section": "nope"},
    {"date_from": "2024-13-45"}, {"date_to": "昨天"},
    {"date_from": "2024-03-05", "date_to": "2024-03-01"},
], ids=["actor-text", "actor-unknown", "action", "section", "date-from", "date-to",
        "reversed-range"])
def test_invalid_filters_show_a_form_error_never_a_500(auditor, busy_trail, params):
    response = auditor.get("/app/audit/", params)
    assert response.status_code == 400
    assert response.context["form"].errors
    html = response.content.decode()
    assert "webui-field-error" in html and "筛选条件有误" in html
    assert auditor.get("/app/audit/export.csv", params).status_code == 400


def test_a_person_of_another_agency_is_not_a_valid_actor(auditor, busy_trail, other_org):
    response = auditor.get("/app/audit/", {"actor": other_org["head_office"].pk})
    assert response.status_code == 400 and "actor" in response.context["form"].errors


@pytest.mark.parametrize("page", ["2", "999", "x"])
def test_paging_never_fails(auditor, named_org, page):
    for _ in range(3):
        create_item(named_org)
    assert auditor.get("/app/audit/", {"page": page}).status_code == 200


def test_pages_hold_50_events_and_paging_keeps_the_filters(auditor, named_org):
    for _ in range(51):
        submitted_item(named_org)  # a create and a submit each
    assert len(listed(auditor.get("/app/audit/"))) == 50
    filtered = auditor.get("/app/audit/", {"action": "submit", "section": "office"})
    assert len(listed(filtered)) == 50
    next_link = re.search(r'href="(\?[^"]*cursor=before-[^"]*)"',
                          filtered.content.decode()).group(1)
    next_link = next_link.replace("&amp;", "&")
    assert "action=submit" in next_link and "section=office" in next_link
    rows = listed(auditor.get("/app/audit/" + next_link))
    assert len(rows) == 1 and rows[0].action == "submit"


def _older_link(response) -> str:
    link = re.search(r'href="(\?[^"]*cursor=before-[^"]*)"', response.content.decode())
    return link.group(1).replace("&amp;", "&")


def test_a_page_stays_the_same_while_new_events_are_written(auditor, named_org):
    for _ in range(60):
        create_item(named_org)
    first = auditor.get("/app/audit/")
    older = _older_link(first)
    second = [event.seq for event in listed(auditor.get("/app/audit/" + older))]
    for _ in range(7):
        create_item(named_org)  # new events at the head of the trail
    assert [event.seq for event in listed(auditor.get("/app/audit/" + older))] == second
    # and back: the newer page of the second is what the first page was
    newer = re.search(r'href="(\?[^"]*cursor=after-[^"]*)"',
                      auditor.get("/app/audit/" + older).content.decode()).group(1)
    back = listed(auditor.get("/app/audit/" + newer.replace("&amp;", "&")))
    assert [event.seq for event in back] == [event.seq for event in listed(first)]
    total = AuditEvent.objects.filter(agency=named_org.agency).count()
    assert f"共 {total} 条记录" in auditor.get("/app/audit/").content.decode()


@pytest.mark.parametrize("cursor", ["garbage", "before-", "before-abc", "after--3", "before-0",
                                    "sideways-12", "before-99999999999999999999999", "before-１２"])
def test_a_cursor_the_site_did_not_make_is_a_clear_400(auditor, named_org, cursor):
    create_item(named_org)
    response = auditor.get("/app/audit/", {"cursor": cursor})
    assert response.status_code == 400
    assert "翻页参数无效，请从第一页重新浏览。" in response.content.decode()


def test_old_page_number_links_still_open(auditor, named_org):
    for _ in range(30):
        submitted_item(named_org)
    seqs = list(AuditEvent.objects.filter(agency=named_org.agency).order_by("-seq")
                .values_list("seq", flat=True))
    rows = listed(auditor.get("/app/audit/", {"page": "2"}))
    assert [event.seq for event in rows] == seqs[50:100]


def test_the_api_trail_pages_by_cursor_and_refuses_garbage(named_org):
    publication = submitted_item(named_org)
    client = api(named_org["drafter_office"])
    url = f"/api/v1/publications/{publication.pk}/trail/"
    everything = [event["seq"] for event in client.get(url).json()["results"]]
    first = client.get(url, {"page_size": 1}).json()
    assert first["count"] == len(everything) and first["previous"] is None
    assert "cursor=after-" in first["next"]
    second = client.get(first["next"]).json()
    assert [event["seq"] for event in first["results"] + second["results"]] == everything[:2]
    assert client.get(url, {"page": 1}).json()["results"] == client.get(url).json()["results"]
    refused = client.get(url, {"cursor": "after-x"})
    assert refused.status_code == 400 and "cursor" in refused.json()


def _trail_queries(client, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/app/audit/", params)
    assert response.status_code == 200
    return len(queries)


def test_trail_page_query_count_is_the_same_for_few_and_many_events(auditor, named_org):
    params = {"section": "office", "actor": named_org["head_office"].pk,
              "date_from": "2000-01-01"}
    fully_approved(named_org)
    few = (_trail_queries(auditor, {}), _trail_queries(auditor, params))
    for _ in range(8):
        fully_approved(named_org)
    assert AuditEvent.objects.filter(agency=named_org.agency).count() > 50
    assert (_trail_queries(auditor, {}), _trail_queries(auditor, params)) == few


# --- CSV export ----------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.streaming
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_csv_export_has_a_bom_chinese_headers_and_the_filtered_rows(auditor, busy_trail):
    response = auditor.get("/app/audit/export.csv", {"section": "office", "action": "approve"})
    assert response["Content-Type"].startswith("text/csv")
    today = timezone.localdate(timezone=BEIJING).isoformat()
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and today in disposition
    rows = _csv(response)
    header, body = rows[0], rows[1:]
    assert header == ["序号", "时间", "信息编号", "信息标题", "科室", "操作人", "审核环节", "动作",
                      "审核轮次", "内容指纹", "意见", "附加信息"]
    assert len(body) == 3
    assert {row[7] for row in body} == {"通过"}
    assert {row[6] for row in body} == {"科室审核", "保密审查", "领导审签"}
    assert {row[4] for row in body} == {"办公室"}
    assert "孙局长（leader）" in {row[5] for row in body}
    assert "同意发布" in {row[10] for row in body}
    expected = list(AuditEvent.objects.filter(agency=busy_trail.agency, action="approve",
                                              subject_id__in=Publication.objects.filter(
                                                  section__code="office").values("pk"))
                    .order_by("-seq").values_list("seq", flat=True))
    assert [int(row[0]) for row in body] == expected


def test_csv_export_without_filters_has_every_event_and_details_in_words(auditor, busy_trail):
    rows = _csv(auditor.get("/app/audit/export.csv"))[1:]
    assert len(rows) == AuditEvent.objects.filter(agency=busy_trail.agency).count()
    released = [row for row in rows if row[7] == "生成发布任务"]
    assert released and all("发布渠道：" in row[11] for row in released)


def test_csv_cells_that_look_like_formulas_are_defused(auditor, named_org):
    publication = submitted_item(named_org)
    decide(named_org, publication, "head_office", "reject", comment="=HYPERLINK(\"x\")")
    rows = _csv(auditor.get("/app/audit/export.csv", {"action": "reject"}))
    assert rows[1][10] == "'=HYPERLINK(\"x\")"


# --- verifying the chain ---------------------------------------------------------------


@pytest.fixture
def run_checks(django_capture_on_commit_callbacks):
    """Run the checks a request queued (tasks run in-process once its transaction commits,
    as in the embedded mode)."""
    def post(client):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/app/audit/verify/")
    return post


def test_verify_page_says_not_yet_checked_and_offers_the_button(auditor, named_org):
    html = auditor.get("/app/audit/verify/").content.decode()
    assert "尚未校验" in html
    assert "开始校验" in html and 'method="post"' in html


def test_verify_post_starts_a_check_and_redirects_to_the_page(auditor, busy_trail,
                                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:  # queued, not yet run
        response = auditor.post("/app/audit/verify/")
    assert response.status_code == 302 and response["Location"] == "/app/audit/verify/"
    assert len(callbacks) == 1
    html = auditor.get("/app/audit/verify/").content.decode()
    assert "排队中" in html and 'id="verify-pending"' in html and "尚未校验" not in html
    assert "window.location.reload" in html


def test_a_running_check_shows_its_progress(auditor, busy_trail):
    now = timezone.now()
    ChainVerification.objects.create(
        agency=busy_trail.agency, requested_by=busy_trail["auditor"], requested_at=now,
        updated_at=now, started_at=now, status="running", events_checked=4000, head_seq=10000)
    html = auditor.get("/app/audit/verify/").content.decode()
    assert "正在校验" in html and "4000 / 10000 条（40%）" in html
    assert 'value="40"' in html and 'id="verify-pending"' in html


def test_verify_reports_ok_on_an_intact_chain(auditor, busy_trail, run_checks):
    response = run_checks(auditor)
    assert response.status_code == 302
    response = auditor.get("/app/audit/verify/")
    html = response.content.decode()
    count = AuditEvent.objects.filter(agency=busy_trail.agency).count()
    assert "校验通过" in html
    assert f"{count} / {count} 条（100%）" in html and "完成时间" in html
    assert 'id="verify-pending"' not in html
    assert response.context["verification"].events_checked == count


@pytest.mark.postgres
def test_verify_reports_the_altered_event(auditor, busy_trail, run_checks):
    target = AuditEvent.objects.filter(agency=busy_trail.agency).order_by("seq")[4]
    with_trigger_disabled("UPDATE audit_auditevent SET comment = '事后补写' WHERE id = %s",
                          [target.pk])
    run_checks(auditor)
    html = auditor.get("/app/audit/verify/").content.decode()
    assert "校验未通过" in html
    assert f"第 {target.seq} 号事件被改动" in html
    assert f'href="/app/audit/items/{target.subject_id}/"' in html
    assert "altered" not in visible_text(html)


@pytest.mark.postgres
def test_verify_reports_a_deleted_event_as_missing(auditor, busy_trail, run_checks):
    target = AuditEvent.objects.filter(agency=busy_trail.agency).order_by("seq")[2]
    with_trigger_disabled("DELETE FROM audit_auditevent WHERE id = %s", [target.pk])
    run_checks(auditor)
    assert f"第 {target.seq} 号事件缺失" in auditor.get("/app/audit/verify/").content.decode()


@pytest.mark.postgres
def test_verify_checks_only_the_auditors_agency(auditor, busy_trail, other_org, run_checks):
    submitted_item(other_org)
    target = AuditEvent.objects.filter(agency=other_org.agency).order_by("seq").first()
    with_trigger_disabled("UPDATE audit_auditevent SET comment = 'x' WHERE id = %s",
                          [target.pk])
    run_checks(auditor)
    assert "校验通过" in auditor.get("/app/audit/verify/").content.decode()


def test_other_agencies_checks_are_not_shown(auditor, busy_trail, other_org):
    now = timezone.now()
    ChainVerification.objects.create(
        agency=other_org.agency, requested_at=now, updated_at=now, finished_at=now,
        status="broken", break_kind="altered", break_seq=1, events_checked=1, head_seq=3)
    html = auditor.get("/app/audit/verify/").content.decode()
    assert "尚未校验" in html and "校验未通过" not in html


def test_every_kind_of_break_the_verifier_reports_is_told_in_chinese(org):
    from audit.verification import Break, ChainReport
    from webui.audit_views import chain_problem_text

    cases = {
        Break.MISSING: "第 3 号事件缺失",
        Break.UNLINKED: "第 3 号事件与前一事件衔接不上",
        Break.ALTERED: "第 3 号事件被改动",
        Break.TRUNCATED: "第 3 号及之后的事件缺失",
        "something new": "第 3 号事件未通过校验",
    }
    for kind, told in cases.items():
        report = ChainReport(org.agency.code, 3, False, "the verifier's own words", 3, kind)
        assert told in chain_problem_text(report), kind


# --- who may see what --------------------------------------------------------------------


def test_another_agencys_item_is_not_found(auditor, named_org, other_org):
    publication = fully_approved(other_org)
    assert auditor.get(f"/app/audit/items/{publication.pk}/").status_code == 404
    assert auditor.get(f"/app/audit/items/{publication.pk}/rounds/1/").status_code == 404
    assert auditor.get("/app/audit/items/999999/").status_code == 404


def test_the_trail_and_export_hold_only_the_auditors_agency(auditor, busy_trail, other_org):
    fully_approved(other_org, title="其他机关的信息")
    rows = listed(auditor.get("/app/audit/"))
    assert {e.agency_id for e in rows} == {busy_trail.agency.pk}
    assert "其他机关的信息" not in auditor.get("/app/audit/export.csv").getvalue().decode()


AUDIT_URLS = ["/app/audit/", "/app/audit/export.csv", "/app/audit/verify/",
              "/app/audit/items/{pk}/", "/app/audit/items/{pk}/rounds/1/"]


@pytest.mark.parametrize("username", ["drafter_office", "head_office", "secrecy", "leader",
                                      "publisher", "admin"])
def test_people_without_the_auditor_role_get_403(client, named_org, username):
    publication = submitted_item(named_org)
    client.force_login(named_org[username])
    for url in AUDIT_URLS:
        assert client.get(url.format(pk=publication.pk)).status_code == 403, url
    assert client.post("/app/audit/verify/").status_code == 403
    assert 'data-testid="app-audit"' not in client.get("/app/items/").content.decode()


def test_anonymous_people_are_sent_to_the_login_page(client, named_org):
    response = client.get("/app/audit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/app/login/?next=/app/audit/")


def test_the_auditor_finds_the_pages_in_the_drawer(auditor, named_org):
    html = auditor.get("/app/audit/").content.decode()
    assert 'data-testid="app-audit"' in html
    for label in ("审计日志", "校验"):
        assert label in html


def _main_part(html) -> str:
    """The page's own content (the frame around it is checked by test_i18n)."""
    return html[html.index('<div class="webui-content"'):]


@pytest.mark.postgres
def test_the_auditors_pages_have_no_english_in_chinese(auditor, busy_trail, run_checks):
    withheld = submitted_item(busy_trail, title="不予公开的信息")
    decide(busy_trail, withheld, "head_office")
    decide(busy_trail, withheld, "secrecy", "withhold", basis="third_party_rights",
           comment="涉及第三方")
    approved = AuditEvent.objects.filter(agency=busy_trail.agency,
                                         action="release_created").first().subject_id
    people = [user.username for user in busy_trail.users.values()]
    pages = [auditor.get("/app/audit/"),
             auditor.get("/app/audit/", {"actor": "x", "date_from": "昨天"}),
             auditor.get("/app/audit/", {"date_from": "2000-01-01", "date_to": "2000-01-02"}),
             auditor.get(f"/app/audit/items/{approved}/"),
             auditor.get(f"/app/audit/items/{withheld.pk}/"),
             auditor.get(f"/app/audit/items/{approved}/rounds/1/"),
             auditor.get("/app/audit/verify/")]
    run_checks(auditor)
    pages.append(auditor.get("/app/audit/verify/"))
    target = AuditEvent.objects.filter(agency=busy_trail.agency).order_by("seq")[3]
    with_trigger_disabled("UPDATE audit_auditevent SET comment = 'x' WHERE id = %s",
                          [target.pk])
    run_checks(auditor)
    pages.append(auditor.get("/app/audit/verify/"))
    now = timezone.now()
    ChainVerification.objects.create(agency=busy_trail.agency, requested_at=now,
                                     updated_at=now, status="running", head_seq=9)
    pages.append(auditor.get("/app/audit/verify/"))
    for response in pages:
        html = _main_part(response.content.decode())
        assert english_words(html, extra_allowed=people) == [], response.request

