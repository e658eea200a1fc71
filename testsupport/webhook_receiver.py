"""A loopback webhook receiver for delivery tests: verifies Standard Webhooks signatures
with its own implementation of the spec and answers with scripted status codes."""

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "whsec_" + base64.b64encode(b"delivery-test-secret-0123456789").decode()


def signature_ok(secret, headers, body) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [s.split(",", 1)[1] for s in headers["webhook-signature"].split() if "," in s]
    fresh = abs(time.time() - int(headers["webhook-timestamp"])) < 300
    return fresh and any(hmac.compare_digest(expected, s) for s in offered)


class Receiver:
    def __init__(self, secret=SECRET, delay=0.0):
        self.secret = secret
        self.delay = delay              # seconds each answer takes
        self.script: list[int] = []     # status codes to answer, then 200
        self.received: list[dict] = []  # every request that arrived
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                time.sleep(receiver.delay)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    status = receiver.script.pop(0) if receiver.script else 200
                    valid = signature_ok(receiver.secret, headers, body)
                    receiver.received.append({"id": headers.get("webhook-id"), "valid": valid,
                                              "status": status, "body": json.loads(body)})
                self.send_response(status if valid else 401)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def accepted(self, event_type=None):
        return [r for r in self.received if r["valid"] and r["status"] < 300
                and (event_type is None or r["body"]["type"] == event_type)]
