"""The sign-in lockout: failed password checks, counted in the shared cache, refuse further attempts for a
growing cool-off.

Three counters, each with its own allowance of free failures (README, "Sign-in lockout"):

- per account and client address: the ordinary guesser, and the person who forgot their password. Locks
  only that pair, so an attacker's failures never refuse the account's owner at another address;
- per client address, whatever the account: a sprayer trying one password on many accounts;
- per account, whatever the address: a generous ceiling for an attacker rotating addresses. It does not
  refuse a client address the account signed in from recently, so the owner's usual address is never
  locked out from elsewhere.

Past its allowance every further failure of a counter sets a cool-off of COOL_OFF × 2^(extra failures),
capped at MAX_COOL_OFF; a counter is forgotten a day (FAILURE_MEMORY) after its last failure. A refused
attempt checks no password and is not counted, so waiting out the cool-off is the only way on.

The cache is the only state. When it fails, attempts are allowed and the failure is logged: a cache outage
must not stop the people who know their password, and it is visible to whoever watches the logs.
"""

import hashlib
import ipaddress
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

# Tests move the clock by replacing this; cache expiry only collects garbage, never decides a lock.
timer = time.time

_KNOWN_CLIENT_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True)
class _Counter:
    name: str
    ident: str
    free: int
    count_key: str
    lock_key: str


def client_address(request):
    """The address a request comes from, as every throttle and the sign-in lockout count it.

    Behind `NUM_PROXIES` proxies (REST_FRAMEWORK's setting, from TANDEM_NUM_PROXIES) it is the address the
    nearest of them saw, read from the right of X-Forwarded-For; with none it is REMOTE_ADDR alone, since any
    X-Forwarded-For then comes from the client itself. An IPv6 client counts as its /64, which one host can
    rotate through. The same reading as DRF's throttles, for the API, the pages and the admin alike.
    """
    remote = request.META.get("REMOTE_ADDR") or ""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES")
    ident = remote
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        ident = hops[-min(proxies, len(hops))]
    try:
        address = ipaddress.ip_address(ident)
    except ValueError:
        return ident
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def account_ident(username):
    """The account a login names, as the counters know it: letter case and spaces do not make another
    account, and the cache never holds the email addresses people tried."""
    if not isinstance(username, str) or not username.strip():
        return None
    # surrogatepass: a lone surrogate in a JSON string is still a name someone tried, not a server error.
    return hashlib.sha256(username.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()


def _digest(*parts):
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _counters(account, client):
    wanted = [("client", _digest(client), settings.TANDEM_LOGIN_CLIENT_FAILURES)]
    if account is not None:
        wanted += [
            ("account-client", _digest(account, client), settings.TANDEM_LOGIN_ACCOUNT_CLIENT_FAILURES),
            ("account", account, settings.TANDEM_LOGIN_ACCOUNT_FAILURES),
        ]
    return [
        _Counter(name, ident, free, f"login-guard:{name}:{ident}:failures", f"login-guard:{name}:{ident}:until")
        for name, ident, free in wanted
    ]


def _known_key(account, client):
    return f"login-guard:known:{_digest(account, client)}"


def cool_off(failures, free):
    """Seconds refused after the `failures`-th failure of a counter that allows `free`; 0 within them."""
    if failures < free:
        return 0
    doublings = min(failures - free, 32)  # the cap is reached long before; 2**big is no use
    return min(settings.TANDEM_LOGIN_COOL_OFF_SECONDS * 2**doublings, settings.TANDEM_LOGIN_MAX_COOL_OFF_SECONDS)


class _CacheDown(Exception):
    pass


def _cached(operation, *args, **kwargs):
    try:
        return operation(*args, **kwargs)
    except Exception as exc:  # any backend's connection error, timeout or protocol error
        raise _CacheDown from exc


def _log_outage(exc):
    logger.warning(
        "The sign-in lockout cannot reach the cache (%s: %s); this attempt is not limited.",
        type(exc.__cause__).__name__,
        exc.__cause__,
    )


def retry_after(*, account, client):
    """Seconds until a login for `account` (an account_ident, or None) from `client` may be tried; None when
    it may be tried now."""
    counters = _counters(account, client)
    keys = [counter.lock_key for counter in counters]
    if account is not None:
        keys.append(_known_key(account, client))
    try:
        found = _cached(cache.get_many, keys)
    except _CacheDown as exc:
        _log_outage(exc)
        return None
    known = account is not None and _known_key(account, client) in found
    now = timer()
    waits = [
        found[counter.lock_key] - now
        for counter in counters
        if counter.lock_key in found and not (counter.name == "account" and known)
    ]
    longest = max(waits, default=0)
    return math.ceil(longest) if longest > 0 else None


def record_failure(*, account, client):
    """Count a wrong password (or second factor) for `account` from `client`, and start the cool-off of every
    counter that has used up its allowance."""
    memory = settings.TANDEM_LOGIN_FAILURE_MEMORY_SECONDS
    try:
        for counter in _counters(account, client):
            failures = _increment(counter.count_key, memory)
            seconds = cool_off(failures, counter.free)
            if seconds:
                # A later, longer cool-off may already be set by a concurrent failure; never shorten it.
                until = timer() + seconds
                current = _cached(cache.get, counter.lock_key)
                if current is None or current < until:
                    _cached(cache.set, counter.lock_key, until, timeout=math.ceil(seconds) + 1)
    except _CacheDown as exc:
        _log_outage(exc)


def record_success(*, account, client):
    """The account signed in from `client`: forget that pair's failures, and remember the address as the
    account's own so that the per-account ceiling does not refuse it. The per-client and per-account counts
    stay: a sprayer who owns one account must not reset them by signing into it."""
    if account is None:
        return
    counter = next(c for c in _counters(account, client) if c.name == "account-client")
    try:
        _cached(cache.delete_many, [counter.count_key, counter.lock_key])
        _cached(cache.set, _known_key(account, client), 1, timeout=_KNOWN_CLIENT_SECONDS)
    except _CacheDown as exc:
        _log_outage(exc)


def _increment(key, memory):
    """Atomic in the cache (Redis INCR, locmem's lock), so concurrent failures in several processes are all
    counted; the count is forgotten `memory` seconds after its last failure."""
    try:
        failures = _cached(cache.incr, key)
    except _CacheDown as exc:
        if not isinstance(exc.__cause__, ValueError):  # ValueError: no count yet
            raise
        if _cached(cache.add, key, 1, timeout=memory):
            return 1
        failures = _cached(cache.incr, key)  # another process added it first
    _cached(cache.touch, key, memory)
    return failures
