"""The few HTML pages that people without an account reach from an email."""

import math

from django import forms
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from franchise import login_guard, services


class AcceptInvitationForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, help_text="Leave empty if you already have an account.")
    password = forms.CharField(
        widget=forms.PasswordInput,
        strip=False,
        help_text="Choose one, or enter your current password if you already have an account.",
    )


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def accept_invitation_page(request, token):
    try:
        invitation = services.pending_invitation(token)
    except DomainError as exc:
        # Used, expired or unknown: say so at once instead of offering a form that cannot work.
        return render(request, "api/invitation_unusable.html", {"reason": exc.message}, status=404)
    form = AcceptInvitationForm(request.POST or None)
    # An existing account's password is checked here too: the same lockout as every other sign-in.
    account, client = login_guard.account_ident(invitation.email), login_guard.client_address(request)
    if request.method == "POST" and form.is_valid():
        wait = login_guard.retry_after(account=account, client=client)
        if wait is not None:
            form.add_error("password", f"Too many wrong passwords. Try again in {math.ceil(wait / 60)} minute(s).")
            return _invitation_form(request, form, invitation, status=429)
        try:
            user = services.accept_invitation(token=token, **form.cleaned_data)
        except DomainError as exc:
            if exc.code == "password_mismatch":
                login_guard.record_failure(account=account, client=client)
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            login_guard.record_success(account=account, client=client)
            return render(request, "api/invitation_accepted.html", {"user": user})
    return _invitation_form(request, form, invitation, status=400 if form.errors else 200)


def _invitation_form(request, form, invitation, *, status):
    context = {
        "form": form,
        "invitation": invitation,
        "organisation": invitation.partner.name if invitation.partner else "the licensing organisation",
    }
    return render(request, "api/accept_invitation.html", context, status=status)
