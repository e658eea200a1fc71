"""Helpers of the integration tests: an organisation whose webhook channel points at the
receiver, approved items, and waiting for releases to be published."""

import time

import pytest
from django.db import connection

from agencies.models import Channel, ChannelKind
from releases.models import Release
from testsupport.factories import approve_through, make_org, submitted_item


def org_with_webhook(receiver):
    org = make_org()
    Channel.objects.create(agency=org.agency, code="wenxian_fabu", name="温县发布",
                           kind=ChannelKind.WEBHOOK,
                           config={"url": receiver.url, "secret": receiver.secret})
    return org


def approve_items(org, n):
    items = []
    for _ in range(n):
        publication = submitted_item(org, channels=["wenxian_fabu"])
        approve_through(org, publication, "head_office", "secrecy", "leader")
        items.append(publication)
    return items


def wait_until_published(n, timeout=90, sweep_every=None):
    from releases.tasks import sweep_outbox as sweep

    deadline = time.time() + timeout
    last_sweep = time.time()
    while time.time() < deadline:
        done = Release.objects.filter(status="published").count()
        if done == n:
            return
        if sweep_every and time.time() - last_sweep > sweep_every:
            sweep()
            last_sweep = time.time()
        time.sleep(0.2)
        connection.close()
    pytest.fail(f"only {Release.objects.filter(status='published').count()} of {n} published; "
                f"statuses: {list(Release.objects.values_list('status', 'error'))[:5]}")
