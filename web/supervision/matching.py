"""Matching a new mentee in the browser: the coordinator describes the mentee's needs, reads the suggested mentors
with the parts of each score and the mentors left out with their reasons, and proposes a match (approved on the
match's page). The same domain function as POST /api/v1/match-suggestions/ (supervision.mentoring.suggestions).
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.tenancy import COORDINATOR
from supervision.mentoring.models import Availability
from supervision.mentoring.suggestions import suggest_mentors
from supervision.models import MatchingTag, Person
from supervision.people import services as people
from web.forms import show_refusal
from web.partners import partner_page

PART_WORDS = {
    "shared_tags": "shared needs",
    "language": "language",
    "area": "area",
    "availability": "free at the same times",
    "load": "mentees already",
}


class NeedsForm(forms.Form):
    mentee_ref = forms.CharField(
        label="Mentee's reference",
        max_length=40,
        help_text="The mentee's pseudonymous reference, such as NS-M-0300 — never their name.",
    )
    tags = forms.MultipleChoiceField(label="Needs", required=False, widget=forms.CheckboxSelectMultiple)
    language = forms.CharField(label="Language", required=False, max_length=40)
    area = forms.CharField(label="Area", required=False, max_length=100)
    availability = forms.MultipleChoiceField(
        label="When the mentee is free",
        required=False,
        choices=Availability.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    preferred_gender = forms.CharField(
        label="Gender of mentor asked for", required=False, max_length=40, help_text="Only if the mentee asked."
    )

    def __init__(self, *args, partner, **kwargs):
        super().__init__(*args, **kwargs)
        names = MatchingTag.objects.filter(partner=partner).values_list("name", flat=True)
        self.fields["tags"].choices = [(name, name) for name in names]


class ProposeForm(forms.Form):
    mentor = forms.ModelChoiceField(queryset=Person.objects.none())
    mentee_ref = forms.CharField(max_length=40)

    def __init__(self, *args, user, partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mentor"].queryset = Person.objects.visible_to(user).filter(partner=partner).mentors()


def _parts_in_words(parts):
    return [{"label": PART_WORDS.get(code, code), "points": points} for code, points in parts.items() if points]


@partner_page(COORDINATOR)
def matching(request, here):
    form = NeedsForm(request.GET or None, partner=here.partner)
    found, status = None, 200
    if request.GET and form.is_valid():
        try:
            found = suggest_mentors(by=request.user, partner=here.partner, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            show_refusal(form, error)
    if form.errors:
        status = 400
    context = {"nav": "matching", "form": form, "found": None}
    if found is not None:
        context["found"] = {
            "suggestions": [{"item": item, "parts": _parts_in_words(item.parts)} for item in found.suggestions],
            "excluded": found.excluded,
            "mentee_ref": form.cleaned_data["mentee_ref"],
        }
    return render(request, "web/matching/suggestions.html", context, status=status)


@require_POST
@partner_page(*people.MATCH_WRITERS)
def matching_propose(request, here):
    form = ProposeForm(request.POST, user=request.user, partner=here.partner)
    if form.is_valid():
        try:
            match = people.create_match(
                by=request.user, mentor=form.cleaned_data["mentor"], mentee_ref=form.cleaned_data["mentee_ref"]
            )
        except (DomainError, ValidationError) as error:
            show_refusal(form, error)
        else:
            messages.success(request, f"The match with mentee {match.mentee_ref} is proposed; it starts once approved.")
            return HttpResponseRedirect(reverse("match-detail", args=[here.partner.slug, match.pk]))
    return render(request, "web/matching/propose_refused.html", {"nav": "matching", "form": form}, status=400)


urlpatterns = [
    path("matching/", matching, name="matching"),
    path("matching/propose/", matching_propose, name="matching-propose"),
]
