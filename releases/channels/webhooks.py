"""Signed webhook deliveries per the Standard Webhooks spec (https://www.standardwebhooks.com).

For a county media app or a provincial platform that takes our releases by webhook. Each
delivery is a JSON body `{"type", "timestamp", "data"}` with the headers `webhook-id` (the
caller's message id, the same on every retry so the receiver can deduplicate),
`webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`).

A channel secret is either `whsec_<base64>` as the spec's tooling generates it (the key is
the decoded bytes) or any other text (the key is its UTF-8 bytes).

Retry classification (`WebhookResult.retryable`): 2xx is delivered; 5xx, 408, 429, timeouts
and connection errors are worth retrying (the receiver may recover); other 4xx, redirects
(not followed: a moved endpoint is a configuration change), an invalid secret or URL are
not — repeating the same request cannot succeed.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import email.utils
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass

import httpx

EVENT_RELEASED = "publication.released"
EVENT_RETRACTED = "publication.retracted"
EVENT_TYPES = frozenset({EVENT_RELEASED, EVENT_RETRACTED})

SECRET_PREFIX = "whsec_"
RETRYABLE_STATUS_CODES = frozenset({408, 429})
_ERROR_BODY_CHARS = 200


def secret_key(secret: str) -> bytes:
    """The HMAC key of a channel secret (`whsec_<base64>` or raw text)."""
    if secret.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
        except binascii.Error as exc:
            raise ValueError("a whsec_ secret must be followed by base64") from exc
        if not key:
            raise ValueError("the webhook secret is empty")
        return key
    if not secret:
        raise ValueError("the webhook secret is empty")
    return secret.encode("utf-8")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "{msg_id}.{timestamp}.{body}">`."""
    signed = f"{msg_id}.{int(timestamp)}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def build_headers(secret: str, msg_id: str, body: bytes,
                  timestamp: int | None = None) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt; `timestamp` defaults to now."""
    if not msg_id:
        raise ValueError("a webhook needs a message id")
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
        "content-type": "application/json",
    }


def build_body(event_type: str, payload: dict, *, at: float) -> bytes:
    """The JSON body of an event, UTF-8, with `at` (Unix time) as its ISO 8601 timestamp."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}; use one of {sorted(EVENT_TYPES)}")
    moment = dt.datetime.fromtimestamp(at, tz=dt.UTC)
    envelope = {
        "type": event_type,
        "timestamp": moment.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "data": payload,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"),
                      default=_json_default).encode("utf-8")


def _json_default(value):
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


@dataclass(frozen=True)
class WebhookResult:
    """One delivery attempt. `status_code` is None when no HTTP answer arrived."""

    status_code: int | None
    ok: bool
    retryable: bool
    error: str = ""
    retry_after: float | None = None  # seconds, from a 429/503 Retry-After header


class WebhookSender:
    """Sends one signed event per call; never raises for delivery failures."""

    def __init__(self, http: httpx.Client | None = None, timeout: float = 10):
        self.timeout = timeout
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=timeout)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> WebhookSender:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def send(self, url: str, secret: str, msg_id: str, event_type: str,
             payload: dict) -> WebhookResult:
        """POST one event. `msg_id` comes from the caller and must be the same on retries."""
        now = time.time()
        body = build_body(event_type, payload, at=now)
        try:
            headers = build_headers(secret, msg_id, body, timestamp=int(now))
        except ValueError as exc:
            return WebhookResult(None, ok=False, retryable=False, error=str(exc))
        try:
            response = self._http.post(url, content=body, headers=headers, timeout=self.timeout,
                                       follow_redirects=False)
        except httpx.TimeoutException as exc:
            return WebhookResult(None, ok=False, retryable=True,
                                 error=f"timed out ({type(exc).__name__})")
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL) as exc:
            return WebhookResult(None, ok=False, retryable=False,
                                 error=f"invalid request: {exc}")
        except httpx.TransportError as exc:
            return WebhookResult(None, ok=False, retryable=True,
                                 error=f"connection failed ({type(exc).__name__}): {exc}")
        return _result_of(response)


def _result_of(response: httpx.Response) -> WebhookResult:
    code = response.status_code
    if 200 <= code < 300:
        return WebhookResult(code, ok=True, retryable=False)
    if 300 <= code < 400:
        location = response.headers.get("location", "")
        return WebhookResult(code, ok=False, retryable=False,
                             error=f"HTTP {code}: redirect to {location!r} not followed")
    retryable = code >= 500 or code in RETRYABLE_STATUS_CODES
    excerpt = response.text[:_ERROR_BODY_CHARS].strip()
    error = f"HTTP {code}: {excerpt}" if excerpt else f"HTTP {code}"
    return WebhookResult(code, ok=False, retryable=retryable, error=error,
                         retry_after=_retry_after(response) if retryable else None)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)
