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
path and page, the day (the column says 已废止 / 尚未生效 by today's date) and the agency's
generation (core.column_cache), read *before* the view reads the database: a page rendered
from data older than a purge is never stored where a reader after the purge looks. 404s are
never stored, so an item is found the moment it is released.
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
        key = self._key(request)
        if key is None:
            return self.get_response(request)
        try:
            stored = cache.get(key)
        except Exception:  # noqa: BLE001 - served from the database then
            stored = None
        if stored is not None:
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
                cache.set(key, _stored(response), PAGE_SECONDS)
            except Exception:  # noqa: BLE001 - the next request renders it again
                pass
        return _conditional(request, response)

    def _key(self, request) -> str | None:
        """The page's key, or None when this request neither reads nor fills the cache."""
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
        token = column_cache.generation(code)
        if token is None:
            return None
        where = f"{request.scheme}://{host}{path}?{query}".encode()
        return (f"column:{code}:{token}:{timezone.localdate().isoformat()}:"
                f"{hashlib.blake2b(where, digest_size=16).hexdigest()}")

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


def _stored(response) -> tuple:
    return (response.status_code, list(response.items()), response.content)


def _from_stored(stored) -> HttpResponse:
    status, headers, content = stored
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
