"""Delivery through real Celery workers and Redis, with faults injected.

Each test runs its own redis-server on a free loopback port (so stopping it hurts
nobody) and `celery worker` subprocesses against the test database
(`testsupport.workers`; the `broker` fixture is in tests/conftest.py).
"""

import os
import signal
import time

import pytest

from releases.models import Release
from testsupport.workers import Worker, reconnect

from .helpers import approve_items, org_with_webhook, wait_until_published

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("committed_db")]


def test_a_real_worker_delivers_every_release_once(broker, receiver):
    org = org_with_webhook(receiver)
    worker = Worker(broker.conf.broker_url, "w1")
    try:
        approve_items(org, 20)
        wait_until_published(20)
    finally:
        worker.stop()
    ids = [r["id"] for r in receiver.accepted()]
    assert len(ids) == 20 and len(set(ids)) == 20


def test_killing_a_worker_process_mid_delivery_loses_nothing(broker, receiver):
    receiver.delay = 0.3  # slow enough that deliveries are in flight when the kill comes
    org = org_with_webhook(receiver)
    worker = Worker(broker.conf.broker_url, "w1")
    try:
        approve_items(org, 12)
        deadline = time.time() + 30
        while not receiver.received and time.time() < deadline:
            time.sleep(0.05)
        killed = 0
        for pid in worker.children():
            os.kill(pid, signal.SIGKILL)  # a pool process dies in the middle of a delivery
            killed += 1
        assert killed
        wait_until_published(12, sweep_every=2)
    finally:
        worker.stop()
    accepted = [r["id"] for r in receiver.accepted()]
    assert len(set(accepted)) == 12
    # A process killed after the receiver answered but before recording it resends the
    # same webhook-id, which receivers deduplicate (Standard Webhooks); it never sends
    # another id for the same release.
    assert len(accepted) - len(set(accepted)) <= killed
    assert Release.objects.filter(status="published").count() == 12


def test_releases_approved_while_redis_is_down_go_out_once_it_is_back(
        broker, redis_server, receiver):
    org = org_with_webhook(receiver)
    redis_server.stop()
    items = approve_items(org, 3)  # approvals succeed; dispatch fails quietly
    assert Release.objects.filter(publication__in=items, status="pending").count() == 3
    redis_server.start()
    reconnect(broker)
    worker = Worker(broker.conf.broker_url, "w1")
    try:
        wait_until_published(3, sweep_every=1)
    finally:
        worker.stop()
    assert len({r["id"] for r in receiver.accepted()}) == 3


def test_killing_a_solo_worker_mid_delivery_loses_nothing(broker, receiver):
    """With `--pool solo` the worker itself dies; its leases run out and the sweeper
    hands the releases to the next worker."""
    receiver.delay = 0.3
    org = org_with_webhook(receiver)
    first = Worker(broker.conf.broker_url, "solo1", concurrency=1, pool="solo")
    second = None
    try:
        approve_items(org, 6)
        deadline = time.time() + 30
        while not receiver.received and time.time() < deadline:
            time.sleep(0.05)
        os.killpg(first.proc.pid, signal.SIGKILL)
        first.proc.wait(5)
        second = Worker(broker.conf.broker_url, "solo2", concurrency=1, pool="solo")
        wait_until_published(6, sweep_every=2)
    finally:
        first.stop()
        if second:
            second.stop()
    accepted = [r["id"] for r in receiver.accepted()]
    assert len(set(accepted)) == 6
    assert len(accepted) - len(set(accepted)) <= 1  # at most the one in flight at the kill


def test_deliveries_go_out_before_the_notice_emails_queued_ahead_of_them(broker, receiver):
    """Every approval queues notice e-mails on commit, and the final one its delivery after
    them. Deliveries have their own queue, which a worker always reads first: the e-mails
    wait, not the deliveries (in one first-in-first-out queue, or read in turn, the
    e-mails queued earlier would go first)."""
    from agencies.models import User
    from notifications.models import Notification

    org = org_with_webhook(receiver)
    User.objects.filter(agency=org.agency).update(email="reviewer@example.gov.cn")
    approve_items(org, 4)  # no worker yet: all of it waits in Redis, e-mails first
    worker = Worker(broker.conf.broker_url, "w1", concurrency=1, pool="solo",
                    env={"NOTIFICATION_QUIET_HOURS": "0"})
    try:
        wait_until_published(4)
        deadline = time.time() + 30
        while (Notification.objects.filter(emailed_at__isnull=False).count() < 4
               and time.time() < deadline):
            time.sleep(0.2)
    finally:
        worker.stop()
    published = list(Release.objects.values_list("published_at", flat=True))
    emailed = list(Notification.objects.filter(emailed_at__isnull=False)
                   .values_list("emailed_at", flat=True))
    assert len(emailed) >= 4  # the e-mails did go out, after
    assert max(published) < min(emailed)
