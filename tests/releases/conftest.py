"""Channels that really answer: a loopback webhook receiver and the fake WeChat server."""

import pytest

from agencies.models import Channel, ChannelKind
from releases.channels.fake_wechat import FakeWeChatServer
from testsupport.webhook_receiver import Receiver


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


@pytest.fixture
def wechat():
    with FakeWeChatServer() as server:
        yield server


@pytest.fixture
def channels(org, receiver, wechat):
    Channel.objects.create(agency=org.agency, code="wenxian_fabu", name="温县发布",
                           kind=ChannelKind.WEBHOOK,
                           config={"url": receiver.url, "secret": receiver.secret})
    Channel.objects.filter(agency=org.agency, code="wechat").update(
        config={"appid": wechat.appid, "secret": wechat.secret, "base_url": wechat.base_url})
    return org
