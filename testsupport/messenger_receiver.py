"""A loopback group robot (企业微信 / 钉钉) for the messenger tests: records each JSON body
with its query string, checks DingTalk's signature with its own implementation of the
documented scheme, and answers as the robots do ({"errcode": 0}), or with scripted
status codes."""

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def dingtalk_signature_ok(secret: str, query: dict) -> bool:
    """sign = urlencode(base64(HMAC-SHA256(secret, timestamp + "\\n" + secret))), fresh
    within an hour (DingTalk's rule); parse_qs has undone the URL encoding."""
    try:
        timestamp, offered = query["timestamp"][0], query["sign"][0]
    except (KeyError, IndexError):
        return False
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(),
                      hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    fresh = abs(time.time() * 1000 - int(timestamp)) < 3600 * 1000
    return fresh and hmac.compare_digest(expected, offered)


class Robot:
    def __init__(self, dingtalk_secret: str | None = None):
        self.secret = dingtalk_secret  # None: no signature asked (企业微信, unsigned 钉钉)
        self.script: list[int] = []    # status codes to answer, then 200
        self.received: list[dict] = []
        self.lock = threading.Lock()
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                query = parse_qs(urlsplit(self.path).query)
                with robot.lock:
                    status = robot.script.pop(0) if robot.script else 200
                    signed = robot.secret is None or dingtalk_signature_ok(robot.secret, query)
                    robot.received.append({"query": query, "status": status, "signed": signed,
                                           "body": json.loads(body)})
                answer = ({"errcode": 0, "errmsg": "ok"} if signed
                          else {"errcode": 310000, "errmsg": "sign not match"})
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, query="key=test-robot-key"):
        return f"http://127.0.0.1:{self.server.server_address[1]}/send?{query}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def texts(self):
        return [r["body"]["text"]["content"] for r in self.received
                if r["status"] < 300 and r["signed"]]
