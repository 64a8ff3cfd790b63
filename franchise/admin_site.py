"""The Django admin as the operators' tool: only active superusers sign in or see anything.

Licensor admins are not operators: they use the API (and the licensor's
console), where incident visibility is decided and every read is logged. Staff
status alone opens nothing here.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm

from franchise.sign_in import GuardedAuthenticationForm


def is_operator(user):
    return bool(user.is_active and user.is_superuser)


class OperatorAuthenticationForm(GuardedAuthenticationForm, AdminAuthenticationForm):
    """Operators hold the most powerful accounts: their sign-in is the guarded one every form uses."""

    error_messages = {
        **GuardedAuthenticationForm.error_messages,
        "invalid_login": (
            "Enter the email and password of an operator account. The admin is for the operators of "
            "this deployment; licensor admins use the API."
        ),
    }

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
