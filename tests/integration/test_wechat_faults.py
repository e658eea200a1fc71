"""WeChat deliveries through real Celery workers, with the faults of issue #10 injected:
a worker killed while a publish is being polled and the item retracted meanwhile, and a
channel that answers later than the delivery lease lasts."""

import os
import signal
import time

import pytest
from django.db import connection

from agencies.models import Channel
from audit.verification import verify_chain
from releases.channels.fake_wechat import FakeWeChatServer
from releases.models import Release
from releases.services import retract_publication
from releases.tasks import sweep_outbox
from testsupport.factories import approve_through, make_org, submitted_item
from testsupport.workers import Worker

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("committed_db")]

FAST_POLLS = {"RELEASE_POLL_SECONDS": "0.5"}


@pytest.fixture
def wechat():
    with FakeWeChatServer() as server:
        yield server


def org_with_wechat(wechat):
    org = make_org()
    Channel.objects.filter(agency=org.agency, code="wechat").update(
        config={"appid": wechat.appid, "secret": wechat.secret, "base_url": wechat.base_url})
    return org


def approved_for_wechat(org):
    publication = submitted_item(org, channels=["wechat"])
    approve_through(org, publication, "head_office", "secrecy", "leader")
    return publication


def wait_for(condition, what, timeout=60, sweep_every=None):
    deadline = time.time() + timeout
    last_sweep = time.time()
    while time.time() < deadline:
        connection.close()
        if condition():
            return
        if sweep_every and time.time() - last_sweep > sweep_every:
            sweep_outbox()
            last_sweep = time.time()
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}: "
                f"{list(Release.objects.values_list('status', 'error'))}")


def test_a_worker_killed_while_polling_and_a_retraction_meanwhile_delete_the_article(
        broker, wechat):
    """Observed on main: the retraction skipped the release being sent, the next worker
    refused to deliver a retracted item, and the article went live and stayed there."""
    wechat.script_publish(["publishing"] * 6 + ["success"])
    org = org_with_wechat(wechat)
    first = Worker(broker.conf.broker_url, "solo1", concurrency=1, pool="solo", env=FAST_POLLS)
    second = None
    try:
        publication = approved_for_wechat(org)
        wait_for(lambda: wechat.calls_to("freepublish/get") >= 1, "the first status poll")
        os.killpg(first.proc.pid, signal.SIGKILL)  # the worker dies between two polls
        first.proc.wait(5)
        retract_publication(user=org["leader"], publication_id=publication.pk,
                            reason="发现数据错误，撤稿更正")
        second = Worker(broker.conf.broker_url, "solo2", concurrency=1, pool="solo",
                        env=FAST_POLLS)
        wait_for(lambda: Release.objects.filter(status="retracted").exists(),
                 "the retraction", sweep_every=1)
    finally:
        first.stop()
        if second:
            second.stop()
    release = Release.objects.get(publication=publication)
    assert wechat.calls_to("freepublish/submit") == 1
    assert len(wechat.deleted_articles) == 1  # it went live, and was taken down
    assert release.published_at is not None and release.retracted_at is not None
    assert verify_chain(org.agency).ok


def test_a_channel_slower_than_the_lease_is_published_at_most_once(broker, wechat):
    """The submit answers after the lease has run out, with a second worker and the sweeper
    running. Observed on main: the second worker took the release over and submitted it
    again. Now the first worker's call is cut at its deadline, inside the lease, and the
    release waits for a person to check the account instead of being submitted twice."""
    wechat.delay_next("freepublish/submit", 6)  # the lease of the workers is 4 s
    org = org_with_wechat(wechat)
    workers = [Worker(broker.conf.broker_url, f"w{n}", concurrency=1) for n in (1, 2)]
    try:
        publication = approved_for_wechat(org)
        wait_for(lambda: Release.objects.filter(status__in=["failed", "published"]).exists(),
                 "the delivery to end", sweep_every=1)
        time.sleep(8)  # the late answer has come; the sweeper keeps running meanwhile
        for _ in range(8):
            sweep_outbox()
            time.sleep(0.5)
    finally:
        for worker in workers:
            worker.stop()
    release = Release.objects.get(publication=publication)
    assert wechat.calls_to("freepublish/submit") == 1
    assert release.status == "failed" and "核实" in release.error
    assert verify_chain(org.agency).ok
