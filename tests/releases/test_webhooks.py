"""Standard Webhooks deliveries to a loopback receiver that checks them independently.

The receiver's verification below is written from the spec (https://www.standardwebhooks.com),
not imported from releases.channels.webhooks, so a bug shared by signer and verifier cannot
hide.
"""

import base64
import collections
import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from releases.channels.webhooks import (
    EVENT_RELEASED,
    EVENT_RETRACTED,
    WebhookSender,
    build_headers,
    sign,
)

SECRET = "whsec_" + base64.b64encode(b"county-media-app-shared-key-0001").decode()
TOLERANCE_SECONDS = 5 * 60


class Rejected(Exception):
    pass


def verify(secret: str, headers, body: bytes, *, now: float) -> None:
    """Raise Rejected unless the headers carry a valid, fresh v1 signature of body."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (msg_id and timestamp and signatures):
        raise Rejected("missing webhook headers")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        raise Rejected("timestamp outside the tolerance")
    if secret.startswith("whsec_"):
        key = base64.b64decode(secret[len("whsec_"):])
    else:
        key = secret.encode("utf-8")
    signed_content = "{}.{}.{}".format(msg_id, timestamp, body.decode("utf-8"))
    expected = base64.b64encode(
        hmac.new(key, signed_content.encode("utf-8"), hashlib.sha256).digest()).decode()
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return
    raise Rejected("no valid signature")


class Receiver:
    """A loopback webhook endpoint: verifies, records, answers scripted status codes."""

    def __init__(self, secret: str):
        self.secret = secret
        self.deliveries: list[dict] = []
        self.statuses: collections.deque[int] = collections.deque()
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(receiver.delay)
                receiver._record(self, body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/disclosure"

    def _record(self, handler, body: bytes) -> None:
        entry = {"id": handler.headers.get("webhook-id"), "body": body,
                 "timestamp": handler.headers.get("webhook-timestamp"),
                 "content_type": handler.headers.get("content-type")}
        try:
            verify(self.secret, handler.headers, body, now=time.time())
        except Rejected as rejection:
            entry.update(verified=False, reason=str(rejection), status=400)
        else:
            status = self.statuses.popleft() if self.statuses else 200
            entry.update(verified=True, reason="", status=status)
        self.deliveries.append(entry)
        handler.send_response(entry["status"])
        if entry["status"] == 429:
            handler.send_header("Retry-After", "30")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver():
    with Receiver(SECRET) as running:
        yield running


@pytest.fixture
def http():
    with httpx.Client(trust_env=False) as client:
        yield client


@pytest.fixture
def sender(http):
    return WebhookSender(http=http, timeout=5)


PAYLOAD = {"publication": 42, "title": "温县住房和城乡建设局2024年政府信息公开工作年度报告",
           "url": "https://example.gov.cn/xxgk/42"}


def test_signature_matches_the_reference_test_vector():
    # The example of the Standard Webhooks reference libraries.
    assert sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330, b'{"test": 2432232314}') == \
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@pytest.mark.parametrize("event_type", [EVENT_RELEASED, EVENT_RETRACTED])
def test_correctly_signed_event_is_accepted(receiver, sender, event_type):
    result = sender.send(receiver.url, SECRET, "rel_1_deliver", event_type, PAYLOAD)

    assert result.ok and result.status_code == 200 and not result.retryable
    [delivery] = receiver.deliveries
    assert delivery["verified"], delivery["reason"]
    assert delivery["id"] == "rel_1_deliver"
    assert delivery["content_type"] == "application/json"
    envelope = json.loads(delivery["body"])
    assert envelope["type"] == event_type
    assert envelope["data"] == PAYLOAD
    sent_at = dt.datetime.fromisoformat(envelope["timestamp"])
    assert abs(sent_at.timestamp() - int(delivery["timestamp"])) < 2
    assert PAYLOAD["title"].encode("utf-8") in delivery["body"]


def test_raw_text_secret_is_accepted():
    with Receiver("a plain text secret 共享密钥") as plain, httpx.Client(trust_env=False) as http:
        result = WebhookSender(http=http).send(plain.url, "a plain text secret 共享密钥",
                                                "rel_2_deliver", EVENT_RELEASED, PAYLOAD)
        assert result.ok
        assert plain.deliveries[0]["verified"]


def test_tampered_body_is_rejected(receiver, http):
    body = json.dumps({"type": EVENT_RELEASED, "data": PAYLOAD}).encode()
    headers = build_headers(SECRET, "rel_3_deliver", body)
    tampered = body.replace(b"42", b"43")

    response = http.post(receiver.url, content=tampered, headers=headers)

    assert response.status_code == 400
    assert receiver.deliveries[0]["reason"] == "no valid signature"


def test_wrong_secret_is_rejected_and_not_retryable(receiver, sender):
    other = "whsec_" + base64.b64encode(b"some-other-key").decode()

    result = sender.send(receiver.url, other, "rel_4_deliver", EVENT_RELEASED, PAYLOAD)

    assert (result.ok, result.retryable, result.status_code) == (False, False, 400)
    assert receiver.deliveries[0]["reason"] == "no valid signature"


def test_stale_timestamp_is_rejected(receiver, http):
    body = json.dumps({"type": EVENT_RELEASED, "data": PAYLOAD}).encode()
    headers = build_headers(SECRET, "rel_5_deliver", body,
                            timestamp=int(time.time()) - TOLERANCE_SECONDS - 60)

    response = http.post(receiver.url, content=body, headers=headers)

    assert response.status_code == 400
    assert receiver.deliveries[0]["reason"] == "timestamp outside the tolerance"


def test_webhook_id_is_stable_across_a_retry(receiver, sender):
    receiver.statuses.extend([500, 200])

    first = sender.send(receiver.url, SECRET, "rel_6_deliver", EVENT_RELEASED, PAYLOAD)
    second = sender.send(receiver.url, SECRET, "rel_6_deliver", EVENT_RELEASED, PAYLOAD)

    assert first.retryable and not first.ok
    assert second.ok
    assert [d["id"] for d in receiver.deliveries] == ["rel_6_deliver", "rel_6_deliver"]
    assert all(d["verified"] for d in receiver.deliveries)


@pytest.mark.parametrize(("status", "ok", "retryable"), [
    (200, True, False),
    (204, True, False),
    (500, False, True),
    (503, False, True),
    (400, False, False),
    (404, False, False),
    (408, False, True),
    (429, False, True),
])
def test_answer_status_decides_whether_to_retry(receiver, sender, status, ok, retryable):
    receiver.statuses.append(status)

    result = sender.send(receiver.url, SECRET, f"rel_7_{status}", EVENT_RELEASED, PAYLOAD)

    assert (result.status_code, result.ok, result.retryable) == (status, ok, retryable)
    assert bool(result.error) is not ok


def test_429_reports_retry_after(receiver, sender):
    receiver.statuses.append(429)

    result = sender.send(receiver.url, SECRET, "rel_8_deliver", EVENT_RELEASED, PAYLOAD)

    assert result.retryable and result.retry_after == 30


def test_connection_refused_is_retryable(sender):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    result = sender.send(f"http://127.0.0.1:{closed_port}/hooks", SECRET, "rel_9_deliver",
                         EVENT_RELEASED, PAYLOAD)

    assert (result.status_code, result.ok, result.retryable) == (None, False, True)
    assert result.error


def test_timeout_is_retryable(receiver, http):
    receiver.delay = 1.0

    result = WebhookSender(http=http, timeout=0.2).send(
        receiver.url, SECRET, "rel_10_deliver", EVENT_RELEASED, PAYLOAD)

    assert (result.status_code, result.ok, result.retryable) == (None, False, True)


def test_malformed_secret_fails_without_sending(receiver, sender):
    result = sender.send(receiver.url, "whsec_not base64!", "rel_11_deliver", EVENT_RELEASED,
                         PAYLOAD)

    assert not result.ok and not result.retryable
    assert "base64" in result.error
    assert receiver.deliveries == []


def test_unknown_event_type_is_a_programming_error(receiver, sender):
    with pytest.raises(ValueError):
        sender.send(receiver.url, SECRET, "rel_12_deliver", "publication.updated", PAYLOAD)
