"""Throttles of the routes that answer without a login, and the one reading of a request's client address."""

from rest_framework.throttling import BaseThrottle, ScopedRateThrottle

from core.errors import Invalid
from franchise import login_guard, services

client_address = login_guard.client_address


class CertificateVerifyThrottle(ScopedRateThrottle):
    """The scoped rate (`certificate_verify`) per client address."""

    def get_ident(self, request):
        return client_address(request)


class FailedLoginThrottle(BaseThrottle):
    """Stops password guessing at the token login: refuses (429 with Retry-After) while the sign-in lockout
    of franchise.login_guard holds for the account named and the client address. Only what the view reports
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
