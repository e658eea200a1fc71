"""The leader's 撤稿 pages: retracting from the item page after a confirmation that lists
each channel, the queue of publishers' retraction requests with approval and refusal, and
the item page's record of who retracted or withheld it, when and why."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from publications.models import Publication
from releases.models import Release, RetractionRequest
from releases.services import request_retraction
from tests.releases import conftest as release_fixtures
from tests.releases.helpers import approved, statuses
from testsupport.factories import approve_through, create_item, submitted_item, task_for
from workflow.services import withhold_task

pytestmark = pytest.mark.django_db

channels, receiver, wechat = (release_fixtures.channels, release_fixtures.receiver,
                              release_fixtures.wechat)


def html_of(response):
    return response.content.decode()


@pytest.fixture
def released(channels, receiver, django_capture_on_commit_callbacks):
    """An office item on the site (published) and a webhook that refused it (failed)."""
    receiver.script = [400]
    publication = approved(channels, ["website", "wenxian_fabu"],
                           django_capture_on_commit_callbacks, title="关于道路施工的公告")
    assert statuses(publication) == {"website": "published", "wenxian_fabu": "failed"}
    return publication


def retract_url(publication):
    return f"/app/items/{publication.pk}/retract/"


# ---------------------------------------------------------------- 撤稿 from the item page


def test_the_confirmation_lists_each_channel_and_what_will_happen_to_it(
        client, channels, released):
    client.force_login(channels["leader"])
    item_page = html_of(client.get(f"/app/items/{released.pk}/"))
    assert 'data-testid="retract-link"' in item_page and retract_url(released) in item_page
    response = client.get(retract_url(released))
    assert response.status_code == 200
    html = html_of(response)
    website = html.split('data-testid="plan-website"')[1].split("</tr>")[0]
    webhook = html.split('data-testid="plan-wenxian_fabu"')[1].split("</tr>")[0]
    assert "公开专栏" in website and "将通过渠道撤回" in website
    assert "温县发布" in webhook and "尚未发出，直接撤回" in webhook
    assert "我已确认" in html


def test_a_leader_retracts_with_a_reason_and_every_channel_is_taken_back(
        client, channels, released, django_capture_on_commit_callbacks):
    client.force_login(channels["leader"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retract_url(released),
                               {"reason": "数据有误，需更正", "confirmed": "on"})
    assert response.status_code == 302 and response.url == f"/app/items/{released.pk}/"
    released.refresh_from_db()
    assert released.status == "retracted"
    assert statuses(released) == {"website": "retracted", "wenxian_fabu": "retracted"}
    [event] = AuditEvent.objects.filter(action="retract", subject_id=released.pk)
    assert event.actor == channels["leader"] and event.comment == "数据有误，需更正"
    html = html_of(client.get(response.url))
    assert "已撤稿" in html and 'data-testid="retract-link"' not in html
    record = html.split('data-testid="end-record"')[1]
    assert "leader" in record and "数据有误，需更正" in record and "领导直接撤稿" in record
    # retracting again is refused with a message, not a 500
    response = client.post(retract_url(released), {"reason": "再撤", "confirmed": "on"},
                           follow=True)
    assert response.status_code == 200 and "只有已通过发布的信息可以撤稿" in html_of(response)


def test_no_reason_or_no_confirmation_answers_422_with_the_form(client, channels, released):
    client.force_login(channels["leader"])
    response = client.post(retract_url(released), {"reason": "  ", "confirmed": "on"})
    assert response.status_code == 422 and "请填写撤稿理由" in html_of(response)
    response = client.post(retract_url(released), {"reason": "数据有误"})
    assert response.status_code == 422 and "请勾选确认" in html_of(response)
    assert 'data-testid="retraction-plan"' in html_of(response)
    released.refresh_from_db()
    assert released.status == "approved"
    assert not AuditEvent.objects.filter(action="retract").exists()


def test_only_a_leader_covering_the_section_may_retract(client, channels, released):
    for username in ("drafter_office", "publisher", "head_office", "leader_construction"):
        client.force_login(channels[username])
        assert client.get(retract_url(released)).status_code == 403, username
        assert client.post(retract_url(released),
                           {"reason": "x", "confirmed": "on"}).status_code == 403, username
        assert 'data-testid="retract-link"' not in html_of(
            client.get(f"/app/items/{released.pk}/"))
    released.refresh_from_db()
    assert released.status == "approved"
    assert client.put(retract_url(released)).status_code == 405


def test_another_agencys_leader_gets_404(client, channels, other_org, released):
    client.force_login(other_org["leader"])
    assert client.get(retract_url(released)).status_code == 404
    assert client.post(retract_url(released),
                       {"reason": "x", "confirmed": "on"}).status_code == 404


def test_an_item_not_released_cannot_be_retracted(client, org):
    item = submitted_item(org)
    client.force_login(org["leader"])
    assert 'data-testid="retract-link"' not in html_of(client.get(f"/app/items/{item.pk}/"))
    response = client.get(retract_url(item), follow=True)
    assert "只有已通过发布的信息可以撤稿" in html_of(response)


# ---------------------------------------------------------------- the queue of requests


@pytest.fixture
def construction_item(channels, django_capture_on_commit_callbacks):
    publication = submitted_item(channels, "drafter_construction", channels=["website"],
                                 title="建筑工地检查结果")
    approve_through(channels, publication, "head_construction", "secrecy")
    with django_capture_on_commit_callbacks(execute=True):
        approve_through(channels, publication, "leader_construction")
    return publication


def ask(org, publication, reason="附件有误"):
    return request_retraction(user=org["publisher"], publication_id=publication.pk,
                              reason=reason)


def test_the_queue_lists_only_requests_of_covered_sections(
        client, channels, released, construction_item):
    office_request = ask(channels, released, "标题有错别字")
    construction_request = ask(channels, construction_item)
    client.force_login(channels["leader"])
    html = html_of(client.get("/app/review/retractions/"))
    assert f"retraction-{office_request.pk}" in html
    assert f"retraction-{construction_request.pk}" in html
    assert "标题有错别字" in html and "publisher" in html
    client.force_login(channels["leader_construction"])
    html = html_of(client.get("/app/review/retractions/"))
    assert f"retraction-{office_request.pk}" not in html
    assert f"retraction-{construction_request.pk}" in html
    assert client.get(f"/app/review/retractions/{office_request.pk}/").status_code == 403


def test_the_empty_queue_says_what_it_is_for_and_the_menu_shows_it_to_leaders(client, org):
    client.force_login(org["leader"])
    html = html_of(client.get("/app/review/retractions/"))
    assert 'data-testid="empty"' in html and "发布员申请撤下已发布的信息时" in html
    assert 'href="/app/review/retractions/"' in html
    assert "还没有处理过的撤稿申请" in html_of(client.get("/app/review/retractions/decided/"))
    client.force_login(org["head_office"])
    assert 'href="/app/review/retractions/"' not in html_of(client.get("/app/review/"))
    assert client.get("/app/review/retractions/").status_code == 403


def test_others_are_refused(client, channels, other_org, released):
    retraction = ask(channels, released)
    for username in ("publisher", "drafter_office", "secrecy", "auditor"):
        client.force_login(channels[username])
        assert client.get("/app/review/retractions/").status_code == 403, username
        assert client.get(f"/app/review/retractions/{retraction.pk}/").status_code == 403
    client.force_login(other_org["leader"])
    assert client.get(f"/app/review/retractions/{retraction.pk}/").status_code == 404
    assert client.post(f"/app/review/retractions/{retraction.pk}/approve/",
                       {"confirmed": "on"}).status_code == 404
    assert f"retraction-{retraction.pk}" not in html_of(
        client.get("/app/review/retractions/"))


def test_approving_a_request_retracts_the_item(
        client, channels, released, django_capture_on_commit_callbacks):
    retraction = ask(channels, released, "数据口径错误")
    client.force_login(channels["leader"])
    url = f"/app/review/retractions/{retraction.pk}/"
    html = html_of(client.get(url))
    assert "数据口径错误" in html and "将通过渠道撤回" in html and "尚未发出，直接撤回" in html
    assert client.get(url + "approve/").status_code == 405
    response = client.post(url + "approve/", {"comment": "同意"})
    assert response.status_code == 422 and "请勾选确认" in html_of(response)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url + "approve/", {"comment": "同意", "confirmed": "on"})
    assert response.status_code == 302 and response.url == "/app/review/retractions/"
    retraction.refresh_from_db()
    released.refresh_from_db()
    assert retraction.status == "approved" and retraction.decided_by == channels["leader"]
    assert released.status == "retracted"
    assert statuses(released) == {"website": "retracted", "wenxian_fabu": "retracted"}
    [event] = AuditEvent.objects.filter(action="retract", subject_id=released.pk)
    assert event.data["request"] == retraction.pk and event.comment == "数据口径错误"
    assert f"retraction-{retraction.pk}" not in html_of(
        client.get("/app/review/retractions/"))
    decided = html_of(client.get("/app/review/retractions/decided/"))
    assert f"retraction-{retraction.pk}" in decided and "已批准并撤稿" in decided
    record = html_of(client.get(f"/app/items/{released.pk}/")).split(
        'data-testid="end-record"')[1]
    assert "批准发布员 publisher 的撤稿申请" in record and "数据口径错误" in record
    assert "同意" in record
    # deciding twice is refused with a message
    response = client.post(url + "decline/", {"comment": "不同意"}, follow=True)
    assert "该撤稿申请已处理" in html_of(response)


def test_declining_needs_a_comment_and_leaves_the_item_out(client, channels, released):
    retraction = ask(channels, released)
    client.force_login(channels["leader"])
    url = f"/app/review/retractions/{retraction.pk}/decline/"
    assert client.get(url).status_code == 405
    response = client.post(url, {"comment": " "})
    assert response.status_code == 422 and "请填写审批意见" in html_of(response)
    assert client.post(url, {"comment": "信息无误，无需撤稿"}).status_code == 302
    retraction.refresh_from_db()
    released.refresh_from_db()
    assert retraction.status == "declined" and released.status == "approved"
    assert AuditEvent.objects.filter(action="retraction_declined",
                                     subject_id=released.pk).exists()
    html = html_of(client.get(f"/app/review/retractions/{retraction.pk}/"))
    assert "信息无误，无需撤稿" in html and 'data-testid="approve"' not in html


def test_the_queue_costs_the_same_queries_for_5_and_20_requests(client, org):
    client.force_login(org["leader"])

    def count(n):
        RetractionRequest.objects.all().delete()
        for i in range(n):
            item = create_item(org, title=f"信息 {i}")
            Publication.objects.filter(pk=item.pk).update(status="approved")
            RetractionRequest.objects.create(publication=item, requested_by=org["publisher"],
                                             reason=f"理由 {i}")
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/app/review/retractions/")
        assert response.status_code == 200 and html_of(response).count(
            'data-testid="retraction-') == n + 2  # rows, the tabs and the table
        return len(queries)

    assert count(5) == count(20)


# ---------------------------------------------------------------- the record of 不予公开


def test_the_item_page_shows_who_withheld_it_when_and_on_what_legal_basis(client, org):
    item = submitted_item(org, title="涉密事项")
    approve_through(org, item, "head_office")
    withhold_task(user=org["secrecy"], task_id=task_for(org["secrecy"], item).pk,
                  basis="state_secret", comment="内容涉及国家秘密")
    client.force_login(org["drafter_office"])
    html = html_of(client.get(f"/app/items/{item.pk}/"))
    record = html.split('data-testid="end-record"')[1]
    assert "secrecy" in record and "属于国家秘密" in record and "内容涉及国家秘密" in record
    assert 'data-testid="retract-link"' not in html


def test_an_item_still_out_shows_no_record(client, channels, released):
    client.force_login(channels["leader"])
    assert 'data-testid="end-record"' not in html_of(client.get(f"/app/items/{released.pk}/"))
    assert Release.objects.filter(publication=released).count() == 2
