"""The WeChat publishing client against the loopback fake server (no database, no real WeChat)."""

import socket
import subprocess
import sys

import httpx
import pytest

from releases.channels.fake_wechat import FakeWeChatServer
from releases.channels.wechat import InMemoryTokenStore, WeChatClient, WeChatError

APPID = "wx_test_appid"
SECRET = "test_secret"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # binary, CRLFs included
JPEG = b"\xff\xd8\xff\xe0" + b"\r\n--not-a-boundary\r\n" + bytes(range(255, -1, -1))


@pytest.fixture
def fake():
    with FakeWeChatServer(APPID, SECRET) as server:
        yield server


@pytest.fixture
def http():
    # trust_env=False: a proxy configured in the environment must not see loopback calls.
    with httpx.Client(trust_env=False) as client:
        yield client


@pytest.fixture
def store():
    return InMemoryTokenStore()


@pytest.fixture
def make_client(fake, http, store):
    def make(**overrides):
        options = {"appid": APPID, "secret": SECRET, "base_url": fake.base_url,
                   "token_store": store, "http": http, "timeout": 5}
        return WeChatClient(**{**options, **overrides})
    return make


@pytest.fixture
def client(make_client):
    return make_client()


def _publish_draft(client, title="关于2024年度政府信息公开工作报告的公告"):
    cover = client.add_cover_material("封面.jpg", JPEG)
    draft = client.add_draft([{"title": title, "content": "<p>正文</p>",
                               "thumb_media_id": cover}])
    return client.submit_publish(draft)


def _poll(client, publish_id, limit=10):
    states = []
    for _ in range(limit):
        status = client.get_publish_status(publish_id)
        states.append(status.state)
        if status.state != "publishing":
            return status, states
    raise AssertionError(f"still publishing after {limit} polls: {states}")


def test_full_publish_records_the_article_url(client, fake, http):
    body_image_url = client.upload_body_image("图1.png", PNG)
    cover_id = client.add_cover_material("cover.jpg", JPEG)
    title = "温县住房和城乡建设局关于公开征求意见的通知"
    draft_id = client.add_draft([{
        "title": title,
        "author": "温县住建局",
        "digest": "征求意见",
        "content": f'<p>正文</p><img src="{body_image_url}">',
        "content_source_url": "https://example.gov.cn/xxgk/1",
        "thumb_media_id": cover_id,
    }])
    fake.script_publish(["publishing", "publishing", "success"])
    publish_id = client.submit_publish(draft_id)

    status, states = _poll(client, publish_id)

    assert states == ["publishing", "publishing", "success"]
    assert status.article_id and status.article_url
    article = fake.articles[status.article_id]
    assert status.article_url == article["urls"][0]
    assert http.get(status.article_url).status_code == 200
    assert fake.images[body_image_url]["data"] == PNG
    assert fake.materials[cover_id]["data"] == JPEG
    sent = fake.drafts[draft_id]
    assert sent["articles"][0]["title"] == title
    assert sent["articles"][0]["thumb_media_id"] == cover_id
    assert sent["articles"][0]["need_open_comment"] == 0
    assert title.encode("utf-8") in sent["raw_body"], "JSON must be sent unescaped, as UTF-8"
    assert fake.publishes[publish_id]["media_id"] == draft_id


@pytest.mark.parametrize(("outcome", "status", "words", "content_rejection"), [
    ("failed:2", 2, "原创声明校验失败", True),
    ("failed:3", 3, "常规失败", False),
    ("failed:4", 4, "平台审核不通过", True),
])
def test_failed_publish_status_gives_a_readable_reason(client, fake, outcome, status, words,
                                                       content_rejection):
    fake.script_publish(["publishing", outcome])
    publish_id = _publish_draft(client)

    result, states = _poll(client, publish_id)

    assert states == ["publishing", "failed"]
    assert result.publish_status == status
    assert f"publish_status {status}" in result.reason
    assert words in result.reason
    assert "fail_idx" in result.reason and "1" in result.reason
    assert result.fail_idx == (1,)
    assert result.article_url is None
    assert result.is_content_rejection is content_rejection


@pytest.mark.parametrize("errcode", [40001, 42001])
def test_token_expiry_mid_flow_is_refreshed_once_and_the_call_succeeds(client, fake, errcode):
    cover = client.add_cover_material("cover.jpg", JPEG)
    old_token = fake.stable_token_calls[0]["token"]
    fake.expire_tokens(errcode)

    draft = client.add_draft([{"title": "标题", "content": "<p>x</p>", "thumb_media_id": cover}])

    assert draft in fake.drafts
    assert fake.forced_refreshes == 1
    assert len(fake.stable_token_calls) == 2
    assert fake.calls_to("draft/add") == 2  # rejected once, then accepted
    new_token = fake.stable_token_calls[1]["token"]
    assert new_token != old_token
    # The rest of the flow uses the refreshed token without further refreshes.
    fake.script_publish(["success"])
    status, _ = _poll(client, client.submit_publish(draft))
    assert status.state == "success"
    assert fake.forced_refreshes == 1
    assert {r["access_token"] for r in fake.requests[-2:]} == {new_token}


def test_invalid_access_token_answer_is_refreshed_once(client, fake):
    client.upload_body_image("a.png", PNG)
    fake.fail_next("media/uploadimg", 40014, "invalid access_token")

    assert client.upload_body_image("b.png", PNG).startswith(fake.base_url)
    assert fake.forced_refreshes == 1


def test_a_token_rejected_again_after_the_refresh_is_not_refreshed_twice(client, fake):
    client.access_token()
    fake.fail_next("freepublish/get", 40001, "invalid credential")
    fake.fail_next("freepublish/get", 40001, "invalid credential")

    with pytest.raises(WeChatError) as raised:
        client.get_publish_status("2247483999")

    assert raised.value.errcode == 40001
    assert raised.value.retryable
    assert fake.forced_refreshes == 1
    assert fake.calls_to("freepublish/get") == 2


def test_token_is_cached_and_shared_between_clients_using_the_same_store(make_client, fake):
    first, second = make_client(), make_client()

    first.upload_body_image("a.png", PNG)
    second.upload_body_image("b.png", PNG)
    first.add_cover_material("c.jpg", JPEG)

    assert len(fake.stable_token_calls) == 1
    tokens = {r["access_token"] for r in fake.requests if r["endpoint"] != "stable_token"}
    assert tokens == {fake.stable_token_calls[0]["token"]}


def test_a_refresh_by_another_worker_is_reused_instead_of_forcing_another(make_client, fake,
                                                                         store):
    first = make_client()
    stale = first.access_token()
    fake.expire_tokens(40001)
    make_client().upload_body_image("a.png", PNG)  # another worker refreshes (forced)
    assert fake.forced_refreshes == 1

    class StaleOnce:
        """The first read returns the token this worker read before the other's refresh."""

        def __init__(self):
            self.served = False

        def get(self, key):
            if not self.served:
                self.served = True
                return stale
            return store.get(key)

        def set(self, key, value, ttl_seconds):
            store.set(key, value, ttl_seconds)

        def delete(self, key):
            store.delete(key)

    make_client(token_store=StaleOnce()).upload_body_image("b.png", PNG)

    assert fake.forced_refreshes == 1
    assert len(fake.images) == 2


def test_token_is_fetched_again_when_the_cache_entry_expires(make_client, fake):
    now = [1000.0]
    client = make_client(token_store=InMemoryTokenStore(clock=lambda: now[0]))
    client.access_token()
    now[0] += 7200 - 300 - 1
    client.access_token()
    assert len(fake.stable_token_calls) == 1

    now[0] += 2
    client.access_token()
    assert len(fake.stable_token_calls) == 2
    assert fake.forced_refreshes == 0


def test_wrong_secret_is_not_retryable(make_client):
    with pytest.raises(WeChatError) as raised:
        make_client(secret="wrong").access_token()
    assert raised.value.errcode == 40125
    assert not raised.value.retryable


@pytest.mark.parametrize(("endpoint", "errcode", "retryable", "content_rejection"), [
    ("draft/add", 87014, False, True),
    ("draft/add", 45166, False, True),
    ("freepublish/submit", 53503, False, True),
    ("freepublish/submit", -1, True, False),
    ("freepublish/submit", 45009, True, False),
    ("freepublish/submit", 53501, True, False),
    ("freepublish/submit", 40007, False, False),
    ("draft/add", 45003, False, False),
])
def test_wechat_errors_are_classified(client, fake, endpoint, errcode, retryable,
                                      content_rejection):
    cover = client.add_cover_material("cover.jpg", JPEG)
    fake.fail_next(endpoint, errcode, "refused")

    with pytest.raises(WeChatError) as raised:
        draft = client.add_draft([{"title": "标题", "content": "<p>x</p>",
                                   "thumb_media_id": cover}])
        client.submit_publish(draft)

    assert raised.value.errcode == errcode
    assert raised.value.retryable is retryable
    assert raised.value.is_content_rejection is content_rejection
    assert fake.forced_refreshes == 0


def test_content_rejection_is_not_retryable(client, fake):
    cover = client.add_cover_material("cover.jpg", JPEG)
    fake.fail_next("draft/add", 87014, "content contains risky content")

    with pytest.raises(WeChatError) as raised:
        client.add_draft([{"title": "标题", "content": "<p>x</p>", "thumb_media_id": cover}])

    assert raised.value.is_content_rejection
    assert not raised.value.retryable
    assert not fake.drafts


def test_http_500_is_retryable_and_the_next_call_succeeds(client, fake):
    cover = client.add_cover_material("cover.jpg", JPEG)
    draft = client.add_draft([{"title": "标题", "content": "<p>x</p>", "thumb_media_id": cover}])
    fake.http_500_next("freepublish/submit")

    with pytest.raises(WeChatError) as raised:
        client.submit_publish(draft)

    assert raised.value.http_status == 500
    assert raised.value.retryable
    assert raised.value.may_have_taken_effect
    assert not fake.publishes
    assert client.submit_publish(draft) in fake.publishes


def test_timeout_is_retryable(make_client, fake):
    client = make_client(timeout=0.2)
    client.access_token()
    fake.delay_next("freepublish/get", 1.0)

    with pytest.raises(WeChatError) as raised:
        client.get_publish_status("2247483999")

    assert raised.value.errcode is None
    assert raised.value.retryable
    assert raised.value.may_have_taken_effect


def test_connection_refused_is_retryable_and_did_not_take_effect(make_client):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    client = make_client(base_url=f"http://127.0.0.1:{closed_port}")

    with pytest.raises(WeChatError) as raised:
        client.access_token()

    assert raised.value.retryable
    assert not raised.value.may_have_taken_effect


def test_delete_publish_removes_the_article(client, fake, http):
    fake.script_publish(["success"])
    publish_id = _publish_draft(client)
    status, _ = _poll(client, publish_id)

    client.delete_publish(status.article_id)

    assert fake.articles[status.article_id]["deleted"]
    assert fake.deleted_articles == [(status.article_id, 0)]
    assert http.get(status.article_url).status_code == 404
    after = client.get_publish_status(publish_id)
    assert after.state == "failed"
    assert after.reason_code == "deleted_after_publication"
    with pytest.raises(WeChatError) as again:
        client.delete_publish(status.article_id)
    assert again.value.errcode == 53600
    assert not again.value.retryable


def test_fake_refuses_unknown_and_missing_tokens(fake, http):
    unknown = http.post(f"{fake.base_url}/cgi-bin/freepublish/get",
                        params={"access_token": "not-issued"}, json={"publish_id": "1"})
    missing = http.post(f"{fake.base_url}/cgi-bin/freepublish/get", json={"publish_id": "1"})

    assert unknown.json()["errcode"] == 40014
    assert missing.json()["errcode"] == 41001


def test_fake_binds_loopback_only(fake):
    assert fake.base_url.startswith("http://127.0.0.1:")
    assert fake._httpd.server_address[0] == "127.0.0.1"


def test_fake_runs_from_the_command_line(http):
    with subprocess.Popen(
            [sys.executable, "-m", "releases.channels.fake_wechat", "--port", "0",
             "--appid", APPID, "--secret", SECRET],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as process:
        try:
            base_url = process.stdout.readline().strip()
            assert base_url.startswith("http://127.0.0.1:")
            answer = http.post(f"{base_url}/cgi-bin/stable_token", json={
                "grant_type": "client_credential", "appid": APPID, "secret": SECRET,
                "force_refresh": False}).json()
            assert answer["access_token"] and answer["expires_in"] == 7200
        finally:
            process.terminate()
            process.wait(timeout=10)
