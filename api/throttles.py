"""Throttles of the routes that answer without a login."""

import hashlib

from rest_framework.throttling import SimpleRateThrottle


class FailedLoginThrottle(SimpleRateThrottle):
    """Stops password guessing against one account: after too many failed token logins for an email address
    in the window (`TANDEM_LOGIN_FAILURE_RATE`), further attempts for it are a 429 until the oldest failure
    ages out — from whatever address they come, since guessers rotate addresses. Successful logins do not
    count, so a script that fetches its token often is never refused.

    The counts live in Django's cache: per process with the default local-memory cache, which still bounds
    guessing to the limit times the number of web processes.
    """

    scope = "login_failures"

    def get_cache_key(self, request, view):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if not isinstance(username, str) or not username.strip():
            return None  # nothing to guess against; the serializer answers 400
        # Hashed: the cache is no place for the email addresses people tried.
        ident = hashlib.sha256(username.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        # Look, do not count: only a failure is counted, by record_failure.
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.history = self._recent(self.key)
        return len(self.history) < self.num_requests

    def record_failure(self, request, view):
        key = self.get_cache_key(request, view)
        if self.rate is None or key is None:
            return
        history = self._recent(key)
        history.insert(0, self.now)
        self.cache.set(key, history, self.duration)

    def _recent(self, key):
        self.now = self.timer()
        return [moment for moment in self.cache.get(key, []) if moment > self.now - self.duration]
