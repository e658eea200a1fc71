"""The abuse guard of what anyone may do without logging in: submitting an online
application and looking up its status, limited per client address, with no CAPTCHA.

Attempts are counted in Django's cache (Redis in production, so every web process shares
one count; the embedded mode's locmem is per process, which is all it has) in fixed
windows: one counter per address per hour (and per day) that expires with its window.
`cache.add` + `cache.incr` is atomic on both backends, so two requests at once can never
both be the fifth. A fixed window lets a client spend one window's allowance at its end
and the next at the start of the next; for limits this size that is good enough, and it
costs one key per address and window.

The address is `accounts.lockout.client_address` (the same reading of X-Forwarded-For as
the login lockout). An IPv6 client usually holds a whole /64, so it is counted as one. The
cache key holds a keyed hash of the address, not the address itself.
"""

import hashlib
import hmac
import ipaddress
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from accounts.lockout import client_address

log = logging.getLogger(__name__)

HOUR = 3600
DAY = 24 * HOUR


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    #: seconds until the exceeded window ends (0 when allowed)
    retry_after: int = 0


def submission_limits() -> tuple[Limit, ...]:
    return (Limit(settings.APPLICATION_SUBMISSIONS_PER_IP_PER_HOUR, HOUR),
            Limit(settings.APPLICATION_SUBMISSIONS_PER_IP_PER_DAY, DAY))


def lookup_limits() -> tuple[Limit, ...]:
    return (Limit(settings.APPLICATION_STATUS_LOOKUPS_PER_IP_PER_HOUR, HOUR),)


def count_submission(request) -> Verdict:
    """Count an online application (form or API) from the request's address."""
    return _count(request, "submit", submission_limits())


def count_lookup(request) -> Verdict:
    """Count a status look-up (tracking code + phone digits) from the request's address."""
    return _count(request, "status", lookup_limits())


def _count(request, scope: str, limits) -> Verdict:
    """Count one attempt against every limit; refused once any is exceeded. A refused
    attempt is counted too, so hammering does not reopen a window early."""
    who, now = _client_key(request), int(time.time())
    refused = 0
    for limit in limits:
        window = now // limit.seconds
        key = f"abuse:{scope}:{limit.seconds}:{window}:{who}"
        try:
            count = _increment(key, timeout=limit.seconds + 60)
        except Exception:  # noqa: BLE001 - the cache is down
            # A citizen's application must not fail because the counter cannot be reached:
            # the guard lets it through (the honeypot still applies) and says so in the log.
            log.warning("abuse limit %s not counted: cache unavailable", scope, exc_info=True)
            return Verdict(allowed=True)
        if count > limit.count:
            refused = max(refused, (window + 1) * limit.seconds - now)
    return Verdict(allowed=not refused, retry_after=refused)


def _increment(key, *, timeout) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)
        return 1


def _client_key(request) -> str:
    address = client_address(request) or ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        network = address or "unknown"
    else:
        if ip.version == 4:
            network = str(ip)
        elif ip.ipv4_mapped is not None:
            network = str(ip.ipv4_mapped)
        else:
            network = str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return hmac.new(settings.SECRET_KEY.encode(), network.encode(),
                    hashlib.sha256).hexdigest()[:32]
