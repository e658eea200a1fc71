"""Channel adapters: one small interface, one class per channel kind.

An adapter talks to its channel and says what happened; it never writes to the
database. `releases.delivery` owns state, idempotency records and the audit trail.
`save_state` persists what the adapter got back (ids) before it goes on, so a
redelivered task resumes instead of publishing again.
"""

import abc
import os
import re
import time
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
from .models import ReleaseStatus

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
    """What delivery needs of a channel kind; every kind implements all three.

    `deadline` (a `time.monotonic()` value) is when every call out of this attempt must
    have ended: calls are cut off there, and none is started after it, so that no call is
    still under way when the lease runs out and another worker may take the release.
    `save_state` raises `delivery.LeaseLost` when another worker has taken it meanwhile:
    adapters save before each call that changes something on the channel.
    """

    @abc.abstractmethod
    def deliver(self, release, *, key: str, state: dict, save_state: SaveState,
                deadline: float) -> Outcome:
        """Send the item (idempotent under `key`)."""

    @abc.abstractmethod
    def retract(self, release, *, key: str, state: dict, save_state: SaveState,
                delivered: dict, deadline: float) -> Outcome:
        """Take the item back (idempotent under `key`). The release may be published, or
        still on its way (its item was retracted meanwhile): `delivered` is what the
        delivery calls got back, to find out whether it went out. Details `went_live` when
        it turns out to have reached the channel."""

    @abc.abstractmethod
    def check_status(self, release, *, state: dict, deadline: float) -> Outcome:
        """Where a delivery that answered IN_PROGRESS stands now."""

    def may_have_reached(self, release, delivered: dict) -> bool:
        """Whether an unpublished release of a retracted item could be on the channel
        anyway, so that its retraction must go through the channel."""
        return release.status == ReleaseStatus.SENDING or (
            release.status == ReleaseStatus.PENDING and release.attempts > 0)


def seconds_left(deadline: float) -> float:
    return deadline - time.monotonic()


def public_url(release) -> str:
    path = reverse("publicsite:item", args=[release.channel.agency.code, release.publication_id])
    base = settings.PUBLIC_SITE_BASE_URL
    return f"{base}{path}"


class SiteAdapter(ChannelAdapter):
    """The agency's disclosure column, served by this system: live once marked published."""

    def deliver(self, release, *, key, state, save_state, deadline):
        return Outcome(PUBLISHED, external_url=public_url(release))

    def check_status(self, release, *, state, deadline):
        return Outcome(PUBLISHED, external_url=public_url(release))

    def retract(self, release, *, key, state, save_state, delivered, deadline):
        # the column shows approved items only: a retracted one is off it already
        return Outcome(RETRACTED)


class ManualAdapter(ChannelAdapter):
    """Newspapers, magazines, notice boards: a publisher confirms date and page."""

    def deliver(self, release, *, key, state, save_state, deadline):
        return Outcome(AWAITING_CONFIRMATION)

    def check_status(self, release, *, state, deadline):
        return Outcome(AWAITING_CONFIRMATION)

    def retract(self, release, *, key, state, save_state, delivered, deadline):
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

    def _send(self, release, key, event_type, payload, deadline) -> Outcome:
        config = release.channel.config or {}
        url, secret = config.get("url"), config.get("secret")
        if not is_configured(release.channel):
            return Outcome(FAILED, error="渠道未配置 url 或 secret")
        left = seconds_left(deadline)
        if left <= 0:
            return Outcome(RETRY, error="本次尝试的时间已用完，稍后重试")
        sender = WebhookSender(http=shared_http_client(),
                               timeout=min(config.get("timeout", 10), left))
        result = sender.send(url, secret, key, event_type, payload)
        if result.ok:
            return Outcome(PUBLISHED if event_type == EVENT_RELEASED else RETRACTED,
                           details={"status_code": result.status_code})
        return Outcome(RETRY if result.retryable else FAILED, error=result.error,
                       retry_after=result.retry_after,
                       details={"status_code": result.status_code})

    def deliver(self, release, *, key, state, save_state, deadline):
        return self._send(release, key, EVENT_RELEASED, publication_payload(release), deadline)

    def check_status(self, release, *, state, deadline):
        # A receiver answers at once, so it never leaves a delivery in progress; should one
        # be, it is sent again under the same webhook-id (receivers deduplicate).
        return Outcome(RETRY, error="投递状态未知，将以同一 webhook-id 重发")

    def retract(self, release, *, key, state, save_state, delivered, deadline):
        # Sent also when the delivery's answer was lost (the receiver may have it); receivers
        # ignore a retraction of an id they never took.
        outcome = self._send(release, key, EVENT_RETRACTED,
                             {"id": release.publication_id,
                              "agency": release.channel.agency.code}, deadline)
        outcome.details["went_live"] = release.status == ReleaseStatus.PUBLISHED
        return outcome


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

    def _client(self, release, deadline):
        config = release.channel.config or {}
        return WeChatClient(appid=config["appid"], secret=config["secret"],
                            base_url=config.get("base_url", "https://api.weixin.qq.com"),
                            token_store=DjangoCacheTokenStore(), http=shared_http_client(),
                            deadline=deadline)

    def deliver(self, release, *, key, state, save_state, deadline):
        config = release.channel.config or {}
        if not is_configured(release.channel):
            return Outcome(FAILED, error="渠道未配置 appid 或 secret")
        if _submit_unanswered(state):
            return Outcome(FAILED, error=SUBMIT_UNANSWERED)
        try:
            with self._client(release, deadline) as client:
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
                    # Marked before it is sent: if the answer is lost, nobody submits again
                    # what WeChat may already be publishing.
                    state = {**state, "submit_sent": True}
                    save_state(state)
                    try:
                        publish_id = client.submit_publish(state["draft_media_id"])
                    except WeChatError as error:
                        if error.may_have_taken_effect:
                            return Outcome(FAILED, error=f"{SUBMIT_UNANSWERED}（{error}）")
                        state = {k: v for k, v in state.items() if k != "submit_sent"}
                        save_state(state)
                        raise
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

    def check_status(self, release, *, state, deadline):
        try:
            with self._client(release, deadline) as client:
                return self._status(client, state)
        except WeChatError as error:
            return Outcome(RETRY if error.retryable else FAILED, error=str(error))

    def may_have_reached(self, release, delivered):
        return super().may_have_reached(release, delivered) or _submit_unanswered(delivered)

    def retract(self, release, *, key, state, save_state, delivered, deadline):
        """Delete the article; for a release still on its way, first ask WeChat where its
        publish stands (still publishing: ask again later; failed: nothing to delete)."""
        article_id = release.external_id if release.status == ReleaseStatus.PUBLISHED else ""
        article_id = state.get("article_id") or article_id
        went_live = release.status == ReleaseStatus.PUBLISHED
        try:
            with self._client(release, deadline) as client:
                if not article_id:
                    if "publish_id" not in delivered:
                        if _submit_unanswered(delivered):
                            return Outcome(FAILED, error=RETRACT_UNKNOWN)
                        return Outcome(RETRACTED, details={"note": "未提交微信发布，无需删除"})
                    outcome = self._status(client, delivered)
                    if outcome.state == IN_PROGRESS:
                        return Outcome(IN_PROGRESS)
                    if outcome.state != PUBLISHED:
                        return Outcome(RETRACTED, details={"note": "微信未发布成功，无需删除"})
                    article_id, went_live = outcome.external_id, True
                    save_state({**state, "article_id": article_id,
                                "article_url": outcome.external_url})
                client.delete_publish(article_id)
        except WeChatError as error:
            if error.errcode == 53600:  # already deleted
                return Outcome(RETRACTED, external_id=article_id,
                               details={"went_live": went_live})
            return Outcome(RETRY if error.retryable else FAILED, error=str(error),
                           external_id=article_id, details={"went_live": went_live})
        return Outcome(RETRACTED, external_id=article_id,
                       external_url=state.get("article_url", ""),
                       details={"went_live": went_live})


SUBMIT_UNANSWERED = ("发布请求已发给微信但未收到答复，可能已经发出。为免重复发布，"
                     "系统不再自动重发：请在公众号后台核实，确未发出的再点“重新发布”")
RETRACT_UNKNOWN = ("发布请求已发给微信但未收到答复，无法确认是否已发出：请在公众号后台核实，"
                   "已发出的请手工删除")


def _submit_unanswered(state: dict) -> bool:
    return bool(state.get("submit_sent")) and "publish_id" not in state


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


def is_configured(channel) -> bool:
    """Whether the channel has every setting its adapter needs (`agencies.models.
    REQUIRED_SETTINGS`, which the item form and the publication service also check)."""
    return channel.is_configured
