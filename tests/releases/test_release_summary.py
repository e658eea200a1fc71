"""The drafter's release summary: told once per round, when every release of the round has
settled (published, awaiting a publisher's confirmation, or failed for good), what really
happened on each channel; never twice, not even when two channels settle at once."""

import threading

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from agencies.models import Channel, ChannelKind
from notifications.kinds import SUMMARY_KINDS
from notifications.models import Notification
from releases import delivery
from releases import services as release_services
from releases.models import Release
from releases.services import confirm_release, retry_release
from releases.tasks import deliver_release
from testsupport.factories import approve_through, make_org, submitted_item

from .helpers import approved, make_due, statuses

pytestmark = pytest.mark.django_db


def summaries(publication):
    return list(Notification.objects.filter(publication=publication, kind__in=SUMMARY_KINDS)
                .values_list("recipient__username", "kind", "message"))


def test_the_drafter_hears_once_what_happened_on_every_channel(
        channels, receiver, wechat, django_capture_on_commit_callbacks):
    channels["drafter_office"].email = "drafter@example.gov.cn"
    channels["drafter_office"].save()
    receiver.script = [404]  # the media platform's endpoint is gone: failed for good
    wechat.script_publish(["publishing", "success"])
    publication = approved(channels, ["website", "wechat", "wenxian_fabu", "jiaozuo_daily"],
                           django_capture_on_commit_callbacks)
    assert statuses(publication) == {"website": "published", "wechat": "sending",
                                     "wenxian_fabu": "failed",
                                     "jiaozuo_daily": "awaiting_confirmation"}
    assert summaries(publication) == []  # WeChat is still publishing: nothing to tell yet
    make_due()
    with django_capture_on_commit_callbacks(execute=True):
        deliver_release(Release.objects.get(publication=publication, channel__code="wechat").pk)
    assert summaries(publication) == [(
        "drafter_office", "released_partly",
        "已发布到 公开专栏、微信公众号；待确认刊发：焦作日报；"
        "发布失败：温县发布（对方接口地址不存在（HTTP 404），请核对渠道地址）")]
    assert f"【政务公开】您的信息部分发布，有渠道发布失败：{publication.title}" in [
        message.subject for message in mail.outbox]
    # the failure notice of the channel stays, with its raw error
    assert Notification.objects.filter(publication=publication, kind="release_failed",
                                       recipient=channels["drafter_office"]).exists()


def test_every_channel_failing_is_told_as_not_released_and_a_retry_tells_nothing_more(
        channels, receiver, django_capture_on_commit_callbacks):
    receiver.script = [410]
    publication = approved(channels, ["wenxian_fabu"], django_capture_on_commit_callbacks)
    assert summaries(publication) == [(
        "drafter_office", "not_released",
        "发布失败：温县发布（对方不接受所发送的内容（HTTP 410），请核对渠道接口要求）")]
    notice = Notification.objects.get(publication=publication, kind="not_released")
    assert notice.headline == "您的信息未能发布到任何渠道"
    release = Release.objects.get(publication=publication)
    with django_capture_on_commit_callbacks(execute=True):
        retry_release(user=channels["publisher"], release_id=release.pk)
    assert statuses(publication) == {"wenxian_fabu": "published"}
    assert len(summaries(publication)) == 1  # one per round


def test_only_newspapers_are_told_as_handed_over_and_confirming_tells_nothing_more(
        org, django_capture_on_commit_callbacks):
    publication = submitted_item(org, channels=["jiaozuo_daily"])
    approve_through(org, publication, "head_office", "secrecy")
    with django_capture_on_commit_callbacks(execute=True):
        approve_through(org, publication, "leader")
    assert summaries(publication) == [("drafter_office", "released_awaiting",
                                       "待确认刊发：焦作日报")]
    assert Notification.objects.get(kind="released_awaiting").headline == (
        "您的信息已送交媒体，待确认刊发")
    confirm_release(user=org["publisher"],
                    release_id=Release.objects.get(publication=publication).pk,
                    published_on=timezone.localdate(), reference="第3版")
    assert len(summaries(publication)) == 1


def test_all_published_is_told_as_released(channels, receiver,
                                           django_capture_on_commit_callbacks):
    publication = approved(channels, ["website", "wenxian_fabu"],
                           django_capture_on_commit_callbacks)
    assert summaries(publication) == [("drafter_office", "released",
                                       "已发布到 公开专栏、温县发布")]


@pytest.mark.postgres
@pytest.mark.usefixtures("committed_db")
def test_two_releases_settling_at_once_tell_the_drafter_once(monkeypatch):
    """Both releases are recorded at the same moment, each in its own transaction: each sees
    the other still under way unless the settle check is ordered; exactly one summary."""
    org = make_org()
    Channel.objects.create(agency=org.agency, code="henan_daily", name="河南日报",
                           kind=ChannelKind.MANUAL)
    monkeypatch.setattr(release_services, "dispatch_on_commit", lambda *a, **k: None)
    publication = approve_through(
        org, submitted_item(org, channels=["jiaozuo_daily", "henan_daily"]),
        "head_office", "secrecy", "leader")
    ids = list(Release.objects.filter(publication=publication).values_list("pk", flat=True))
    assert len(ids) == 2
    barrier = threading.Barrier(2)
    check = delivery._summarise_if_settled

    def at_once(release):  # both releases written, neither committed
        barrier.wait(timeout=20)
        return check(release)

    monkeypatch.setattr(delivery, "_summarise_if_settled", at_once)
    errors = []

    def run(pk):
        try:
            delivery.deliver(pk)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(pk,)) for pk in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert statuses(publication) == {"jiaozuo_daily": "awaiting_confirmation",
                                     "henan_daily": "awaiting_confirmation"}
    assert summaries(publication) == [("drafter_office", "released_awaiting",
                                       "待确认刊发：焦作日报、河南日报")]
