"""The demo's outside world on the loopback interface: a fake WeChat publishing API and a
webhook receiver standing in for the county media apps (温县发布, 云上温县), so that the demo's
releases really travel over HTTP and succeed (or fail, when one is stopped).

`seed_demo` points the demo channels here (`channel_configs`); `manage.py demo_channels`
runs both servers, and `make run` starts that beside the web server.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import secrets
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from releases.channels.fake_wechat import FakeWeChatServer
from releases.channels.webhooks import sign

LOOPBACK = "127.0.0.1"
WECHAT_APPID = "wx_demo_wenxian"


def wechat_port() -> int:
    return int(os.environ.get("DEMO_WECHAT_PORT", "8700"))


def webhook_port() -> int:
    return int(os.environ.get("DEMO_WEBHOOK_PORT", "8701"))


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def wechat_config() -> dict:
    return {"appid": WECHAT_APPID, "secret": secrets.token_urlsafe(18),
            "base_url": f"http://{LOOPBACK}:{wechat_port()}"}


def webhook_config(code: str) -> dict:
    return {"url": f"http://{LOOPBACK}:{webhook_port()}/{code}", "secret": new_secret()}


def signature_valid(secret: str, headers, body: bytes) -> bool:
    """Whether a delivery carries the channel's Standard Webhooks signature."""
    try:
        expected = sign(secret, headers["webhook-id"], int(headers["webhook-timestamp"]), body)
    except (KeyError, ValueError):
        return False
    offered = headers.get("webhook-signature", "").split()
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)


class DemoWebhookReceiver:
    """Answers 200 to a delivery signed with the secret of the channel its path names
    (`/<channel code>`), 401 to anything else; prints one line per delivery."""

    def __init__(self, secrets_by_code: dict[str, str], *, port: int, out=sys.stderr):
        self.secrets = secrets_by_code
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                code = self.path.strip("/")
                headers = {k.lower(): v for k, v in self.headers.items()}
                secret = receiver.secrets.get(code)
                valid = secret is not None and signature_valid(secret, headers, body)
                try:
                    event = json.loads(body).get("type", "?")
                except ValueError:
                    event = "?"
                receiver.received.append({"channel": code, "valid": valid, "type": event})
                print(f"webhook {code}: {event} {'signed' if valid else 'REFUSED'}",
                      file=out, flush=True)
                self.send_response(200 if valid else 401)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}' if valid else b'{"error": "bad signature"}')

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer((LOOPBACK, port), Handler)
        self.url = f"http://{LOOPBACK}:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.httpd.shutdown()
        self.httpd.server_close()


def fake_wechat(secret: str, *, port: int) -> FakeWeChatServer:
    """The fake WeChat API for the demo account: every publish succeeds at once."""
    return FakeWeChatServer(WECHAT_APPID, secret, port=port, default_script=("success",))
