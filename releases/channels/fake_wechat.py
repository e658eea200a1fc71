"""A fake WeChat publishing API on the loopback interface, for tests and demos.

It answers the endpoints `wechat.WeChatClient` uses with WeChat-shaped JSON, keeps what it
was sent (tokens issued, images, cover materials, drafts, publishes, deleted articles) in
plain attributes that tests can inspect, and plays scripted outcomes and faults:

* `script_publish(["publishing", "success"])` — successive freepublish/get answers for the
  next submitted publish (the last outcome repeats); outcomes are "publishing", "success",
  "failed:N" (publish_status N, 2–4), "deleted" (5) and "banned" (6);
* `expire_tokens(errcode)` — the tokens issued so far answer 40001 or 42001 from now on;
* `fail_next(endpoint, errcode, errmsg)`, `http_500_next(endpoint)`, `delay_next(endpoint,
  seconds)` — fault injection for the next call of one endpoint.

It binds 127.0.0.1 only. Where WeChat's behaviour is undocumented the fake is the stricter
choice: a forced token refresh invalidates the previous token at once (40001), and deleting an
article that is already deleted answers 53600.

    python -m releases.channels.fake_wechat --port 8700
"""

from __future__ import annotations

import argparse
import collections
import html
import itertools
import json
import math
import secrets
import sys
import threading
import time
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOOPBACK = "127.0.0.1"

ENDPOINTS = frozenset({
    "stable_token",
    "media/uploadimg",
    "material/add_material",
    "draft/add",
    "freepublish/submit",
    "freepublish/get",
    "freepublish/delete",
})

_OUTCOME_STATUSES = {"success": 0, "publishing": 1, "failed:2": 2, "failed:3": 3,
                     "failed:4": 4, "deleted": 5, "banned": 6}

BODY_IMAGE_MAX_BYTES = 1024 * 1024
COVER_MAX_BYTES = 10 * 1024 * 1024


class _Refusal(Exception):
    def __init__(self, errcode: int, errmsg: str):
        self.errcode = errcode
        self.errmsg = errmsg


def endpoint_name(path: str) -> str:
    """'/cgi-bin/draft/add' and 'draft/add' both name the endpoint 'draft/add'."""
    path = path.strip("/")
    return path.removeprefix("cgi-bin/")


class FakeWeChatServer:
    """An in-process fake of the WeChat publishing API. Use as a context manager."""

    def __init__(self, appid: str = "wx_fake_appid", secret: str = "fake_secret", *,
                 port: int = 0, token_ttl: int = 7200,
                 default_script: tuple[str, ...] = ("publishing", "success")):
        self.appid = appid
        self.secret = secret
        self.token_ttl = token_ttl
        self.default_script = _validated_script(default_script)
        self._port = port
        self._httpd: _QuietServer | None = None
        self._thread: threading.Thread | None = None
        self.lock = threading.RLock()
        self._ids = itertools.count(1)

        # Inspectable state.
        self.tokens: dict[str, dict] = {}  # token -> {"expires_at", "state": "valid"|errcode}
        self.stable_token_calls: list[dict] = []  # {"force_refresh", "token"}
        self.requests: list[dict] = []  # {"endpoint", "access_token"}
        self.images: dict[str, dict] = {}  # url -> {"filename", "data", "content_type"}
        self.materials: dict[str, dict] = {}  # media_id -> {"filename", "data", "url", ...}
        self.drafts: dict[str, dict] = {}  # media_id -> {"articles", "raw_body"}
        self.publishes: dict[str, dict] = {}  # publish_id -> {"media_id", "script", ...}
        self.articles: dict[str, dict] = {}  # article_id -> {"publish_id", "urls", "deleted"}
        self.deleted_articles: list[tuple[str, int]] = []  # (article_id, index) per delete

        self._scripts: collections.deque[list[str]] = collections.deque()
        self._faults: dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self._delays: dict[str, collections.deque] = collections.defaultdict(collections.deque)

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeWeChatServer:
        if self._httpd is not None:
            return self
        self._httpd = _QuietServer((LOOPBACK, self._port), _Handler)
        self._httpd.fake = self
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="fake-wechat", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FakeWeChatServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the fake WeChat server is not running")
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    # -- scripting and fault injection ----------------------------------------------------

    def script_publish(self, outcomes) -> None:
        """freepublish/get answers for the next submitted publish that has no script yet."""
        with self.lock:
            self._scripts.append(_validated_script(outcomes))

    def expire_tokens(self, errcode: int = 40001) -> None:
        """Every token issued so far answers `errcode` (40001 or 42001) from now on."""
        if errcode not in (40001, 42001):
            raise ValueError("expire_tokens takes 40001 or 42001")
        with self.lock:
            for record in self.tokens.values():
                if record["state"] == "valid":
                    record["state"] = errcode

    def fail_next(self, endpoint: str, errcode: int, errmsg: str = "") -> None:
        """The next call of `endpoint` (after the token check) answers this WeChat error."""
        self._queue(self._faults, endpoint, ("errcode", errcode, errmsg or f"fake error {errcode}"))

    def http_500_next(self, endpoint: str) -> None:
        """The next call of `endpoint` gets an HTTP 500 HTML page, as from a gateway."""
        self._queue(self._faults, endpoint, ("http_500",))

    def delay_next(self, endpoint: str, seconds: float) -> None:
        """The next call of `endpoint` is answered (and takes effect) after `seconds`."""
        self._queue(self._delays, endpoint, seconds)

    def _queue(self, queues: dict, endpoint: str, item) -> None:
        name = endpoint_name(endpoint)
        if name not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}")
        with self.lock:
            queues[name].append(item)

    # -- inspection helpers ---------------------------------------------------------------

    @property
    def forced_refreshes(self) -> int:
        return sum(1 for call in self.stable_token_calls if call["force_refresh"])

    def calls_to(self, endpoint: str) -> int:
        name = endpoint_name(endpoint)
        return sum(1 for request in self.requests if request["endpoint"] == name)

    def valid_tokens(self) -> list[str]:
        now = time.monotonic()
        return [token for token, record in self.tokens.items()
                if record["state"] == "valid" and record["expires_at"] > now]

    # -- request handling (called from the handler threads) -------------------------------

    def handle_post(self, path: str, query: dict, content_type: str,
                    body: bytes) -> tuple[int, str, bytes]:
        name = endpoint_name(path)
        if name not in ENDPOINTS:
            return 404, "text/html", b"<html><body>404 Not Found</body></html>"
        token = (query.get("access_token") or [None])[0]
        with self.lock:
            self.requests.append({"endpoint": name, "access_token": token})
            delay = self._delays[name].popleft() if self._delays[name] else None
        if delay:
            time.sleep(delay)
        with self.lock:
            fault = self._faults[name].popleft() if self._faults[name] else None
            if fault and fault[0] == "http_500":
                return 500, "text/html", b"<html><body>500 Internal Server Error</body></html>"
            try:
                if name != "stable_token":
                    self._check_token(token)
                if fault:
                    raise _Refusal(fault[1], fault[2])
                handler = getattr(self, "_" + name.replace("/", "_"))
                answer = handler(query, content_type, body)
            except _Refusal as refusal:
                answer = {"errcode": refusal.errcode,
                          "errmsg": f"{refusal.errmsg} rid: fake-{secrets.token_hex(4)}"}
        return 200, "application/json; charset=utf-8", \
            json.dumps(answer, ensure_ascii=False).encode("utf-8")

    def handle_get(self, path: str) -> tuple[int, str, bytes]:
        with self.lock:
            for image_url, image in self.images.items():
                if image_url.endswith(path):
                    return 200, image["content_type"], image["data"]
            if path.startswith("/s/"):
                article_id, _, idx = path[3:].partition("/")
                article = self.articles.get(article_id)
                if article and idx.isdigit() and 1 <= int(idx) <= len(article["titles"]) \
                        and int(idx) not in article["deleted_indexes"]:
                    page = f"<html><body><h1>{html.escape(article['titles'][int(idx) - 1])}" \
                           "</h1></body></html>"
                    return 200, "text/html; charset=utf-8", page.encode("utf-8")
        return 404, "text/html", b"<html><body>404 Not Found</body></html>"

    def _check_token(self, token: str | None) -> None:
        if not token:
            raise _Refusal(41001, "access_token missing")
        record = self.tokens.get(token)
        if record is None:
            raise _Refusal(40014, "invalid access_token")
        if record["state"] != "valid":
            errmsg = "access_token expired" if record["state"] == 42001 else \
                "invalid credential, access_token is invalid or not latest"
            raise _Refusal(record["state"], errmsg)
        if record["expires_at"] <= time.monotonic():
            raise _Refusal(42001, "access_token expired")

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):04d}{secrets.token_hex(6)}"

    def _stable_token(self, query, content_type, body) -> dict:
        request = _json_body(body)
        if request.get("grant_type") != "client_credential":
            raise _Refusal(40002, "invalid grant_type")
        if request.get("appid") != self.appid:
            raise _Refusal(40013, "invalid appid")
        if request.get("secret") != self.secret:
            raise _Refusal(40125, "invalid appsecret")
        force = bool(request.get("force_refresh"))
        now = time.monotonic()
        current = None if force else next(iter(self.valid_tokens()), None)
        if current is None:
            for record in self.tokens.values():
                if record["state"] == "valid":
                    record["state"] = 40001
            current = f"fake_{secrets.token_urlsafe(32)}"
            self.tokens[current] = {"expires_at": now + self.token_ttl, "state": "valid"}
        self.stable_token_calls.append({"force_refresh": force, "token": current})
        # (now + ttl) - now is not exactly ttl in floating point: never round past it
        remaining = self.tokens[current]["expires_at"] - now
        expires_in = min(self.token_ttl, max(math.ceil(remaining - 1e-6), 1))
        return {"access_token": current, "expires_in": expires_in}

    def _media_uploadimg(self, query, content_type, body) -> dict:
        filename, data, media_type = _media_field(content_type, body)
        extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if extension not in ("jpg", "jpeg", "png"):
            raise _Refusal(40005, "invalid file type")
        if len(data) > BODY_IMAGE_MAX_BYTES:
            raise _Refusal(40009, "invalid image size")
        url = f"{self.base_url}/mmbiz_img/{self._new_id('img')}.{extension}"
        self.images[url] = {"filename": filename, "data": data, "content_type": media_type}
        return {"url": url}

    def _material_add_material(self, query, content_type, body) -> dict:
        if (query.get("type") or [""])[0] != "image":
            raise _Refusal(40004, "invalid media type")
        filename, data, media_type = _media_field(content_type, body)
        extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if extension not in ("jpg", "jpeg", "png", "gif", "bmp"):
            raise _Refusal(40005, "invalid file type")
        if len(data) > COVER_MAX_BYTES:
            raise _Refusal(40009, "invalid image size")
        media_id = self._new_id("cover_")
        url = f"{self.base_url}/mmbiz_img/{media_id}.{extension}"
        self.images[url] = {"filename": filename, "data": data, "content_type": media_type}
        self.materials[media_id] = {"filename": filename, "data": data, "url": url}
        return {"media_id": media_id, "url": url}

    def _draft_add(self, query, content_type, body) -> dict:
        articles = _json_body(body).get("articles")
        if not isinstance(articles, list) or not articles:
            raise _Refusal(44003, "empty news data")
        if len(articles) > 8:
            raise _Refusal(45008, "article size out of limit")
        for article in articles:
            if not article.get("title"):
                raise _Refusal(44003, "empty news data: title")
            if len(article["title"]) > 64:
                raise _Refusal(45003, "title size out of limit")
            if not article.get("content"):
                raise _Refusal(44004, "empty content")
            if len(article["content"]) > 20000:
                raise _Refusal(45002, "content size out of limit")
            if article.get("thumb_media_id") not in self.materials:
                raise _Refusal(40007, "invalid media_id")
        media_id = self._new_id("draft_")
        self.drafts[media_id] = {"articles": articles, "raw_body": body}
        return {"media_id": media_id}

    def _freepublish_submit(self, query, content_type, body) -> dict:
        media_id = _json_body(body).get("media_id")
        if media_id not in self.drafts:
            raise _Refusal(40007, "invalid media_id")
        publish_id = str(2247483000 + next(self._ids))
        script = self._scripts.popleft() if self._scripts else list(self.default_script)
        self.publishes[publish_id] = {"media_id": media_id, "script": collections.deque(script),
                                      "publish_status": 1, "article_id": None, "polls": 0}
        return {"errcode": 0, "errmsg": "ok", "publish_id": publish_id,
                "msg_data_id": str(2247483000 + next(self._ids))}

    def _freepublish_get(self, query, content_type, body) -> dict:
        publish_id = str(_json_body(body).get("publish_id", ""))
        publish = self.publishes.get(publish_id)
        if publish is None:
            raise _Refusal(40007, "invalid publish_id")
        publish["polls"] += 1
        script = publish["script"]
        outcome = script.popleft() if len(script) > 1 else script[0]
        status = _OUTCOME_STATUSES[outcome]
        article = self.articles.get(publish["article_id"])
        if article is not None and article["deleted"] and status == 0:
            status = 5  # deleted through freepublish/delete after success
        publish["publish_status"] = status
        titles = [a["title"] for a in self.drafts[publish["media_id"]]["articles"]]
        answer = {"publish_id": publish_id, "publish_status": status, "fail_idx": []}
        if status in (2, 3, 4):
            answer["fail_idx"] = list(range(1, len(titles) + 1))
        if status in (0, 5, 6):
            article = self._article_for(publish_id, publish, titles)
            answer["article_id"] = publish["article_id"]
            if status == 0:
                answer["article_detail"] = {
                    "count": len(titles),
                    "item": [{"idx": idx, "article_url": url}
                             for idx, url in enumerate(article["urls"], start=1)],
                }
        return answer

    def _article_for(self, publish_id: str, publish: dict, titles: list[str]) -> dict:
        if publish["article_id"] is None:
            article_id = self._new_id("art_")
            publish["article_id"] = article_id
            self.articles[article_id] = {
                "publish_id": publish_id,
                "titles": titles,
                "urls": [f"{self.base_url}/s/{article_id}/{idx}"
                         for idx in range(1, len(titles) + 1)],
                "deleted": False,
                "deleted_indexes": set(),
            }
        return self.articles[publish["article_id"]]

    def _freepublish_delete(self, query, content_type, body) -> dict:
        request = _json_body(body)
        article = self.articles.get(request.get("article_id"))
        if article is None or article["deleted"]:
            raise _Refusal(53600, "Article ID 无效 (invalid article_id)")
        index = request.get("index", 0)
        count = len(article["titles"])
        if not isinstance(index, int) or not 0 <= index <= count:
            raise _Refusal(47003, "argument invalid: index")
        if index in article["deleted_indexes"]:
            raise _Refusal(53600, "Article ID 无效 (invalid article_id)")
        if index == 0:
            article["deleted_indexes"] = set(range(1, count + 1))
        else:
            article["deleted_indexes"].add(index)
        article["deleted"] = len(article["deleted_indexes"]) == count
        self.deleted_articles.append((request["article_id"], index))
        return {"errcode": 0, "errmsg": "ok"}


def _validated_script(outcomes) -> list[str]:
    outcomes = list(outcomes)
    if not outcomes:
        raise ValueError("a publish script needs at least one outcome")
    unknown = [outcome for outcome in outcomes if outcome not in _OUTCOME_STATUSES]
    if unknown:
        raise ValueError(f"unknown publish outcomes {unknown}; use {sorted(_OUTCOME_STATUSES)}")
    return outcomes


def _json_body(body: bytes) -> dict:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _Refusal(47001, "data format error") from exc
    if not isinstance(data, dict):
        raise _Refusal(47001, "data format error")
    return data


def _media_field(content_type: str, body: bytes) -> tuple[str, bytes, str]:
    """The `media` file of a multipart/form-data body: (filename, bytes, content type)."""
    header = Message()
    header["content-type"] = content_type
    boundary = header.get_param("boundary")
    if header.get_content_type() != "multipart/form-data" or not boundary:
        raise _Refusal(41005, "media data missing")
    delimiter = b"--" + boundary.encode("latin-1")
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, _, data = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        part_headers = Message()
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if ":" not in line:
                continue
            key, _, value = line.partition(":")
            part_headers[key.strip()] = value.strip()
        if part_headers.get_param("name", header="content-disposition") != "media":
            continue
        filename = part_headers.get_param("filename", header="content-disposition")
        if not filename:
            break
        return (str(filename), data.removesuffix(b"\r\n"),
                part_headers.get_content_type() if part_headers["content-type"]
                else "application/octet-stream")
    raise _Refusal(41005, "media data missing")


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeWeChatServer

    def handle_error(self, request, client_address):
        # A client that timed out and hung up is part of the tests, not a server error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _QuietServer
    server_version = "FakeWeChat/1"

    def do_POST(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, content_type, payload = self.server.fake.handle_post(
            url.path, parse_qs(url.query), self.headers.get("Content-Type", ""), body)
        self._answer(status, content_type, payload)

    def do_GET(self):
        status, content_type, payload = self.server.fake.handle_get(urlsplit(self.path).path)
        self._answer(status, content_type, payload)

    def _answer(self, status: int, content_type: str, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m releases.channels.fake_wechat",
        description="Run the fake WeChat publishing API on 127.0.0.1 until interrupted.")
    parser.add_argument("--port", type=int, default=8700, help="0 picks a free port")
    parser.add_argument("--appid", default="wx_fake_appid")
    parser.add_argument("--secret", default="fake_secret")
    parser.add_argument("--script", default="publishing,success",
                        help="freepublish/get outcomes of every publish, comma-separated")
    args = parser.parse_args(argv)
    server = FakeWeChatServer(args.appid, args.secret, port=args.port,
                              default_script=tuple(args.script.split(",")))
    with server:
        print(server.base_url, flush=True)
        print(f"fake WeChat API: appid={args.appid} secret={args.secret} "
              f"publish outcomes={args.script}; Ctrl-C to stop", file=sys.stderr, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
