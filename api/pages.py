"""The few HTML pages that people without an account reach from an email."""

from django import forms
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from franchise import services
from franchise.errors import DomainError


class AcceptInvitationForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, help_text="Leave empty if you already have an account.")
    password = forms.CharField(widget=forms.PasswordInput)


@never_cache
@csrf_protect
def accept_invitation_page(request, token):
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept_invitation(token=token, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return render(request, "api/invitation_accepted.html", {"user": user})
    return render(request, "api/accept_invitation.html", {"form": form})
