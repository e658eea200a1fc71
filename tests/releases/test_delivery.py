"""Releases reaching their channels, in-process (the Celery worker tests are separate)."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from agencies.models import Channel
from audit.selectors import subject_trail
from notifications.models import Notification
from releases import delivery
from releases.adapters import WeChatAdapter
from releases.models import Release
from releases.services import retract_publication
from releases.tasks import deliver_release, sweep_outbox
from testsupport.factories import api, approve_through, submitted_item

from .helpers import approved, make_due, statuses

pytestmark = pytest.mark.django_db


def test_final_approval_delivers_to_every_kind_of_channel(
        channels, receiver, wechat, django_capture_on_commit_callbacks):
    wechat.script_publish(["success"])
    publication = approved(channels, ["website", "wechat", "wenxian_fabu", "jiaozuo_daily"],
                           django_capture_on_commit_callbacks)
    assert statuses(publication) == {"website": "published", "wechat": "published",
                                     "wenxian_fabu": "published",
                                     "jiaozuo_daily": "awaiting_confirmation"}
    site = Release.objects.get(publication=publication, channel__code="website")
    assert site.external_url.endswith(f"/gk/{channels.agency.code}/items/{publication.pk}/")
    assert site.published_on == timezone.localdate()
    wechat_release = Release.objects.get(publication=publication, channel__code="wechat")
    assert wechat_release.external_url.startswith(wechat.base_url)
    [event] = receiver.accepted("publication.released")
    assert event["body"]["data"]["id"] == publication.pk
    assert event["body"]["data"]["title"] == publication.title
    actions = list(subject_trail(subject=publication)
                   .values_list("action", flat=True))
    assert actions.count("release_published") == 3
    assert actions.count("release_awaiting_confirmation") == 1


def test_wechat_publishing_is_polled_until_it_succeeds(
        channels, wechat, django_capture_on_commit_callbacks):
    wechat.script_publish(["publishing", "publishing", "success"])
    publication = approved(channels, ["wechat"], django_capture_on_commit_callbacks)
    release = Release.objects.get(publication=publication)
    assert release.status == "sending" and release.external_id
    for _ in range(2):
        make_due()
        delivery.deliver(release.pk)
    release.refresh_from_db()
    assert release.status == "published" and release.external_url
    assert wechat.calls_to("freepublish/submit") == 1  # polled, never submitted twice


def test_receiver_answering_500_then_200_gets_one_delivery_after_a_retry(
        channels, receiver, django_capture_on_commit_callbacks):
    receiver.script = [500]
    publication = approved(channels, ["wenxian_fabu"], django_capture_on_commit_callbacks)
    release = Release.objects.get(publication=publication)
    assert release.status == "pending" and release.next_attempt_at > timezone.now()
    assert "HTTP 500" in release.error
    assert delivery.deliver(release.pk).delay is None  # not due yet: nothing is sent
    assert len(receiver.received) == 1
    make_due()
    delivery.deliver(release.pk)
    release.refresh_from_db()
    assert release.status == "published" and release.attempts == 2
    assert [r["status"] for r in receiver.received] == [500, 200]
    assert len({r["id"] for r in receiver.received}) == 1  # the same webhook-id on the retry
    assert len(receiver.accepted()) == 1


def test_receiver_answering_400_fails_at_once_and_a_publisher_can_retry(
        channels, receiver, django_capture_on_commit_callbacks):
    receiver.script = [400]
    publication = approved(channels, ["wenxian_fabu"], django_capture_on_commit_callbacks)
    release = Release.objects.get(publication=publication)
    assert release.status == "failed" and "HTTP 400" in release.error
    assert subject_trail(subject=publication).filter(action="release_failed").exists()
    listed = api(channels["publisher"]).get("/api/v1/releases/?status=failed").json()
    assert [r["id"] for r in listed["results"]] == [release.pk]
    assert api(channels["auditor"]).post(f"/api/v1/releases/{release.pk}/retry/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = api(channels["publisher"]).post(f"/api/v1/releases/{release.pk}/retry/")
    assert response.status_code == 200
    release.refresh_from_db()
    assert release.status == "published"
    assert len(receiver.accepted()) == 1
    assert api(channels["publisher"]).post(
        f"/api/v1/releases/{release.pk}/retry/").status_code == 409


def test_retries_give_up_after_the_limit(channels, receiver, settings,
                                         django_capture_on_commit_callbacks):
    settings.RELEASE_MAX_ATTEMPTS = 3
    receiver.script = [503, 503, 503, 503]
    publication = approved(channels, ["wenxian_fabu"], django_capture_on_commit_callbacks)
    release = Release.objects.get(publication=publication)
    for _ in range(2):
        make_due()
        delivery.deliver(release.pk)
    release.refresh_from_db()
    assert release.status == "failed" and "重试 3 次后仍失败" in release.error


def test_a_redelivered_task_never_publishes_twice(channels, receiver,
                                                  django_capture_on_commit_callbacks):
    publication = approved(channels, ["wenxian_fabu", "website"],
                           django_capture_on_commit_callbacks)
    for release in Release.objects.filter(publication=publication):
        assert delivery.deliver(release.pk).delay is None
    assert len(receiver.received) == 1
    assert subject_trail(subject=publication).filter(action="release_published").count() == 2


def test_a_worker_that_died_mid_send_is_picked_up_by_the_sweeper(
        channels, receiver, django_capture_on_commit_callbacks):
    publication = submitted_item(channels, channels=["wenxian_fabu"])
    approve_through(channels, publication, "head_office", "secrecy", "leader")  # no dispatch
    release = Release.objects.get(publication=publication)
    assert delivery._claim(release.pk, statuses=["pending"], action="deliver")  # worker dies
    Release.objects.filter(pk=release.pk).update(
        lease_expires_at=timezone.now() - dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        counts = sweep_outbox()
    assert counts["deliveries"] == 1
    release.refresh_from_db()
    assert release.status == "published"


def test_a_release_that_lands_after_its_item_was_retracted_is_taken_back_at_once(
        channels, wechat, monkeypatch, django_capture_on_commit_callbacks):
    """The retraction comes while WeChat is still publishing: the attempt that finds the
    article live says so (delivery.Next.retract) and the task takes it back."""
    wechat.script_publish(["publishing", "success"])
    publication = approved(channels, ["wechat"], django_capture_on_commit_callbacks)
    release = Release.objects.get(publication=publication)
    assert release.status == "sending"
    asked = WeChatAdapter.check_status

    def retracted_meanwhile(self, release, **kwargs):
        retract_publication(user=channels["leader"], publication_id=publication.pk,
                            reason="发现数据错误")
        return asked(self, release, **kwargs)

    monkeypatch.setattr(WeChatAdapter, "check_status", retracted_meanwhile)
    make_due()
    with django_capture_on_commit_callbacks(execute=True):
        deliver_release(release.pk)
    release.refresh_from_db()
    assert release.status == "retracted"
    assert wechat.calls_to("freepublish/delete") == 1
    actions = list(subject_trail(subject=publication).values_list("action", flat=True))
    assert actions[-3:] == ["retract", "release_published", "release_retracted"]
    assert not Notification.objects.filter(publication=publication, kind="released").exists()


def test_the_sweep_command_sends_what_is_due(channels, receiver):
    """`manage.py sweep_releases` is how the embedded mode retries: it sends a release whose
    dispatch was lost (approved here without running the after-commit dispatch)."""
    publication = submitted_item(channels, channels=["wenxian_fabu"])
    approve_through(channels, publication, "head_office", "secrecy", "leader")
    out = io.StringIO()
    call_command("sweep_releases", stdout=out)
    assert "dispatched 1 deliveries, 0 retractions" in out.getvalue()
    assert statuses(publication) == {"wenxian_fabu": "published"}
    assert len(receiver.accepted("publication.released")) == 1


def test_publisher_confirms_a_newspaper_release(channels, django_capture_on_commit_callbacks):
    publication = approved(channels, ["jiaozuo_daily", "website"],
                           django_capture_on_commit_callbacks)
    paper = Release.objects.get(publication=publication, channel__code="jiaozuo_daily")
    site = Release.objects.get(publication=publication, channel__code="website")
    url = f"/api/v1/releases/{paper.pk}/confirm/"
    good = {"published_on": timezone.localdate().isoformat(), "reference": "焦作日报 第3版"}
    assert api(channels["leader"]).post(url, good, format="json").status_code == 403
    assert api(channels["publisher"]).post(url, {"published_on": "2099-01-01",
                                                 "reference": "x"},
                                           format="json").status_code == 400
    assert api(channels["publisher"]).post(url, {"published_on": "bad", "reference": "x"},
                                           format="json").status_code == 400
    assert api(channels["publisher"]).post(f"/api/v1/releases/{site.pk}/confirm/", good,
                                           format="json").status_code == 409
    response = api(channels["publisher"]).post(url, good, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "published"
    assert response.json()["published_on"] == good["published_on"]
    assert api(channels["publisher"]).post(url, good, format="json").status_code == 409
    event = subject_trail(subject=publication).get(action="release_confirmed")
    assert event.actor_username == channels["publisher"].username
    assert event.data["reference"] == "焦作日报 第3版"


def test_leader_retracts_from_every_channel(channels, receiver, wechat,
                                            django_capture_on_commit_callbacks):
    wechat.script_publish(["success"])
    publication = approved(channels, ["website", "wechat", "wenxian_fabu", "jiaozuo_daily"],
                           django_capture_on_commit_callbacks)
    url = f"/api/v1/publications/{publication.pk}/retract/"
    assert api(channels["publisher"]).post(url, {"reason": "x"}, format="json").status_code == 403
    assert api(channels["leader"]).post(url, {"reason": ""}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = api(channels["leader"]).post(url, {"reason": "数据有误，撤稿更正"},
                                                format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "retracted"
    assert set(statuses(publication).values()) == {"retracted"}
    assert len(receiver.accepted("publication.retracted")) == 1
    assert wechat.deleted_articles
    actions = list(subject_trail(subject=publication)
                   .values_list("action", flat=True))
    assert actions.count("retract") == 1 and actions.count("release_retracted") == 4
    assert api(channels["leader"]).post(url, {"reason": "again"},
                                        format="json").status_code == 409


def test_only_a_leader_covering_the_section_retracts(channels,
                                                     django_capture_on_commit_callbacks):
    publication = approved(channels, ["website"], django_capture_on_commit_callbacks)
    url = f"/api/v1/publications/{publication.pk}/retract/"
    assert api(channels["leader_construction"]).post(
        url, {"reason": "x"}, format="json").status_code == 403
    draft = submitted_item(channels)
    assert api(channels["leader"]).post(f"/api/v1/publications/{draft.pk}/retract/",
                                        {"reason": "x"}, format="json").status_code == 409


def test_a_channel_that_lost_its_settings_fails_with_a_clear_reason(
        org, django_capture_on_commit_callbacks):
    publication = submitted_item(org, channels=["wechat"])
    approve_through(org, publication, "head_office", "secrecy")
    Channel.objects.filter(agency=org.agency, code="wechat").update(config={})
    with django_capture_on_commit_callbacks(execute=True):
        approve_through(org, publication, "leader")
    release = Release.objects.get(publication=publication)
    assert release.status == "failed" and "未配置" in release.error


def test_publisher_asks_and_a_leader_approves_the_retraction(
        channels, receiver, django_capture_on_commit_callbacks):
    publication = approved(channels, ["website", "wenxian_fabu"],
                           django_capture_on_commit_callbacks)
    url = f"/api/v1/publications/{publication.pk}/retraction-requests/"
    assert api(channels["head_office"]).post(url, {"reason": "x"},
                                             format="json").status_code == 403
    asked = api(channels["publisher"]).post(url, {"reason": "发现数据错误"}, format="json")
    assert asked.status_code == 201, asked.json()
    request_id = asked.json()["id"]
    assert api(channels["publisher"]).post(url, {"reason": "again"},
                                           format="json").status_code == 409
    pending = api(channels["leader"]).get("/api/v1/retraction-requests/?status=pending").json()
    assert [r["id"] for r in pending["results"]] == [request_id]
    assert api(channels["leader_construction"]).post(
        f"/api/v1/retraction-requests/{request_id}/approve/").status_code == 403
    assert api(channels["publisher"]).post(
        f"/api/v1/retraction-requests/{request_id}/approve/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        decided = api(channels["leader"]).post(
            f"/api/v1/retraction-requests/{request_id}/approve/", {"comment": "同意撤稿"},
            format="json")
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    assert set(statuses(publication).values()) == {"retracted"}
    assert len(receiver.accepted("publication.retracted")) == 1
    retract = subject_trail(subject=publication).get(action="retract")
    assert retract.actor_username == channels["leader"].username
    assert retract.data["requested_by"] == channels["publisher"].username
    assert api(channels["leader"]).post(
        f"/api/v1/retraction-requests/{request_id}/approve/").status_code == 409


def test_leader_declines_a_retraction_request_with_a_reason(
        channels, django_capture_on_commit_callbacks):
    publication = approved(channels, ["website"], django_capture_on_commit_callbacks)
    request_id = api(channels["publisher"]).post(
        f"/api/v1/publications/{publication.pk}/retraction-requests/", {"reason": "误发"},
        format="json").json()["id"]
    url = f"/api/v1/retraction-requests/{request_id}/decline/"
    assert api(channels["leader"]).post(url, {}, format="json").status_code == 400
    response = api(channels["leader"]).post(url, {"comment": "内容无误，保留"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "declined"
    publication.refresh_from_db()
    assert publication.status == "approved"
    assert statuses(publication) == {"website": "published"}
    assert subject_trail(subject=publication).filter(action="retraction_declined").exists()


def test_wechat_gets_the_body_images_uploaded_and_linked(
        channels, wechat, settings, django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    name = default_storage.save("uploads/现场照片.png", ContentFile(b"\x89PNG fake image"))
    src = settings.MEDIA_URL if settings.MEDIA_URL.startswith("/") else "/" + settings.MEDIA_URL
    src += name
    wechat.script_publish(["success"])
    publication = approved(channels, ["wechat"], django_capture_on_commit_callbacks,
                           body=f'<p>检查现场：</p><p><img src="{src}" alt="现场"></p>')
    assert statuses(publication) == {"wechat": "published"}
    body_images = [i for i in wechat.images.values() if i["data"] == b"\x89PNG fake image"]
    assert len(body_images) == 1
    [draft] = wechat.drafts.values()
    content = draft["articles"][0]["content"]
    assert src not in content
    assert any(url in content for url, image in wechat.images.items()
               if image["data"] == b"\x89PNG fake image")


def test_notice_board_release_has_a_printable_notice(channels, other_org,
                                                     django_capture_on_commit_callbacks):
    from django.test import Client

    publication = approved(channels, ["jiaozuo_daily", "website"],
                           django_capture_on_commit_callbacks,
                           body="<p>现将检查结果公告如下。</p><script>alert(1)</script>")
    paper = Release.objects.get(publication=publication, channel__code="jiaozuo_daily")
    site = Release.objects.get(publication=publication, channel__code="website")
    client = Client()
    assert client.get(f"/releases/{paper.pk}/notice/").status_code == 302  # login first
    client.force_login(channels["publisher"])
    page = client.get(f"/releases/{paper.pk}/notice/")
    html = page.content.decode()
    assert page.status_code == 200
    assert publication.title in html and channels.agency.name in html
    assert "现将检查结果公告如下" in html and "<script>alert" not in html
    assert client.get(f"/releases/{site.pk}/notice/").status_code == 404  # not a board
    client.force_login(other_org["publisher"])
    assert client.get(f"/releases/{paper.pk}/notice/").status_code == 404


def test_printable_notice_is_dated_with_the_release_not_the_print_day(
        channels, django_capture_on_commit_callbacks):
    from django.test import Client

    from releases.services import confirm_release

    publication = approved(channels, ["jiaozuo_daily"], django_capture_on_commit_callbacks)
    paper = Release.objects.get(publication=publication, channel__code="jiaozuo_daily")
    approved_on = timezone.localdate(paper.created_at) - dt.timedelta(days=3)
    Release.objects.filter(pk=paper.pk).update(
        created_at=paper.created_at - dt.timedelta(days=3))
    client = Client()
    client.force_login(channels["publisher"])
    html = client.get(f"/releases/{paper.pk}/notice/").content.decode()
    # not yet carried: the day of final approval, and no template comment printed
    assert f"{approved_on.year}年{approved_on.month}月{approved_on.day}日" in html
    assert "{#" not in html and "The screen's controls" not in html
    carried = approved_on + dt.timedelta(days=1)
    confirm_release(user=channels["publisher"], release_id=paper.pk, published_on=carried,
                    reference="第3版")
    html = client.get(f"/releases/{paper.pk}/notice/").content.decode()
    assert f"{carried.year}年{carried.month}月{carried.day}日" in html
