"""Throttles of the routes that answer without a login, and the one reading of a request's client address."""

import ipaddress

from rest_framework.throttling import BaseThrottle, ScopedRateThrottle

from api import login_guard
from franchise import services
from franchise.errors import Invalid


def client_address(request):
    """The address a request comes from, as every throttle and the sign-in lockout count it.

    Behind `NUM_PROXIES` proxies (DRF's setting, from TANDEM_NUM_PROXIES) it is the address the nearest of
    them saw, read from the right of X-Forwarded-For; with none it is REMOTE_ADDR alone, since any
    X-Forwarded-For then comes from the client itself. An IPv6 client counts as its /64, which one host can
    rotate through.
    """
    ident = BaseThrottle().get_ident(request) or ""
    try:
        address = ipaddress.ip_address(ident)
    except ValueError:
        return ident
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class CertificateVerifyThrottle(ScopedRateThrottle):
    """The scoped rate (`certificate_verify`) per client address."""

    def get_ident(self, request):
        return client_address(request)


class FailedLoginThrottle(BaseThrottle):
    """Stops password guessing at the token login: refuses (429 with Retry-After) while the sign-in lockout
    of api.login_guard holds for the account named and the client address. Only what the view reports
    counts: `record_failure` after a wrong password or second factor, `record_success` after a sign-in.
    """

    def allow_request(self, request, view):
        self._wait = login_guard.retry_after(account=self._account(request, view), client=client_address(request))
        return self._wait is None

    def wait(self):
        return self._wait

    def record_failure(self, request, view):
        login_guard.record_failure(account=self._account(request, view), client=client_address(request))

    def record_success(self, request, view):
        login_guard.record_success(account=self._account(request, view), client=client_address(request))

    def get_account(self, request, view):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        return login_guard.account_ident(username)

    def _account(self, request, view):
        # Read once per request: the check comes before the view acts, the count after it, and by then an
        # accepted invitation can no longer be looked up.
        if not hasattr(request, "_login_guard_account"):
            request._login_guard_account = self.get_account(request, view)
        return request._login_guard_account


class InvitationPasswordThrottle(FailedLoginThrottle):
    """Accepting an invitation for an existing account checks its password: the same lockout as the token
    login, for the account the invitation is for."""

    def get_account(self, request, view):
        token = request.data.get("token") if hasattr(request.data, "get") else None
        if not isinstance(token, str):
            return None
        try:
            invitation = services.pending_invitation(token)
        except Invalid:
            return None  # the service names what is wrong with the token
        return login_guard.account_ident(invitation.email)


class SignedInPasswordThrottle(FailedLoginThrottle):
    """A signed-in caller who proves themselves again (removing a second factor) checks a password or code:
    the same lockout as the token login, for their own account, so a stolen token is no way to guess."""

    def get_account(self, request, view):
        return login_guard.account_ident(getattr(request.user, "email", None))
