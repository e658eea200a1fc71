"""The server-side cache of the column's rendered pages, with ETag / Last-Modified.

`ColumnCacheMiddleware` sits right after SecurityMiddleware and WhiteNoise, before the
session, language, CSRF and authentication middleware: a page in the cache is answered
there, with no database query, no session and no user (a 304 when the client's
If-None-Match / If-Modified-Since still holds). SecurityMiddleware, outside it, adds its
headers to those answers as to every other; the headers the inner middleware added
(X-Frame-Options, Content-Language) were stored with the page.

What is stored: a GET answered 200 or 410 by a view that `public_page` lets be cached
(pages, indexes, lists, reports, feed, sitemap; not search, attachments, checkpoints, nor
the application form), with no query string but `page=<1..MAX_PAGE>`, that set no cookie
and did not touch the session (a staff member's request, whose session middleware reads
the session, is answered from the cache but never fills it). The key is the scheme, host,
path and page, and the day (the column says 已废止 / 尚未生效 by today's date); with the page
is stored the agency's generation (core.column_cache) read, with the page's key, in one
round trip *before* the view read the database, and a page is served only under the
current generation: a page rendered from data older than a purge is never served after it.
404s are never stored, so an item is found the moment it is released.
"""

import hashlib
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers, set_response_etag
from django.utils.http import http_date, parse_http_date_safe

from core import column_cache

PAGE_SECONDS = settings.PUBLIC_CACHE_SECONDS
MAX_PAGE = 100
CACHED_STATUSES = (200, 410)
_AGENCY = re.compile(r"[-a-zA-Z0-9_]{1,64}")
_QUERY = re.compile(r"(?:page=[1-9][0-9]?|page=100)?")


def allow(response):
    """Called by `public_page` on what a cacheable view answered: the middleware may keep
    it (if the request's other conditions hold)."""
    response.column_cacheable = True
    return response


def _prefix() -> str:
    return reverse("publicsite:index", args=["x"])[:-2]  # "/gk/"


class ColumnCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = None

    def __call__(self, request):
        where = self._where(request)
        if where is None:
            return self.get_response(request)
        code, key = where
        token, found = column_cache.read(code, key)
        if token is None:  # being written, or no cache: the database answers
            return self.get_response(request)
        stored = found.get(key)
        if stored is not None and stored[0] == token:
            return _conditional(request, _from_stored(stored))
        response = self.get_response(request)
        if not getattr(response, "column_cacheable", False):
            return response
        _fix_vary(response)
        if response.status_code not in CACHED_STATUSES or response.streaming:
            return response
        set_response_etag(response)
        # when it was rendered, not the feed's newest entry: a renamed category changes a
        # page without a newer entry, and If-Modified-Since must then not answer 304
        response["Last-Modified"] = http_date(time.time())
        if self._storable(request, response):
            try:
                cache.set(key, _stored(token, response), PAGE_SECONDS)
            except Exception:  # noqa: BLE001 - the next request renders it again
                pass
        return _conditional(request, response)

    def _where(self, request) -> tuple[str, str] | None:
        """The agency and the page's key, or None when this request neither reads nor
        fills the cache."""
        if request.method != "GET":
            return None
        if self.prefix is None:
            self.prefix = _prefix()
        path = request.path_info
        if not path.startswith(self.prefix):
            return None
        code = path[len(self.prefix):].split("/", 1)[0]
        query = request.META.get("QUERY_STRING", "")
        if not _AGENCY.fullmatch(code) or not _QUERY.fullmatch(query):
            return None
        try:
            host = request.get_host()
        except DisallowedHost:
            return None  # CommonMiddleware answers it as usual
        page = f"{request.scheme}://{host}{path}?{query}".encode()
        return code, (f"column:{code}:page:{timezone.localdate().isoformat()}:"
                      f"{hashlib.blake2b(page, digest_size=16).hexdigest()}")

    @staticmethod
    def _storable(request, response) -> bool:
        session = getattr(request, "session", None)
        return not response.cookies and not (session is not None and session.accessed)


def _fix_vary(response):
    """The column is in Chinese whoever asks (public_page): LocaleMiddleware's
    `Vary: Accept-Language` would only make shared caches keep a copy per language."""
    vary = [v.strip() for v in response.get("Vary", "").split(",") if v.strip()]
    kept = [v for v in vary if v.lower() != "accept-language"]
    if kept != vary:
        del response["Vary"]
        if kept:
            patch_vary_headers(response, kept)


def _stored(token, response) -> tuple:
    return (token, response.status_code, list(response.items()), response.content)


def _from_stored(stored) -> HttpResponse:
    _token, status, headers, content = stored
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response.headers[name] = value
    return response


def _conditional(request, response):
    return get_conditional_response(
        request, etag=response.get("ETag"),
        last_modified=_timestamp(response.get("Last-Modified")), response=response)


def _timestamp(value):
    return parse_http_date_safe(value) if value else None
