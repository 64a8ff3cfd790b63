"""The Django admin as the operators' tool: only active superusers sign in or see anything.

Licensor admins are not operators: they use the API (and the licensor's
console), where incident visibility is decided and every read is logged. Staff
status alone opens nothing here.
"""

import math

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm

from core.errors import Invalid
from franchise import login_guard, two_factor


def is_operator(user):
    return bool(user.is_active and user.is_superuser)


class OperatorAuthenticationForm(AdminAuthenticationForm):
    """Operators hold the most powerful accounts: their sign-in meets the same lockout as the token login,
    and asks for the second factor of an account that has one."""

    otp = forms.CharField(
        label="Code from your authenticator app",
        required=False,
        max_length=64,
        help_text="Only if this account signs in with two factors; a recovery code works once.",
    )
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": (
            "Enter the email and password of an operator account. The admin is for the operators of "
            "this deployment; licensor admins use the API."
        ),
        "locked": "Too many failed sign-ins. Try again in %(minutes)s minute(s).",
    }

    def clean(self):
        account = login_guard.account_ident(self.data.get("username"))
        client = login_guard.client_address(self.request)
        wait = login_guard.retry_after(account=account, client=client)
        if wait is not None:
            # Checked before the password, which is then not tried: its answer would tell the guesser.
            raise forms.ValidationError(
                self.error_messages["locked"], code="locked", params={"minutes": math.ceil(wait / 60)}
            )
        try:
            cleaned = super().clean()
            if self.get_user() is not None:
                two_factor.check_sign_in(self.get_user(), self.cleaned_data.get("otp"))
        except forms.ValidationError as error:
            if getattr(error, "code", None) == "invalid_login":
                login_guard.record_failure(account=account, client=client)
            raise
        except Invalid as error:
            if error.code == "otp_invalid":
                login_guard.record_failure(account=account, client=client)
            self.user_cache = None
            raise forms.ValidationError({"otp": error.message}) from None
        login_guard.record_success(account=account, client=client)
        return cleaned

    def confirm_login_allowed(self, user):
        # AuthenticationForm refuses inactive users; Django's admin form would let any staff user in.
        if not is_operator(user):
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")


class OperatorsAdminSite(admin.AdminSite):
    site_header = "Tandem operators"
    site_title = "Tandem operators"
    login_form = OperatorAuthenticationForm
    login_template = "franchise/admin/login.html"

    def has_permission(self, request):
        return is_operator(request.user)
