"""A thin client for the WeChat official-account publishing API (草稿箱 + 发布能力).

wechatpy 1.8 has no draft/freepublish endpoints, so this module speaks the HTTP API directly
with httpx. It owns three things: the access token (a `stable_token`, cached in a shared store
so that every worker uses the same one), the one retry after WeChat rejects that token, and
the translation of WeChat's answers into `WeChatError` / `PublishStatus` that say whether a
failure is worth retrying. Deciding *when* to retry, and never publishing twice, is the
delivery engine's job.

Retry classification (`WeChatError.retryable`):

* retryable: errcode -1 (system busy); the quota and frequency limits 45009 (daily API quota,
  reset at midnight), 45011 (per-minute frequency) and 53501 (请勿频繁请求) — the content is
  fine, only later attempts can succeed; a token error (40001/40014/42001) that survives the
  forced refresh; network errors and timeouts; HTTP 5xx, 408 and 429; a 2xx answer that is not
  JSON (a gateway error page).
* not retryable, content rejections (`is_content_rejection`): 87014 (risky content), 45166
  (invalid content), 53503 (the draft did not pass the publish check). For publishes the
  rejection usually arrives later, as publish_status 2 (original-content check), 4 (platform
  review) or 6 (banned) in `get_publish_status`.
* not retryable, everything else: configuration and credential errors (40013 invalid appid,
  40125 invalid secret, 40164 IP not whitelisted, 48001 API not authorised), malformed
  requests (47001, 44003, 40007 invalid media_id) and the size limits 45001–45008. Repeating
  the same request cannot succeed; a person has to change something first.

`WeChatError.may_have_taken_effect` is True when the request may have reached WeChat (a read
timeout, an HTTP 5xx). For `add_draft` and `submit_publish` that means a retry could create a
second draft or publish; callers that need exactly-once must reconcile before resubmitting.
"""

from __future__ import annotations

import json
import mimetypes
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

DEFAULT_BASE_URL = "https://api.weixin.qq.com"

#: The access token is invalid, was superseded, or expired: fetch a new one and try again.
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
#: Transient on WeChat's side or a quota that frees up later.
RETRYABLE_ERRCODES = frozenset({-1, 45009, 45011, 53501})
#: WeChat refused the content itself; sending it again unchanged fails the same way.
CONTENT_REJECTION_ERRCODES = frozenset({87014, 45166, 53503})

#: Seconds before WeChat's expiry at which the cached token is dropped, so that a token is
#: never used in its last minutes (calls in flight, clock skew between workers).
TOKEN_SAFETY_MARGIN = 300

_REQUIRED_ARTICLE_KEYS = ("title", "content", "thumb_media_id")

PUBLISH_SUCCESS = "success"
PUBLISH_PUBLISHING = "publishing"
PUBLISH_FAILED = "failed"

# publish_status -> (reason code for translation, readable reason)
_PUBLISH_FAILURES = {
    2: ("original_check_failed", "原创声明校验失败 (original-content check failed)"),
    3: ("general_failure", "常规失败 (general publishing failure)"),
    4: ("review_rejected", "平台审核不通过 (rejected by platform review)"),
    5: ("deleted_after_publication", "发表成功后被删除 (all articles deleted after publication)"),
    6: ("banned_after_publication", "发表成功后被系统封禁 (all articles banned after publication)"),
}
_CONTENT_REJECTION_STATUSES = frozenset({2, 4, 6})


class TokenStore(Protocol):
    """Where the access token lives; a Django-cache/Redis adapter in production."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, ttl_seconds: int) -> None: ...

    def delete(self, key: str) -> None: ...


class InMemoryTokenStore:
    """A process-local `TokenStore` for tests and single-process demos."""

    def __init__(self, *, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._values: dict[str, tuple[str, float]] = {}

    def get(self, key: str) -> str | None:
        with self._lock:
            entry = self._values.get(key)
            if entry is None:
                return None
            value, expires_at = entry
            if self._clock() >= expires_at:
                del self._values[key]
                return None
            return value

    def set(self, key: str, value: str, ttl_seconds: int) -> None:
        with self._lock:
            self._values[key] = (value, self._clock() + ttl_seconds)

    def delete(self, key: str) -> None:
        with self._lock:
            self._values.pop(key, None)


class WeChatError(Exception):
    """WeChat refused a call, or could not be reached.

    `errcode` is WeChat's error code, or None when there was no WeChat answer (network error,
    timeout, HTTP error status, unreadable body); `http_status` is set for HTTP errors.
    """

    def __init__(self, errcode: int | None, errmsg: str, *, http_status: int | None = None,
                 retryable: bool | None = None, may_have_taken_effect: bool = False):
        self.errcode = errcode
        self.errmsg = errmsg
        self.http_status = http_status
        self.retryable = _classify_retryable(errcode, http_status) if retryable is None \
            else retryable
        self.may_have_taken_effect = may_have_taken_effect
        super().__init__(str(self))

    @property
    def is_content_rejection(self) -> bool:
        return self.errcode in CONTENT_REJECTION_ERRCODES

    @property
    def is_token_error(self) -> bool:
        return self.errcode in TOKEN_ERRCODES

    def __str__(self) -> str:
        if self.errcode is not None:
            return f"WeChat errcode {self.errcode}: {self.errmsg}"
        return f"WeChat unreachable: {self.errmsg}"


def _classify_retryable(errcode: int | None, http_status: int | None) -> bool:
    if errcode is None:
        if http_status is None:
            return True  # network error or an unreadable answer
        return http_status >= 500 or http_status in (408, 429)
    # A token error reaching the caller already survived one forced refresh: most likely a
    # race with another refresh, which a later attempt resolves.
    return errcode in RETRYABLE_ERRCODES or errcode in TOKEN_ERRCODES


@dataclass(frozen=True)
class PublishStatus:
    """Where a freepublish task stands.

    `state` is "success", "publishing" or "failed". For failures `reason` is readable text
    (Chinese and English, with the failed article numbers) and `reason_code` a stable key the
    caller can translate. `publish_status` is WeChat's raw value.
    """

    state: str
    publish_id: str
    publish_status: int
    article_id: str | None = None
    article_url: str | None = None
    article_urls: tuple[str, ...] = ()
    fail_idx: tuple[int, ...] = ()
    reason: str = ""
    reason_code: str = ""

    @property
    def is_content_rejection(self) -> bool:
        return self.publish_status in _CONTENT_REJECTION_STATUSES


def publish_status_from_response(data: dict) -> PublishStatus:
    """Map a freepublish/get answer onto a `PublishStatus`."""
    status = int(data.get("publish_status", -1))
    detail = data.get("article_detail") or {}
    urls = tuple(item["article_url"] for item in detail.get("item") or []
                 if item.get("article_url"))
    common = {
        "publish_id": str(data.get("publish_id", "")),
        "publish_status": status,
        "article_id": data.get("article_id") or None,
        "article_url": urls[0] if urls else None,
        "article_urls": urls,
        "fail_idx": tuple(int(i) for i in data.get("fail_idx") or []),
    }
    if status == 0:
        return PublishStatus(state=PUBLISH_SUCCESS, **common)
    if status == 1:
        return PublishStatus(state=PUBLISH_PUBLISHING, **common)
    if status in _PUBLISH_FAILURES:
        code, text = _PUBLISH_FAILURES[status]
        reason = f"WeChat publish_status {status}: {text}"
        if common["fail_idx"]:
            numbers = ", ".join(str(i) for i in common["fail_idx"])
            reason += f"; failed article(s) (fail_idx): {numbers}"
        return PublishStatus(state=PUBLISH_FAILED, reason=reason, reason_code=code, **common)
    # An unknown status might be a live article: reporting "failed" could lead to a second
    # publish, so keep polling and let the caller's polling deadline surface it.
    return PublishStatus(state=PUBLISH_PUBLISHING, reason=f"unknown publish_status {status}",
                         reason_code="unknown_status", **common)


@dataclass
class _Upload:
    filename: str
    data: bytes
    content_type: str = ""

    def as_files(self) -> dict:
        content_type = self.content_type or mimetypes.guess_type(self.filename)[0] \
            or "application/octet-stream"
        return {"media": (self.filename, self.data, content_type)}


class WeChatClient:
    """One official account's publishing API. Thread-safe; reuse one per account."""

    def __init__(self, *, appid: str, secret: str, base_url: str = DEFAULT_BASE_URL,
                 token_store: TokenStore, http: httpx.Client | None = None,
                 timeout: float = 10, deadline: float | None = None):
        """`deadline` (a `time.monotonic()` value): every call ends by then; none starts after."""
        self.appid = appid
        self.deadline = deadline
        self._secret = secret
        self.base_url = base_url.rstrip("/")
        self.token_store = token_store
        self.timeout = timeout
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=timeout)
        self._refresh_lock = threading.Lock()

    def __repr__(self) -> str:  # never the secret or the token
        return f"<WeChatClient appid={self.appid!r} base_url={self.base_url!r}>"

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> WeChatClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- access token ---------------------------------------------------------------------

    @property
    def token_key(self) -> str:
        return f"wechat:stable_token:{self.appid}"

    def access_token(self) -> str:
        """The shared access token, fetched with stable_token when the store has none."""
        token = self.token_store.get(self.token_key)
        if token:
            return token
        with self._refresh_lock:
            token = self.token_store.get(self.token_key)
            return token or self._fetch_token(force_refresh=False)

    def _fetch_token(self, *, force_refresh: bool) -> str:
        data = self._send("/cgi-bin/stable_token", json_body={
            "grant_type": "client_credential",
            "appid": self.appid,
            "secret": self._secret,
            "force_refresh": force_refresh,
        })
        token = data.get("access_token")
        if not token:
            raise WeChatError(None, "stable_token answer without access_token")
        expires_in = int(data.get("expires_in", 7200))
        if expires_in > 2 * TOKEN_SAFETY_MARGIN:
            ttl = expires_in - TOKEN_SAFETY_MARGIN
        else:
            ttl = max(expires_in // 2, 1)
        self.token_store.set(self.token_key, token, ttl)
        return token

    def _token_after_rejection(self, rejected: str) -> str:
        """A token to replace one WeChat just rejected.

        If another worker already stored a newer token, use that rather than forcing yet
        another refresh: WeChat rate-limits forced refreshes, and each one replaces the token
        every other worker is using.
        """
        with self._refresh_lock:
            current = self.token_store.get(self.token_key)
            if current and current != rejected:
                return current
            self.token_store.delete(self.token_key)
            return self._fetch_token(force_refresh=True)

    # -- publishing API -------------------------------------------------------------------

    def upload_body_image(self, filename: str, data: bytes) -> str:
        """Upload an image used inside the article body; returns its URL (jpg/png, < 1 MB)."""
        answer = self._call("/cgi-bin/media/uploadimg", upload=_Upload(filename, data))
        return _required(answer, "url")

    def add_cover_material(self, filename: str, data: bytes) -> str:
        """Upload the cover as permanent image material; returns its media_id."""
        answer = self._call("/cgi-bin/material/add_material", params={"type": "image"},
                            upload=_Upload(filename, data))
        return _required(answer, "media_id")

    def add_draft(self, articles: list[dict]) -> str:
        """Create a draft of one or more articles; returns the draft's media_id.

        Each article needs title, content and thumb_media_id; author, digest,
        content_source_url, need_open_comment and only_fans_can_comment are optional.
        """
        if not articles:
            raise ValueError("a draft needs at least one article")
        prepared = []
        for article in articles:
            missing = [key for key in _REQUIRED_ARTICLE_KEYS if not article.get(key)]
            if missing:
                raise ValueError(f"article is missing {', '.join(missing)}")
            prepared.append({"author": "", "digest": "", "content_source_url": "",
                             "need_open_comment": 0, "only_fans_can_comment": 0, **article})
        answer = self._call("/cgi-bin/draft/add", json_body={"articles": prepared})
        return _required(answer, "media_id")

    def submit_publish(self, media_id: str) -> str:
        """Submit a draft for publishing; returns the publish_id to poll."""
        answer = self._call("/cgi-bin/freepublish/submit", json_body={"media_id": media_id})
        return str(_required(answer, "publish_id"))

    def get_publish_status(self, publish_id: str) -> PublishStatus:
        """Poll a submitted publish task."""
        answer = self._call("/cgi-bin/freepublish/get", json_body={"publish_id": publish_id})
        return publish_status_from_response(answer)

    def delete_publish(self, article_id: str, index: int = 0) -> None:
        """Delete a published article (撤稿); index 0 deletes every article of it, N the N-th."""
        self._call("/cgi-bin/freepublish/delete",
                   json_body={"article_id": article_id, "index": index})

    # -- transport ------------------------------------------------------------------------

    def _call(self, path: str, *, params: dict | None = None, json_body: Any = None,
              upload: _Upload | None = None) -> dict:
        token = self.access_token()
        try:
            return self._send(path, token=token, params=params, json_body=json_body,
                              upload=upload)
        except WeChatError as exc:
            if not exc.is_token_error:
                raise
        token = self._token_after_rejection(token)
        return self._send(path, token=token, params=params, json_body=json_body, upload=upload)

    def _send(self, path: str, *, token: str | None = None, params: dict | None = None,
              json_body: Any = None, upload: _Upload | None = None) -> dict:
        query = dict(params or {})
        if token is not None:
            query["access_token"] = token
        timeout = self.timeout
        if self.deadline is not None:
            timeout = min(timeout, self.deadline - time.monotonic())
            if timeout <= 0:
                raise WeChatError(None, "this attempt's time is used up", retryable=True)
        kwargs: dict[str, Any] = {"params": query, "timeout": timeout}
        if upload is not None:
            kwargs["files"] = upload.as_files()
        else:
            kwargs["content"] = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            kwargs["headers"] = {"Content-Type": "application/json; charset=utf-8"}
        # Error messages never include the request URL: it carries the access token.
        try:
            response = self._http.post(self.base_url + path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise WeChatError(None, f"cannot connect: {type(exc).__name__}") from exc
        except httpx.TimeoutException as exc:
            raise WeChatError(None, f"timed out: {type(exc).__name__}",
                              may_have_taken_effect=True) from exc
        except httpx.TransportError as exc:
            raise WeChatError(None, f"network error: {type(exc).__name__}",
                              may_have_taken_effect=True) from exc
        if not response.is_success:
            raise WeChatError(None, f"HTTP {response.status_code}",
                              http_status=response.status_code,
                              may_have_taken_effect=response.status_code >= 500)
        try:
            data = json.loads(response.content)
        except ValueError as exc:
            raise WeChatError(None, "answer is not JSON", http_status=response.status_code,
                              retryable=True, may_have_taken_effect=True) from exc
        if not isinstance(data, dict):
            raise WeChatError(None, "answer is not a JSON object", retryable=True,
                              may_have_taken_effect=True)
        errcode = data.get("errcode", 0)
        if errcode:
            raise WeChatError(int(errcode), str(data.get("errmsg", "")))
        return data


def _required(answer: dict, key: str):
    value = answer.get(key)
    if value in (None, ""):
        raise WeChatError(None, f"answer without {key}", retryable=False)
    return value
