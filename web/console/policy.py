"""The console's baseline policy: every field with its direction and value, an edit form, and before anything is
saved a preview of its effect on partners (whose own values would fall back to the new baseline). The same services
as api/franchise.py BaselinePolicyView: services.preview_baseline_change, then services.update_baseline."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from franchise import services
from franchise.models import BaselinePolicy
from franchise.policy_fields import BOOL, BY_NAME, DAYS, DIRECTIONS, POLICY_FIELDS, show_value
from web.console.base import licensor_page
from web.forms import show_domain_error
from web.franchise.policy import show_policy_refusal

ON, OFF = "on", "off"
DIRECTION_WORDS = {
    "lower_only": "Partners may lower it",
    "raise_only": "Partners may raise it",
    "cannot_switch_off": "Partners cannot switch it off",
    "licensor_only": "Licensor only",
    "free": "Partners choose",
}


def field_label(policy_field):
    label = policy_field.description.rstrip(".")
    return f"{label} ({policy_field.unit})" if policy_field.unit and policy_field.kind != BOOL else label


class BaselineForm(forms.Form):
    """One field per policy value, each required: the baseline always has a value."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for policy_field in POLICY_FIELDS:
            help_text = DIRECTIONS[policy_field.direction]
            if policy_field.kind == BOOL:
                field = forms.ChoiceField(choices=[(ON, "On"), (OFF, "Off")])
            elif policy_field.kind == DAYS:
                field = forms.CharField(max_length=200)
                help_text = f"Whole days, separated by commas, for example 90, 30, 7. {help_text}"
            else:
                field = forms.IntegerField(min_value=policy_field.minimum, max_value=policy_field.maximum)
            field.label, field.help_text = field_label(policy_field), help_text
            self.fields[policy_field.name] = field

    def clean(self):
        cleaned = super().clean()
        for policy_field in POLICY_FIELDS:
            if policy_field.kind == DAYS and policy_field.name in cleaned:
                try:
                    cleaned[policy_field.name] = [int(day) for day in cleaned[policy_field.name].split(",")]
                except ValueError:
                    self.add_error(policy_field.name, "Write whole days separated by commas, for example 90, 30, 7.")
        return cleaned

    def changes(self):
        """Every value as the services take it."""
        changes = {}
        for policy_field in POLICY_FIELDS:
            value = self.cleaned_data[policy_field.name]
            changes[policy_field.name] = value == ON if policy_field.kind == BOOL else value
        return changes


def _initial(values):
    initial = {}
    for name, value in values.items():
        if isinstance(value, bool):
            value = ON if value else OFF
        elif isinstance(value, list):
            value = ", ".join(str(day) for day in value)
        initial[name] = value
    return initial


def _shown(name, value):
    return show_value(value, BY_NAME[name].unit)


def _settings(baseline):
    values = baseline.values()
    return [
        {
            "label": policy_field.description.rstrip("."),
            "direction": DIRECTION_WORDS[policy_field.direction],
            "direction_help": DIRECTIONS[policy_field.direction],
            "value": _shown(policy_field.name, values[policy_field.name]),
        }
        for policy_field in POLICY_FIELDS
    ]


def _preview_rows(preview):
    return {
        "changes": [
            {
                "label": field_label(BY_NAME[c.name]),
                "before": _shown(c.name, c.before),
                "after": _shown(c.name, c.after),
            }
            for c in preview.changes
        ],
        "partners": [
            {
                "partner": item.partner,
                "fallbacks": [
                    {
                        "label": field_label(BY_NAME[f["field"]]),
                        "override": _shown(f["field"], f["override"]),
                        "baseline": _shown(f["field"], f["baseline"]),
                    }
                    for f in item.fallbacks
                ],
            }
            for item in preview.partners
        ],
    }


def _refuse(form, error):
    if isinstance(error, ValidationError):
        show_policy_refusal(form, error)
    else:
        show_domain_error(form, error)


@require_http_methods(["GET", "POST"])
@licensor_page
def baseline_policy(request):
    """GET: the baseline and its form. POST: the preview of the values sent (nothing saved); POST with `save`: the
    change applied, as previewed."""
    baseline = BaselinePolicy.load()
    form = BaselineForm(request.POST or None, initial=_initial(baseline.values()))
    context = {"console_nav": "policy", "settings": _settings(baseline), "form": form, "baseline": baseline}
    if request.method == "GET" or "edit" in request.POST:
        return render(request, "web/console/policy.html", context)
    if form.is_valid():
        try:
            if "save" in request.POST:
                return _save(request, form)
            preview = services.preview_baseline_change(by=request.user, changes=form.changes())
        except (DomainError, ValidationError) as error:
            _refuse(form, error)
        else:
            if not preview.changes:
                messages.info(request, "These are the values already in force: nothing would change.")
                return redirect("console-policy")
            return render(request, "web/console/policy_preview.html", {**context, **_preview_rows(preview)})
    return render(request, "web/console/policy.html", context, status=400)


def _save(request, form):
    services.update_baseline(by=request.user, changes=form.changes())
    messages.success(
        request,
        "The new baseline is in force. Every partner has a new version of its policy; partners' own values that "
        "were looser than it have fallen back to it.",
    )
    return redirect("console-policy")


urlpatterns = [path("policy/", baseline_policy, name="console-policy")]
