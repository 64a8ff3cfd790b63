"""Signing in and out, choosing a new password, and the invitation page that ends in a signed-in user."""

import math
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from franchise import login_guard, services, two_factor
from franchise.sign_in import GuardedAuthenticationForm


class SignInForm(GuardedAuthenticationForm):
    error_messages = {
        **GuardedAuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an account. Check both and try again.",
        "inactive": "This account is switched off. Ask your coordinator.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email"
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "inputmode": "email"})
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"
        self.fields["otp"].widget.attrs.update({"autocomplete": "one-time-code", "inputmode": "numeric"})


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


class ResetRequestForm(PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "email"


class ResetRequestView(auth_views.PasswordResetView):
    """The email goes out with the site's own address (TANDEM_SITE_URL), not the Host the request names."""

    form_class = ResetRequestForm
    subject_template_name = "franchise/email/password_reset_subject.txt"
    email_template_name = "franchise/email/password_reset.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        site = urlsplit(settings.TANDEM_SITE_URL)
        self.extra_email_context = {"site_url": settings.TANDEM_SITE_URL}
        form.save(
            domain_override=site.netloc,
            use_https=site.scheme == "https",
            from_email=settings.DEFAULT_FROM_EMAIL,
            subject_template_name=self.subject_template_name,
            email_template_name=self.email_template_name,
            extra_email_context=self.extra_email_context,
            request=self.request,
        )
        return redirect(self.get_success_url())


class AcceptInvitationForm(forms.Form):
    name = forms.CharField(
        label="Your name", max_length=200, required=False, help_text="Leave empty if you already have an account."
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text="Choose one, or enter your current password if you already have an account.",
    )


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def accept_invitation(request, token):
    try:
        invitation = services.pending_invitation(token)
    except DomainError as exc:
        # Used, expired or unknown: say so at once instead of offering a form that cannot work.
        return render(request, "web/invitation_unusable.html", {"reason": exc.message}, status=404)
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
            if two_factor.has_two_factor(user):
                # The password alone must not open an account that signs in with two factors.
                messages.success(request, "Invitation accepted. Sign in with your password and your code.")
                return redirect("login")
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.name or user.email}. You are signed in.")
            return redirect("home")
    return _invitation_form(request, form, invitation, status=400 if form.errors else 200)


def _invitation_form(request, form, invitation, *, status):
    context = {
        "form": form,
        "invitation": invitation,
        "organisation": invitation.partner.name if invitation.partner else "the licensing organisation",
    }
    return render(request, "web/accept_invitation.html", context, status=status)
