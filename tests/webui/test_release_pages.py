"""The publisher's pages: the queues, a release's page, confirming, retrying and asking for a
retraction; the notices that bring publishers, drafters and leaders there."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from notifications.models import Notification
from releases.models import Release, RetractionRequest
from tests.releases import conftest as release_fixtures
from tests.releases.helpers import approved

pytestmark = pytest.mark.django_db

# the loopback webhook receiver and the fake WeChat server, as the release tests use them
channels, receiver, wechat = (release_fixtures.channels, release_fixtures.receiver,
                              release_fixtures.wechat)


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.status_code
    return response.content.decode()


@pytest.fixture
def paper(channels, django_capture_on_commit_callbacks):
    publication = approved(channels, ["jiaozuo_daily"], django_capture_on_commit_callbacks,
                           title="关于道路施工的公告")
    return Release.objects.get(publication=publication)


def test_publisher_lands_on_the_awaiting_queue_and_sees_the_newspaper_release(
        client, channels, paper):
    client.force_login(channels["publisher"])
    response = client.get("/app/", follow=True)
    assert response.redirect_chain[-1][0] == "/app/releases/"
    html = response.content.decode()
    assert "关于道路施工的公告" in html and "焦作日报" in html
    assert f'data-testid="release-{paper.pk}"' in html


def test_queues_filter_by_channel_title_and_date(client, channels, paper,
                                                 django_capture_on_commit_callbacks):
    client.force_login(channels["publisher"])
    other_channel = channels.agency.channels.get(code="website")
    assert f"release-{paper.pk}" in page(client, "/app/releases/?q=道路施工")
    assert f"release-{paper.pk}" not in page(client, "/app/releases/?q=不存在的标题")
    assert f"release-{paper.pk}" not in page(client,
                                             f"/app/releases/?channel={other_channel.pk}")
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert f"release-{paper.pk}" not in page(client, f"/app/releases/?date_from={tomorrow}")
    assert f"release-{paper.pk}" in page(client, f"/app/releases/?date_to={tomorrow}")
    assert f"release-{paper.pk}" not in page(client, "/app/releases/failed/")
    assert "没有发布失败的信息" in page(client, "/app/releases/failed/")
    # a date that is no date: the filter says so, the page does not break
    assert client.get("/app/releases/?date_from=2026-13-45").status_code == 422


def test_confirming_with_a_scan_publishes_the_release(client, channels, paper):
    client.force_login(channels["publisher"])
    today = timezone.localdate().isoformat()
    scan = SimpleUploadedFile("scan.jpg", b"\xff\xd8\xff fake jpeg", content_type="image/jpeg")
    response = client.post(f"/app/releases/{paper.pk}/confirm/", {
        "published_on": today, "reference": "第3版", "scan": scan, "confirmed": "on"})
    assert response.status_code == 302
    paper.refresh_from_db()
    assert paper.status == "published" and paper.reference == "第3版"
    assert paper.confirmation_scan.name.endswith(".jpg")
    assert paper.confirmed_by == channels["publisher"]
    assert f"release-{paper.pk}" in page(client, "/app/releases/published/")
    assert f"release-{paper.pk}" not in page(client, "/app/releases/")


def test_confirming_with_bad_input_answers_422_with_the_errors_by_the_fields(
        client, channels, paper):
    client.force_login(channels["publisher"])
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    response = client.post(f"/app/releases/{paper.pk}/confirm/", {
        "published_on": future, "reference": "第3版", "confirmed": "on"})
    assert response.status_code == 422
    assert "刊发日期不能晚于今天" in response.content.decode()
    response = client.post(f"/app/releases/{paper.pk}/confirm/", {
        "published_on": "not a date", "reference": ""})
    assert response.status_code == 422
    assert "请勾选确认" in response.content.decode()
    paper.refresh_from_db()
    assert paper.status == "awaiting_confirmation"


def test_a_failed_release_is_listed_with_its_error_and_can_be_retried(
        client, channels, receiver, django_capture_on_commit_callbacks):
    receiver.script = [400]
    publication = approved(channels, ["wenxian_fabu"], django_capture_on_commit_callbacks)
    release = Release.objects.get(publication=publication)
    assert release.status == "failed"
    client.force_login(channels["publisher"])
    assert f"release-{release.pk}" in page(client, "/app/releases/failed/")
    html = page(client, f"/app/releases/{release.pk}/")
    assert "HTTP 400" in html and 'data-testid="retry-button"' in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/app/releases/{release.pk}/retry/")
    assert response.status_code == 302
    release.refresh_from_db()
    assert release.status == "published"
    # retrying what is no longer failed is refused with a message, not a 500
    response = client.post(f"/app/releases/{release.pk}/retry/", follow=True)
    assert response.status_code == 200 and "只有发布失败的记录可以重新发布" in (
        response.content.decode())
    assert client.get(f"/app/releases/{release.pk}/retry/").status_code == 405


def test_requesting_a_retraction_needs_a_reason_and_creates_one_request(
        client, channels, paper):
    client.force_login(channels["publisher"])
    url = f"/app/releases/{paper.pk}/request-retraction/"
    response = client.post(url, {"reason": "  ", "confirmed": "on"})
    assert response.status_code == 422
    assert not RetractionRequest.objects.exists()
    assert client.post(url, {"reason": "数据有误"}).status_code == 422  # not confirmed
    assert client.post(url, {"reason": "数据有误", "confirmed": "on"}).status_code == 302
    [request] = RetractionRequest.objects.all()
    assert request.reason == "数据有误" and request.requested_by == channels["publisher"]
    assert 'data-testid="pending-retraction"' in page(client, f"/app/releases/{paper.pk}/")


def test_the_printable_notice_is_linked_from_a_board_release(client, channels, paper):
    client.force_login(channels["publisher"])
    html = page(client, f"/app/releases/{paper.pk}/")
    assert f'href="/releases/{paper.pk}/notice/"' in html


def test_non_publishers_get_403_and_another_agency_404(client, channels, other_org, paper):
    for username in ("drafter_office", "leader", "auditor"):
        client.force_login(channels[username])
        assert client.get("/app/releases/").status_code == 403
        assert client.get(f"/app/releases/{paper.pk}/").status_code == 403
        assert client.post(f"/app/releases/{paper.pk}/retry/").status_code == 403
    client.force_login(other_org["publisher"])
    assert client.get(f"/app/releases/{paper.pk}/").status_code == 404
    assert f"release-{paper.pk}" not in page(client, "/app/releases/")
    assert client.post(f"/app/releases/{paper.pk}/confirm/", {
        "published_on": timezone.localdate().isoformat(), "reference": "x",
        "confirmed": "on"}).status_code == 404
    client.logout()
    assert client.get("/app/releases/").status_code == 302


# --- notices -------------------------------------------------------------------------------


def test_publishers_are_told_a_release_awaits_confirmation(channels, paper):
    [notice] = Notification.objects.filter(kind="release_awaiting")
    assert notice.recipient == channels["publisher"]
    assert notice.link == f"/app/releases/{paper.pk}/" and notice.message == "焦作日报"


def test_a_failed_release_tells_publishers_the_drafter_and_the_covering_leaders(
        channels, receiver, django_capture_on_commit_callbacks):
    receiver.script = [400]
    publication = approved(channels, ["wenxian_fabu"], django_capture_on_commit_callbacks)
    release = Release.objects.get(publication=publication)
    notices = {n.recipient.username: n for n in Notification.objects.filter(
        kind="release_failed")}
    # the office is covered by "leader" only; leader_construction covers another section
    assert set(notices) == {"publisher", "drafter_office", "leader"}
    assert notices["publisher"].link == f"/app/releases/{release.pk}/"
    assert notices["drafter_office"].link == f"/app/items/{publication.pk}/"
    assert "温县发布" in notices["leader"].message and "HTTP 400" in notices["leader"].message
    assert not Notification.objects.filter(kind="release_awaiting").exists()


def test_a_release_that_only_waits_for_a_retry_tells_nobody_yet(
        channels, receiver, django_capture_on_commit_callbacks):
    receiver.script = [503]
    approved(channels, ["wenxian_fabu"], django_capture_on_commit_callbacks)
    assert not Notification.objects.filter(kind="release_failed").exists()
