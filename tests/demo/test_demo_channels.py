"""The demo's channels really deliver: seed_demo points 微信公众号 at the fake WeChat API and
the county media apps at the loopback webhook receiver that `manage.py demo_channels` runs."""

import io

import pytest
from django.core.management import call_command

from agencies.models import Channel, ChannelKind
from demo.channels import DemoWebhookReceiver, fake_wechat
from releases import delivery
from releases.models import Release, ReleaseStatus
from testsupport.workers import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def ports(monkeypatch, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    chosen = {"wechat": free_port(), "webhook": free_port()}
    monkeypatch.setenv("DEMO_WECHAT_PORT", str(chosen["wechat"]))
    monkeypatch.setenv("DEMO_WEBHOOK_PORT", str(chosen["webhook"]))
    call_command("seed_demo", "--password", "x-demo-pass-1", stdout=io.StringIO(),
                 stderr=io.StringIO())
    return chosen


def test_the_demo_releases_reach_the_fake_wechat_api_and_the_webhook_receiver(ports):
    channels = Channel.objects.filter(agency__code="wenxian_housing")
    wechat = channels.get(kind=ChannelKind.WECHAT)
    hooks = {c.code: c.config["secret"] for c in channels.filter(kind=ChannelKind.WEBHOOK)}
    assert wechat.config["base_url"] == f"http://127.0.0.1:{ports['wechat']}"
    assert set(hooks) == {"wenxian_fabu", "yunshang_wenxian"}
    waiting = list(Release.objects.filter(
        channel__kind__in=[ChannelKind.WECHAT, ChannelKind.WEBHOOK],
        status=ReleaseStatus.PENDING).select_related("channel"))
    assert {r.channel.kind for r in waiting} == {ChannelKind.WECHAT, ChannelKind.WEBHOOK}
    with fake_wechat(wechat.config["secret"], port=ports["wechat"]) as server, \
            DemoWebhookReceiver(hooks, port=ports["webhook"], out=io.StringIO()) as receiver:
        for release in waiting:
            delivery.deliver(release.pk)
    statuses = set(Release.objects.filter(pk__in=[r.pk for r in waiting])
                   .values_list("status", flat=True))
    assert statuses == {ReleaseStatus.PUBLISHED}
    assert server.publishes and all(entry["valid"] for entry in receiver.received)


def test_the_receiver_refuses_a_delivery_not_signed_with_the_channel_secret(ports):
    import httpx

    with DemoWebhookReceiver({"wenxian_fabu": "whsec_c2VjcmV0LXNlY3JldA=="},
                             port=0, out=io.StringIO()) as receiver:
        answer = httpx.post(receiver.url + "/wenxian_fabu", content=b"{}",
                            headers={"webhook-id": "m1", "webhook-timestamp": "1",
                                     "webhook-signature": "v1,forged"})
    assert answer.status_code == 401 and receiver.received == [
        {"channel": "wenxian_fabu", "valid": False, "type": "?"}]


def test_seeding_again_keeps_the_channel_secrets(ports):
    before = dict(Channel.objects.values_list("code", "config"))
    call_command("seed_demo", stdout=io.StringIO(), stderr=io.StringIO())
    assert dict(Channel.objects.values_list("code", "config")) == before
