"""One sign-in with email and password for every form that asks for one (the web pages, the admin).

Each meets the same lockout as the token login (login_guard) and asks an account that has enrolled an
authenticator app for its code (two_factor), so no way in is weaker than another.
"""

import math

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from core.errors import Invalid
from franchise import login_guard, two_factor


class GuardedAuthenticationForm(AuthenticationForm):
    otp = forms.CharField(
        label="Code from your authenticator app",
        required=False,
        max_length=64,
        help_text="Only if this account signs in with two factors; a recovery code works once.",
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": "Too many failed sign-ins. Try again in %(minutes)s minute(s).",
    }
    otp_messages = {
        "otp_required": "This account signs in with two factors: enter the code from your authenticator app.",
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
            raise forms.ValidationError({"otp": self.otp_messages.get(error.code, error.message)}) from None
        login_guard.record_success(account=account, client=client)
        return cleaned
