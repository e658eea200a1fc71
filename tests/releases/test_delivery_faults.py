"""Releases under the faults of issue #10: a retraction while a release is being sent, a
worker overtaken after its lease ran out, a channel slower than the lease, a retraction
the channel keeps refusing."""

import datetime as dt

import pytest
from django.utils import timezone

from audit.selectors import subject_trail
from notifications.models import Notification
from releases import delivery
from releases.channels.wechat import WeChatClient
from releases.models import Release
from releases.services import retract_publication
from releases.tasks import sweep_outbox
from testsupport.factories import api, approve_through, submitted_item

from .helpers import approved, make_due

pytestmark = pytest.mark.django_db


def sweep(times, dccb):
    """Beat's sweeper, run `times` with the time in between passing."""
    for _ in range(times):
        make_due()
        with dccb(execute=True):
            sweep_outbox()


def lease_runs_out(release):
    Release.objects.filter(pk=release.pk).update(
        lease_expires_at=timezone.now() - dt.timedelta(seconds=1))


def trail(publication):
    return list(subject_trail(subject=publication).values_list("action", flat=True))


def retract(org, publication, dccb, reason="发现数据错误，撤稿更正"):
    with dccb(execute=True):
        retract_publication(user=org["leader"], publication_id=publication.pk, reason=reason)


# -- a retraction while a release is being sent (defect 4) -----------------------------------

def test_a_wechat_publish_still_being_polled_is_deleted_once_it_goes_live(
        channels, wechat, django_capture_on_commit_callbacks):
    dccb = django_capture_on_commit_callbacks
    wechat.script_publish(["publishing", "publishing", "success"])
    publication = approved(channels, ["wechat"], dccb)
    release = Release.objects.get(publication=publication)
    assert release.status == "sending"  # WeChat is still publishing it
    retract(channels, publication, dccb)
    sweep(3, dccb)
    release.refresh_from_db()
    assert release.status == "retracted"
    assert len(wechat.deleted_articles) == 1  # it went live on WeChat and was taken down
    assert release.published_at is not None  # the trail says it was out for a while
    event = subject_trail(subject=publication).get(action="release_retracted")
    assert event.data["went_live"] is True
    make_due()
    assert delivery.due_releases() == ([], [])  # nothing left to re-dispatch every minute


def test_a_publish_that_never_went_live_needs_no_deletion(channels, wechat,
                                                         django_capture_on_commit_callbacks):
    dccb = django_capture_on_commit_callbacks
    wechat.script_publish(["publishing", "failed:4"])
    publication = approved(channels, ["wechat"], dccb)
    retract(channels, publication, dccb)
    sweep(2, dccb)
    release = Release.objects.get(publication=publication)
    assert release.status == "retracted" and release.published_at is None
    assert wechat.deleted_articles == []


def test_a_release_whose_worker_died_mid_send_is_retracted_through_its_channel(
        channels, receiver, django_capture_on_commit_callbacks):
    dccb = django_capture_on_commit_callbacks
    publication = submitted_item(channels, channels=["wenxian_fabu"])
    approve_through(channels, publication, "head_office", "secrecy", "leader")  # no dispatch
    release = Release.objects.get(publication=publication)
    assert delivery._claim(release.pk, statuses=["pending"], action="deliver")  # worker dies
    retract(channels, publication, dccb)
    lease_runs_out(release)
    sweep(1, dccb)
    release.refresh_from_db()
    assert release.status == "retracted"
    # the webhook may have reached the receiver before the worker died: it is told to take it down
    assert len(receiver.accepted("publication.retracted")) == 1
    assert delivery.due_releases() == ([], [])


def test_a_submit_whose_answer_was_lost_is_never_marked_retracted_blindly(
        channels, wechat, settings, django_capture_on_commit_callbacks):
    """The submit timed out: WeChat may have published it. The retraction cannot tell, so it
    ends `retraction_failed` for a person to check, instead of 'never went out'."""
    dccb = django_capture_on_commit_callbacks
    settings.RELEASE_LEASE_SECONDS = 2
    wechat.delay_next("freepublish/submit", 3)
    publication = approved(channels, ["wechat"], dccb)
    release = Release.objects.get(publication=publication)
    assert release.status in ("pending", "failed") and release.attempts == 1
    retract(channels, publication, dccb)
    sweep(1, dccb)
    release.refresh_from_db()
    assert release.status == "retraction_failed"
    assert "核实" in release.error


# -- a worker overtaken after its lease ran out (defect 5) ----------------------------------

def test_an_overtaken_worker_neither_submits_again_nor_overwrites_the_result(
        channels, wechat, monkeypatch):
    wechat.script_publish(["success"])
    publication = submitted_item(channels, channels=["wechat"])
    approve_through(channels, publication, "head_office", "secrecy", "leader")  # no dispatch
    release = Release.objects.get(publication=publication)
    add_draft = WeChatClient.add_draft

    def stalls_past_its_lease(self, articles):
        media_id = add_draft(self, articles)
        # this worker stalls (a GC pause, a starved CPU) until its lease has run out; the
        # sweeper hands the release to a second worker, which publishes it
        monkeypatch.setattr(WeChatClient, "add_draft", add_draft)
        lease_runs_out(release)
        delivery.deliver(release.pk)
        return media_id

    monkeypatch.setattr(WeChatClient, "add_draft", stalls_past_its_lease)
    delivery.deliver(release.pk)
    release.refresh_from_db()
    assert release.status == "published"
    assert wechat.calls_to("freepublish/submit") == 1
    assert trail(publication).count("release_published") == 1


def test_a_late_failure_does_not_overwrite_a_published_release(
        channels, receiver, monkeypatch):
    from releases.adapters import FAILED, Outcome, WebhookAdapter

    publication = submitted_item(channels, channels=["wenxian_fabu"])
    approve_through(channels, publication, "head_office", "secrecy", "leader")
    release = Release.objects.get(publication=publication)
    send = WebhookAdapter.deliver

    def slow_then_fails(self, release_, **kwargs):
        monkeypatch.setattr(WebhookAdapter, "deliver", send)
        lease_runs_out(release)
        delivery.deliver(release.pk)  # the second worker delivers it
        return Outcome(FAILED, error="HTTP 400")  # the first worker's late answer

    monkeypatch.setattr(WebhookAdapter, "deliver", slow_then_fails)
    delivery.deliver(release.pk)
    release.refresh_from_db()
    assert release.status == "published" and release.error == ""
    assert "release_failed" not in trail(publication)


def test_a_channel_slower_than_the_lease_publishes_once(
        channels, wechat, settings, django_capture_on_commit_callbacks):
    """The submit answers after the attempt's time budget: the worker gives up before its lease
    ends, and the next attempt does not submit again what may already be out."""
    dccb = django_capture_on_commit_callbacks
    settings.RELEASE_LEASE_SECONDS = 2
    wechat.delay_next("freepublish/submit", 3)
    publication = approved(channels, ["wechat"], dccb)
    sweep(2, dccb)
    release = Release.objects.get(publication=publication)
    assert wechat.calls_to("freepublish/submit") == 1
    assert release.status == "failed"
    assert "核实" in release.error  # a person checks the account before sending it again


# -- a retraction the channel keeps refusing (defect 6) -------------------------------------

def test_a_refused_retraction_ends_retraction_failed_with_an_event_and_a_notice(
        channels, receiver, django_capture_on_commit_callbacks):
    dccb = django_capture_on_commit_callbacks
    publication = approved(channels, ["wenxian_fabu"], dccb)
    receiver.script = [400]
    retract(channels, publication, dccb)
    release = Release.objects.get(publication=publication)
    assert release.status == "retraction_failed" and "HTTP 400" in release.error
    assert "release_retraction_failed" in trail(publication)
    told = set(Notification.objects.filter(publication=publication, kind="retraction_failed")
               .values_list("recipient__username", flat=True))
    assert {"publisher", "leader"} <= told
    sweep(1, dccb)
    assert len(receiver.received) == 2  # terminal: not retried behind anyone's back
    # the publisher fixes the receiver and asks again
    with dccb(execute=True):
        response = api(channels["publisher"]).post(f"/api/v1/releases/{release.pk}/retry/")
    assert response.status_code == 200, response.json()
    release.refresh_from_db()
    assert release.status == "retracted"
    assert len(receiver.accepted("publication.retracted")) == 1


def test_a_retraction_that_keeps_failing_gives_up_after_the_limit(
        channels, receiver, settings, django_capture_on_commit_callbacks):
    dccb = django_capture_on_commit_callbacks
    settings.RELEASE_MAX_ATTEMPTS = 3
    publication = approved(channels, ["wenxian_fabu"], dccb)
    receiver.script = [503] * 5
    retract(channels, publication, dccb)
    sweep(3, dccb)
    release = Release.objects.get(publication=publication)
    assert release.status == "retraction_failed"
    assert "3" in release.error
    assert trail(publication).count("release_retraction_failed") == 1
