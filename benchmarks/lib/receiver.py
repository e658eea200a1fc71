"""A loopback Standard Webhooks receiver that counts every `webhook-id`, so a duplicate
delivery is seen.

It checks each signature with the independent implementation of the spec in
testsupport.webhook_receiver and answers 200 at once (HTTP/1.1, keep-alive allowed).
Unlike that test receiver it keeps only counters, so it can take 10,000s of requests.
"""

import json
import threading
import time
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class CountingReceiver:
    def __init__(self):
        from testsupport.webhook_receiver import SECRET, signature_ok

        self.secret = SECRET
        self.lock = threading.Lock()
        self.seen = Counter()                  # webhook-id -> requests accepted
        self.publications = defaultdict(set)   # publication id -> webhook-ids
        self.first_at = {}                     # webhook-id -> time.time() of its first request
        self.invalid = 0
        self.requests = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    valid = signature_ok(receiver.secret, headers, body)
                    publication = json.loads(body)["data"]["id"]
                except (KeyError, ValueError):
                    valid, publication = False, None
                now = time.time()
                with receiver.lock:
                    receiver.requests += 1
                    if valid:
                        wid = headers["webhook-id"]
                        receiver.seen[wid] += 1
                        receiver.first_at.setdefault(wid, now)
                        receiver.publications[publication].add(wid)
                    else:
                        receiver.invalid += 1
                self.send_response(200 if valid else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256  # the default backlog of 5 drops bursts of connects

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def stats(self) -> dict:
        with self.lock:
            accepted = sum(self.seen.values())
            return {
                "requests": self.requests,
                "accepted": accepted,
                "distinct_webhook_ids": len(self.seen),
                "duplicates": accepted - len(self.seen),
                "invalid_signatures": self.invalid,
                "publications_with_several_ids": sum(
                    1 for ids in self.publications.values() if len(ids) > 1),
            }
