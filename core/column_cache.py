"""Which cached pages of an agency's public column (政府信息公开专栏) are current, and the
purge that every change of what the column shows calls in its own transaction.

The pages themselves are kept by publicsite.cache, each with the agency's *generation* it
was rendered under: a random token kept in Django's cache (Redis in production, local
memory in the embedded mode), read together with the page in one round trip. A page is
served only while its token is the current one. `purge` replaces the token, so no page
cached before is served again, and while the purging transaction is open it marks the
agency as *being written*, which makes readers leave the cache alone (neither serve nor
fill it).

The guarantee, for a purge called inside the transaction of the change (a retraction, a
release reaching the site, a configuration change):

- a request that reads the generation after that transaction committed is never answered
  with a page rendered from the database as it was before the commit: from the purge call
  until the commit's after-commit callback has run, readers see the mark and render from
  the database; from then on they see the new token, and a page is only stored with a
  token that was read *before* its database reads began (publicsite.cache);
- a reader that read the old token (before the mark) may still store its page afterwards,
  but with the old token, which is never served again.

Where it stops: the mark lasts WRITING_SECONDS (a crash between the purge and the commit
leaves the agency uncached for that long, as does a transaction that rolls back after its
purge; a transaction that stays open longer than that has, for its remaining time, only the
after-commit renewal). If the cache cannot be reached when the purge runs, it is logged and
the change goes ahead (a retraction must not wait for Redis): pages cached before may then
be served until they expire (publicsite.cache.PAGE_SECONDS). A token that is evicted or
expires is replaced by a new one, never by an old one, so eviction only empties the cache.
The local-memory cache is per process: one process serves the embedded mode; several web
processes need the shared Redis cache.
"""

import logging
import secrets

from django.core.cache import cache
from django.db import transaction

log = logging.getLogger(__name__)

# Longer than any cached page lives; afterwards a new token only means a cold cache.
GENERATION_SECONDS = 24 * 3600
# Longer than any transaction should stay open after its purge (the purge is its last step).
WRITING_SECONDS = 60


def _generation_key(agency_code: str) -> str:
    return f"column:{agency_code}:generation"


def _writing_key(agency_code: str) -> str:
    return f"column:{agency_code}:writing"


def _new_token() -> str:
    return secrets.token_hex(8)


def read(agency_code: str, *keys: str) -> tuple[str | None, dict]:
    """The agency's current generation and the cached values of `keys`, in one round trip.

    The generation is None when the cache must not be used now (a purging transaction is
    open, or the cache is unreachable). Read it before reading the database for a page
    that is to be stored with it, and use a stored page only if it was stored with the
    generation read here."""
    generation_key, writing_key = _generation_key(agency_code), _writing_key(agency_code)
    try:
        found = cache.get_many([generation_key, writing_key, *keys])
        if found.get(writing_key):
            return None, {}
        token = found.get(generation_key)
        if token is None:
            # the first reader sets it; a concurrent one reads the winner
            cache.add(generation_key, _new_token(), GENERATION_SECONDS)
            token = cache.get(generation_key)
        return token, found
    except Exception:  # noqa: BLE001 - the column is served from the database then
        log.warning("column cache unavailable for %s", agency_code, exc_info=True)
        return None, {}


def generation(agency_code: str) -> str | None:
    """The agency's current generation (see `read`)."""
    return read(agency_code)[0]


def purge(*agency_codes: str) -> None:
    """Every cached page of these agencies' columns is out of date from this transaction's
    commit on. Call it inside the transaction that makes the change, where the change is
    written (outside one, it takes effect at once)."""
    codes = sorted({code for code in agency_codes if code})
    for code in codes:
        _mark_writing(code)
    if codes:
        transaction.on_commit(lambda: _renew(codes), robust=True)


def _mark_writing(code: str) -> None:
    key = _writing_key(code)
    try:
        cache.add(key, 0, WRITING_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between the two calls
            cache.set(key, 1, WRITING_SECONDS)
    except Exception:  # noqa: BLE001
        log.error("column cache of %s not marked as being written; pages cached before "
                  "may be served until they expire", code, exc_info=True)


def _renew(codes) -> None:
    for code in codes:
        try:
            cache.set(_generation_key(code), _new_token(), GENERATION_SECONDS)
            try:
                cache.decr(_writing_key(code))
            except ValueError:  # the mark expired already
                pass
        except Exception:  # noqa: BLE001
            log.error("column cache of %s not renewed after a change; pages cached before "
                      "may be served until they expire", code, exc_info=True)
