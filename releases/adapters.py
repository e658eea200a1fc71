"""Channel adapters: one small interface, one class per channel kind.

An adapter talks to its channel and says what happened; it never writes to the
database. `releases.delivery` owns state, idempotency records and the audit trail.
`save_state` persists what the adapter got back (ids) before it goes on, so a
redelivered task resumes instead of publishing again.
"""

import abc
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

import httpx
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.urls import reverse

from agencies.models import ChannelKind

from .channels.webhooks import EVENT_RELEASED, EVENT_RETRACTED, WebhookSender
from .channels.wechat import WeChatClient, WeChatError

PUBLISHED = "published"
AWAITING_CONFIRMATION = "awaiting_confirmation"
IN_PROGRESS = "in_progress"   # accepted by the channel, not yet live: ask again later
RETRY = "retry"               # a transient failure: try again later
FAILED = "failed"             # a permanent failure: a person must look at it
RETRACTED = "retracted"


@dataclass
class Outcome:
    state: str
    external_url: str = ""
    external_id: str = ""
    error: str = ""
    retry_after: float | None = None
    details: dict = field(default_factory=dict)


SaveState = Callable[[dict], None]


class ChannelAdapter(abc.ABC):
    """What delivery needs of a channel kind; every kind implements all three."""

    @abc.abstractmethod
    def deliver(self, release, *, key: str, state: dict, save_state: SaveState) -> Outcome:
        """Send the item (idempotent under `key`)."""

    @abc.abstractmethod
    def retract(self, release, *, key: str, state: dict, save_state: SaveState) -> Outcome:
        """Take the item back (idempotent under `key`)."""

    @abc.abstractmethod
    def check_status(self, release, *, state: dict) -> Outcome:
        """Where a delivery that answered IN_PROGRESS stands now."""


def public_url(release) -> str:
    path = reverse("publicsite:item", args=[release.channel.agency.code, release.publication_id])
    base = settings.PUBLIC_SITE_BASE_URL
    return f"{base}{path}"


class SiteAdapter(ChannelAdapter):
    """The agency's disclosure column, served by this system: live once marked published."""

    def deliver(self, release, *, key, state, save_state):
        return Outcome(PUBLISHED, external_url=public_url(release))

    def check_status(self, release, *, state):
        return Outcome(PUBLISHED, external_url=public_url(release))

    def retract(self, release, *, key, state, save_state):
        return Outcome(RETRACTED)


class ManualAdapter(ChannelAdapter):
    """Newspapers, magazines, notice boards: a publisher confirms date and page."""

    def deliver(self, release, *, key, state, save_state):
        return Outcome(AWAITING_CONFIRMATION)

    def check_status(self, release, *, state):
        return Outcome(AWAITING_CONFIRMATION)

    def retract(self, release, *, key, state, save_state):
        # Print cannot be recalled by the system; the trail records that the publisher
        # must arrange the correction with the medium.
        return Outcome(RETRACTED, details={"note": "需由发布员联系媒体刊登更正或撤稿声明"})


def publication_payload(release) -> dict:
    publication = release.publication
    return {
        "id": publication.pk,
        "agency": release.channel.agency.code,
        "title": publication.title,
        "body_html": publication.body,
        "category": publication.category.code,
        "article20_item": publication.article20_item,
        "document_number": publication.document_number,
        "formed_on": publication.formed_on.isoformat() if publication.formed_on else None,
        "url": public_url(release),
        "fingerprint": release.fingerprint,
    }


_http_clients: dict[int, httpx.Client] = {}


def shared_http_client() -> httpx.Client:
    """One keep-alive HTTP client per worker process.

    A new client per delivery loads the CA bundle and opens a new connection each time
    (measured: ~17 ms of CPU per webhook, the largest cost of a delivery).
    """
    pid = os.getpid()  # a forked pool process must not share its parent's sockets
    client = _http_clients.get(pid)
    if client is None:
        client = _http_clients[pid] = httpx.Client(timeout=10)
    return client


class WebhookAdapter(ChannelAdapter):
    """County media apps, provincial platforms: Standard Webhooks, signed per channel."""

    def _send(self, release, key, event_type, payload) -> Outcome:
        config = release.channel.config or {}
        url, secret = config.get("url"), config.get("secret")
        if not url or not secret:
            return Outcome(FAILED, error="渠道未配置 url 或 secret")
        sender = WebhookSender(http=shared_http_client(), timeout=config.get("timeout", 10))
        result = sender.send(url, secret, key, event_type, payload)
        if result.ok:
            return Outcome(PUBLISHED if event_type == EVENT_RELEASED else RETRACTED,
                           details={"status_code": result.status_code})
        return Outcome(RETRY if result.retryable else FAILED, error=result.error,
                       retry_after=result.retry_after,
                       details={"status_code": result.status_code})

    def deliver(self, release, *, key, state, save_state):
        return self._send(release, key, EVENT_RELEASED, publication_payload(release))

    def check_status(self, release, *, state):
        # A receiver answers at once, so it never leaves a delivery in progress; should one
        # be, it is sent again under the same webhook-id (receivers deduplicate).
        return Outcome(RETRY, error="投递状态未知，将以同一 webhook-id 重发")

    def retract(self, release, *, key, state, save_state):
        return self._send(release, key, EVENT_RETRACTED,
                          {"id": release.publication_id,
                           "agency": release.channel.agency.code})


class DjangoCacheTokenStore:
    """WeChat tokens in the shared cache (Redis in production), so workers share one."""

    def get(self, key):
        return cache.get(key)

    def set(self, key, value, ttl_seconds):
        cache.set(key, value, ttl_seconds)

    def delete(self, key):
        cache.delete(key)


class WeChatAdapter(ChannelAdapter):
    """WeChat official account: draft → freepublish → poll; retraction by freepublish/delete."""

    def _client(self, release):
        config = release.channel.config or {}
        return WeChatClient(appid=config["appid"], secret=config["secret"],
                            base_url=config.get("base_url", "https://api.weixin.qq.com"),
                            token_store=DjangoCacheTokenStore(), http=shared_http_client())

    def deliver(self, release, *, key, state, save_state):
        config = release.channel.config or {}
        if not config.get("appid") or not config.get("secret"):
            return Outcome(FAILED, error="渠道未配置 appid 或 secret")
        try:
            with self._client(release) as client:
                if "publish_id" not in state:
                    if "draft_media_id" not in state:
                        thumb = config.get("thumb_media_id") or state.get("thumb_media_id")
                        if not thumb:
                            thumb = client.add_cover_material("cover.png", _default_cover())
                            save_state({**state, "thumb_media_id": thumb})
                            state = {**state, "thumb_media_id": thumb}
                        publication = release.publication
                        body, state = _body_with_wechat_images(client, publication.body, state,
                                                               save_state)
                        media_id = client.add_draft([{
                            "title": publication.title[:64], "content": body,
                            "thumb_media_id": thumb, "content_source_url": public_url(release),
                        }])
                        state = {**state, "draft_media_id": media_id}
                        save_state(state)
                    publish_id = client.submit_publish(state["draft_media_id"])
                    state = {**state, "publish_id": publish_id}
                    save_state(state)
                return self._status(client, state)
        except WeChatError as error:
            return Outcome(RETRY if error.retryable else FAILED, error=str(error),
                           details={"errcode": error.errcode})

    def _status(self, client, state) -> Outcome:
        status = client.get_publish_status(state["publish_id"])
        if status.state == "success":
            return Outcome(PUBLISHED, external_url=status.article_url or "",
                           external_id=status.article_id or "")
        if status.state == "publishing":
            return Outcome(IN_PROGRESS, external_id=state["publish_id"])
        return Outcome(FAILED, error=status.reason, details={"reason_code": status.reason_code})

    def check_status(self, release, *, state):
        try:
            with self._client(release) as client:
                return self._status(client, state)
        except WeChatError as error:
            return Outcome(RETRY if error.retryable else FAILED, error=str(error))

    def retract(self, release, *, key, state, save_state):
        if not release.external_id:
            return Outcome(RETRACTED, details={"note": "未在微信发布成功，无需删除"})
        try:
            with self._client(release) as client:
                client.delete_publish(release.external_id)
        except WeChatError as error:
            if error.errcode == 53600:  # already deleted
                return Outcome(RETRACTED)
            return Outcome(RETRY if error.retryable else FAILED, error=str(error))
        return Outcome(RETRACTED)


_IMG_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]+)(")', re.IGNORECASE)


def _body_with_wechat_images(client, body: str, state: dict, save_state):
    """Upload the body's own images (from our media storage) with media/uploadimg.

    WeChat shows only images it hosts. Uploaded URLs are kept in the call state, so a
    resumed delivery does not upload them again. Images from elsewhere are left as they
    are (WeChat drops them), which the reviewers saw in the preview.
    """
    uploaded = dict(state.get("images", {}))
    media_url = settings.MEDIA_URL if settings.MEDIA_URL.startswith("/") else (
        "/" + settings.MEDIA_URL)
    for src in {m.group(2) for m in _IMG_SRC.finditer(body)}:
        if src in uploaded or not src.startswith(media_url):
            continue
        name = unquote(src[len(media_url):])
        if not default_storage.exists(name):
            continue
        with default_storage.open(name, "rb") as handle:
            uploaded[src] = client.upload_body_image(name.rsplit("/", 1)[-1], handle.read())
        state = {**state, "images": uploaded}
        save_state(state)
    return _IMG_SRC.sub(lambda m: m.group(1) + uploaded.get(m.group(2), m.group(2)) + m.group(3),
                        body), state


def _default_cover() -> bytes:
    from pathlib import Path

    return (Path(__file__).parent / "static" / "releases" / "wechat-cover.png").read_bytes()


ADAPTERS = {
    ChannelKind.SITE: SiteAdapter(),
    ChannelKind.MANUAL: ManualAdapter(),
    ChannelKind.WEBHOOK: WebhookAdapter(),
    ChannelKind.WECHAT: WeChatAdapter(),
}


def adapter_for(channel) -> ChannelAdapter:
    return ADAPTERS[channel.kind]
