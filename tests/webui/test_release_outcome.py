"""What the drafter sees of the releases: a 发布情况 card on the item's page with each
channel's state (the link where it is out, why it failed, in Chinese, with the raw answer
beside it), the overall status in the chip (部分发布, 发布失败, ...) and the same in the
drafter's list, at a constant number of queries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import Channel, ChannelKind
from publications.models import Publication
from releases.models import Release
from releases.outcome import explain
from testsupport.factories import approve_through, create_item, submitted_item

pytestmark = pytest.mark.django_db

REVIEWERS = ("head_office", "secrecy", "leader")


def approved_item(org, channels=("website", "wechat", "jiaozuo_daily"), **overrides):
    """Approved, its releases pending (delivery is not run)."""
    return approve_through(org, submitted_item(org, channels=list(channels), **overrides),
                           *REVIEWERS)


def set_release(publication, code, status, **fields):
    Release.objects.filter(publication=publication, channel__code=code).update(
        status=status, **fields)


def item_page(client, user, publication):
    client.force_login(user)
    response = client.get(f"/app/items/{publication.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def chip(html) -> str:
    """The chip next to the title."""
    match = re.search(r'<h1>.*?</h1>\s*<span class="webui-chip[^"]*"[^>]*>([^<]+)</span>', html,
                      re.S)
    return match.group(1)


def rows(html) -> list[str]:
    """Each channel's row of the 发布情况 card, as text."""
    card = html.split('data-testid="release-outcome"', 1)[1].split("</section>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split())
            for row in re.findall(r'<tr data-testid="release-row">(.*?)</tr>', card, re.S)]


def test_the_item_page_shows_each_channel_and_partly_released(client, org):
    publication = approved_item(org)
    today = timezone.localdate()
    set_release(publication, "website", "published", published_on=today,
                external_url="https://gk.example.gov.cn/gk/a/1/")
    set_release(publication, "wechat", "failed", attempts=1,
                error="WeChat errcode 40164: invalid ip 1.2.3.4, not in whitelist")
    set_release(publication, "jiaozuo_daily", "awaiting_confirmation")
    html = item_page(client, org["drafter_office"], publication)
    assert "发布情况" in html and chip(html) == "部分发布"
    website, wechat, paper = rows(html)
    assert website.startswith("公开专栏 已发布") and today.isoformat() in website
    assert 'href="https://gk.example.gov.cn/gk/a/1/"' in html
    assert wechat.startswith("微信公众号 发布失败")
    assert "IP 地址不在公众号的 IP 白名单中" in wechat
    assert "原始信息： WeChat errcode 40164" in wechat  # the raw answer, for a technician
    assert paper.startswith("焦作日报 待确认刊发")


def test_every_channel_failed_reads_release_failed_with_reasons_in_chinese(client, org):
    Channel.objects.create(agency=org.agency, code="wenxian_fabu", name="温县发布",
                           kind=ChannelKind.WEBHOOK, config={"url": "http://x", "secret": "s"})
    publication = approved_item(org, channels=("wechat", "wenxian_fabu"))
    set_release(publication, "wechat", "failed",
                error="WeChat publish_status 4: 平台审核不通过 (rejected by platform review)")
    set_release(publication, "wenxian_fabu", "failed",
                error="重试 5 次后仍失败：HTTP 502: Bad Gateway")
    html = item_page(client, org["drafter_office"], publication)
    assert chip(html) == "发布失败"
    wechat, webhook = rows(html)
    assert "微信平台审核未通过，未能发表" in wechat
    assert "对方服务器出错（HTTP 502）（已自动重试 5 次）" in webhook


def test_releases_under_way_read_releasing(client, org):
    publication = approved_item(org, channels=("website", "wechat"))
    set_release(publication, "website", "published", published_on=timezone.localdate())
    set_release(publication, "wechat", "pending", attempts=2,
                error="WeChat unreachable: cannot connect: ConnectError")
    html = item_page(client, org["drafter_office"], publication)
    assert chip(html) == "发布中"
    website, wechat = rows(html)
    assert wechat.startswith("微信公众号 发布中") and "无法连接到对方服务器" in wechat


def test_nothing_sent_yet_reads_releasing_with_rows_to_be_sent(client, org):
    publication = approved_item(org, channels=("website",))
    html = item_page(client, org["leader"], publication)
    assert chip(html) == "发布中" and rows(html) == ["公开专栏 待发布 — —"]


def test_all_published_reads_released_and_a_newspaper_shows_its_page(client, org):
    publication = approved_item(org, channels=("website", "jiaozuo_daily"))
    set_release(publication, "website", "published", published_on=timezone.localdate())
    set_release(publication, "jiaozuo_daily", "published", published_on=timezone.localdate(),
                reference="2024年3月5日第3版")
    html = item_page(client, org["drafter_office"], publication)
    assert chip(html) == "已发布"
    assert "2024年3月5日第3版" in rows(html)[1]


def test_a_retracted_item_reads_retracted_with_each_channels_outcome(client, org):
    publication = approved_item(org, channels=("website", "wechat"))
    Publication.objects.filter(pk=publication.pk).update(status="retracted")
    set_release(publication, "website", "retracted")
    set_release(publication, "wechat", "retraction_failed",
                error="撤稿失败：WeChat errcode 48001: api unauthorized")
    html = item_page(client, org["drafter_office"], publication)
    assert chip(html) == "已撤稿"
    website, wechat = rows(html)
    assert "已撤稿" in website
    assert "撤稿失败" in wechat and "公众号没有该接口的权限" in wechat


def test_a_draft_has_no_release_card_and_its_own_chip(client, org):
    publication = create_item(org)
    html = item_page(client, org["drafter_office"], publication)
    assert 'data-testid="release-outcome"' not in html and chip(html) == "草稿"


def test_a_real_delivery_shows_the_site_link_and_the_paper_awaiting(
        client, org, django_capture_on_commit_callbacks):
    publication = submitted_item(org, channels=["website", "jiaozuo_daily"])
    approve_through(org, publication, "head_office", "secrecy")
    with django_capture_on_commit_callbacks(execute=True):
        approve_through(org, publication, "leader")
    html = item_page(client, org["drafter_office"], publication)
    assert chip(html) == "待确认刊发"
    website, paper = rows(html)
    assert website.startswith("公开专栏 已发布")
    card = html.split('data-testid="release-outcome"')[1]
    assert f'href="/gk/{org.agency.code}/items/{publication.pk}/"' in card
    assert paper.startswith("焦作日报 待确认刊发") and "待发布员确认刊发" in paper


def test_the_item_page_reads_in_english(client, org):
    publication = approved_item(org, channels=("website", "wechat"))
    set_release(publication, "website", "published", published_on=timezone.localdate())
    set_release(publication, "wechat", "failed", error="WeChat errcode 87014: risky content")
    client.force_login(org["drafter_office"])
    client.cookies["django_language"] = "en"
    html = client.get(f"/app/items/{publication.pk}/").content.decode()
    assert "Release outcome" in html and chip(html) == "Partly released"
    assert "WeChat found risky or prohibited content" in html
    assert "发布情况" not in html and "违规" not in html


@pytest.mark.parametrize(("error", "sentence"), [
    ("渠道未配置 appid 或 secret", "渠道配置不完整"),
    ("HTTP 404: not found", "对方接口地址不存在（HTTP 404）"),
    ("HTTP 401", "对方拒绝访问（HTTP 401）"),
    ("HTTP 302: redirect to 'https://x' not followed", "对方接口地址已迁移（HTTP 302 重定向）"),
    ("HTTP 422: bad body", "对方不接受所发送的内容（HTTP 422）"),
    ("HTTP 429", "对方限制了请求频率"),
    ("timed out (ReadTimeout)", "连接对方服务器超时"),
    ("connection failed (ConnectError): refused", "无法连接到对方服务器"),
    ("WeChat unreachable: HTTP 503", "对方服务器出错（HTTP 503）"),
    ("WeChat unreachable: cannot connect: ConnectError", "无法连接到对方服务器"),
    ("WeChat errcode 40125: invalid appsecret", "AppID 或 AppSecret 不正确"),
    ("WeChat errcode 45009: reach max api daily quota limit", "今日的接口调用次数已用完"),
    ("WeChat errcode 99999: something new", "微信接口返回错误（错误码 99999）"),
    ("WeChat publish_status 2: 原创声明校验失败", "原创声明校验未通过"),
    ("发布请求已发给微信但未收到答复，可能已经发出。为免重复发布", "请在公众号后台核实"),
    ("invalid request: Request URL is missing an 'http://' or 'https://' protocol.",
     "渠道地址或密钥的格式有误"),
    ("KeyError: 'appid'", "系统处理时出错"),
    ("something odd", "发布未成功，详见原始错误信息"),
    ("需由发布员联系媒体", "需由发布员联系媒体"),
    ("", ""),
])
def test_adapter_errors_are_explained_in_chinese(error, sentence):
    assert sentence in explain(error)


def test_the_drafters_list_shows_the_overall_status(client, org):
    partly = approved_item(org, channels=("website", "wechat"), title="部分发布的信息")
    set_release(partly, "website", "published")
    set_release(partly, "wechat", "failed", error="HTTP 500")
    failed = approved_item(org, channels=("wechat",), title="发布失败的信息")
    set_release(failed, "wechat", "failed", error="HTTP 500")
    create_item(org, title="一份草稿")
    client.force_login(org["drafter_office"])
    html = client.get("/app/items/").content.decode()
    statuses = dict(re.findall(r'>([^<>]*的信息|一份草稿)</a></td>.*?<span class="webui-chip[^"]*"'
                               r'[^>]*>([^<]+)</span>', html, re.S))
    assert statuses == {"部分发布的信息": "部分发布", "发布失败的信息": "发布失败",
                        "一份草稿": "草稿"}


def test_the_drafters_list_reads_releases_in_one_query_for_5_or_20_items(client, org):
    client.force_login(org["drafter_office"])
    channels = list(Channel.objects.filter(agency=org.agency, code__in=["website", "wechat"]))

    def add(n):
        for _ in range(n):
            publication = create_item(org)
            Publication.objects.filter(pk=publication.pk).update(status="approved")
            Release.objects.bulk_create(
                Release(publication=publication, channel=channel, round=1,
                        fingerprint=publication.fingerprint,
                        status="failed" if channel.code == "wechat" else "published")
                for channel in channels)

    def count():
        with CaptureQueriesContext(connection) as queries:
            html = client.get("/app/items/").content.decode()
        assert "部分发布" in html
        return len(queries)

    add(5)
    small = count()
    add(15)
    assert count() == small
