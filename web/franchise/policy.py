"""The partner's policy in the browser: beside the baseline, its versions, acknowledging it, and (for coordinators)
the partner's own values and boundary rules.

The same reads and services as api/franchise.py: effective_policy, update_policy_overrides (which refuses a
loosening, naming the baseline value), the boundary-rule services and acknowledge_policy.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError, Invalid, NotPermitted
from core.tenancy import COORDINATOR, MENTOR, SUPERVISOR, TRAINER
from franchise import services
from franchise.models import BaselinePolicy, BoundaryRule, PolicyOverride, PolicyVersion
from franchise.policy import compare_with_baseline, effective_policy
from franchise.policy_fields import BOOL, DIRECTIONS, GROUPS, LICENSOR_ONLY, OVERRIDABLE, POLICY_FIELDS, show_value
from franchise.querysets import own_acknowledgement, people_not_acknowledged_current_version
from supervision.models import Person
from web.forms import show_domain_error
from web.partners import partner_page
from web.supervision.incidents import CATEGORY_WORDS, category_label

MEMBER_ROLES = (COORDINATOR, SUPERVISOR, TRAINER, MENTOR)
VERSIONS_SHOWN = 20
UNACKNOWLEDGED_NAMES_SHOWN = 50


# --- reading the policy ----------------------------------------------------------------


def reason_in_words(reason):
    """A version's reason as stored names the fields changed ("supervision_interval_days"): say what they mean."""
    for policy_field in sorted(POLICY_FIELDS, key=lambda f: -len(f.label)):
        reason = reason.replace(policy_field.label, policy_field.description.rstrip(".").lower())
    return reason


def _policy_context(request, here):
    partner = here.partner
    current = effective_policy(partner)
    version = current.version
    settings_rows = compare_with_baseline(current, BaselinePolicy.load().values())
    me = Person.objects.visible_to(request.user).filter(partner=partner, user=request.user).first()
    my_acknowledgement = own_acknowledgement(me, version)
    context = {
        "nav": "policy",
        "version": version,
        "settings_rows": settings_rows,
        "licensor_only": LICENSOR_ONLY,
        "rules": [{"rule": rule, "category": category_label(rule.category)} for rule in current.boundary_rules],
        "reason": reason_in_words(version.reason) if version is not None else "",
        "is_coordinator": here.has(COORDINATOR),
        "me": me,
        "my_acknowledgement": my_acknowledgement,
    }
    if here.has(COORDINATOR):
        versions = PolicyVersion.objects.visible_to(request.user).filter(partner=partner)
        not_acknowledged = people_not_acknowledged_current_version(partner).order_by("name")
        context.update(
            versions=[
                {"version": item, "reason": reason_in_words(item.reason)}
                for item in versions.select_related("changed_by").order_by("-number")[:VERSIONS_SHOWN]
            ],
            version_count=versions.count(),
            not_acknowledged_names=list(not_acknowledged.values_list("name", flat=True)[:UNACKNOWLEDGED_NAMES_SHOWN]),
            not_acknowledged_count=not_acknowledged.count(),
        )
    return context


@partner_page(*MEMBER_ROLES)
def policy_page(request, here):
    return render(request, "web/policy/policy.html", _policy_context(request, here))


class AcknowledgeForm(forms.Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


@partner_page(*MEMBER_ROLES)
@require_POST
def policy_acknowledge(request, here):
    form = AcknowledgeForm(request.POST)
    version_number = form.cleaned_data["version"] if form.is_valid() else None
    try:
        acknowledgement, created = services.acknowledge_policy(
            by=request.user, partner=here.partner, version_number=version_number
        )
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error
    except DomainError as error:
        context = _policy_context(request, here)
        context["acknowledge_error"] = error.message
        return render(request, "web/policy/policy.html", context, status=error.status)
    number = acknowledgement.policy_version.number
    if created:
        messages.success(request, f"Thank you: you have acknowledged version {number} of the policy.")
    else:
        messages.info(request, f"You had already acknowledged version {number} of the policy.")
    return redirect("policy", partner_slug=here.partner.slug)


# --- the partner's own values ----------------------------------------------------------

ON, OFF = "on", "off"


class OverridesForm(forms.Form):
    """One field per value a partner may set; empty means "as the baseline"."""

    def __init__(self, *args, baseline, **kwargs):
        super().__init__(*args, **kwargs)
        for policy_field in OVERRIDABLE:
            shown = show_value(baseline[policy_field.name], policy_field.unit)
            help_text = f"{DIRECTIONS[policy_field.direction]} Baseline: {shown}."
            label = policy_field.description.rstrip(".")
            if policy_field.kind == BOOL:
                self.fields[policy_field.name] = forms.ChoiceField(
                    label=label,
                    help_text=help_text,
                    required=False,
                    choices=[("", f"As the baseline ({shown})"), (ON, "On"), (OFF, "Off")],
                )
            else:
                self.fields[policy_field.name] = forms.IntegerField(
                    label=f"{label} ({policy_field.unit})" if policy_field.unit else label,
                    help_text=f"{help_text} Leave empty to follow the baseline.",
                    required=False,
                    min_value=policy_field.minimum,
                    max_value=policy_field.maximum,
                )

    def changes(self):
        """Every value as the service takes it: None returns the field to the baseline."""
        changes = {}
        for policy_field in OVERRIDABLE:
            value = self.cleaned_data.get(policy_field.name)
            if policy_field.kind == BOOL:
                value = {ON: True, OFF: False}.get(value)
            changes[policy_field.name] = value
        return changes


def _initial(override):
    values = override.values() if override is not None else {}
    return {
        name: ({True: ON, False: OFF}[value] if isinstance(value, bool) else value) for name, value in values.items()
    }


def _field_of(api_name, message):
    """The form field a refusal belongs to: grouped values (review hours) name their member in the message."""
    for member in GROUPS.get(api_name, ()):
        if message.lower().startswith(f"{member.key}:"):
            return member.name
    return api_name


def show_policy_refusal(form, error: ValidationError):
    for api_name, refusals in error.message_dict.items():
        for message in refusals:
            show_domain_error(form, Invalid(message, field=_field_of(api_name, message)))


@partner_page(COORDINATOR)
@require_http_methods(["GET", "POST"])
def policy_edit(request, here):
    baseline = BaselinePolicy.load().values()
    override = PolicyOverride.objects.visible_to(request.user).filter(partner=here.partner).first()
    form = OverridesForm(request.POST or None, baseline=baseline, initial=_initial(override))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                version = services.update_policy_overrides(
                    by=request.user, partner=here.partner, changes=form.changes()
                )
            except NotPermitted as error:
                raise PermissionDenied(error.message) from error
            except DomainError as error:
                show_domain_error(form, error)
            except ValidationError as error:
                show_policy_refusal(form, error)
            else:
                if version is None:
                    messages.info(request, "Nothing changed.")
                else:
                    messages.success(request, f"Saved: version {version.number} of the policy is now in force.")
                return redirect("policy", partner_slug=here.partner.slug)
    return render(request, "web/policy/edit.html", {"nav": "policy", "form": form}, status=status)


# --- the partner's own boundary rules --------------------------------------------------


class RuleForm(forms.Form):
    code = forms.CharField(max_length=20, label="Code", help_text="A short reference, e.g. NS-3.")
    title = forms.CharField(max_length=200, label="The rule in a line")
    description = forms.CharField(label="What it means in practice", widget=forms.Textarea(attrs={"rows": 4}))
    category = forms.ChoiceField(choices=list(CATEGORY_WORDS.items()), label="Kind of boundary")
    mandatory = forms.BooleanField(required=False, initial=True, label="Every mentor must keep this rule")


def _rule_form_response(request, form, rule, status):
    return render(request, "web/policy/rule.html", {"nav": "policy", "form": form, "rule": rule}, status=status)


def _save_rule(request, here, form, save):
    try:
        rule = save(**form.cleaned_data)
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error
    except DomainError as error:
        show_domain_error(form, error)
        return None, error.status
    return rule, 200


@partner_page(COORDINATOR)
@require_http_methods(["GET", "POST"])
def rule_new(request, here):
    form = RuleForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            rule, status = _save_rule(
                request,
                here,
                form,
                lambda **data: services.create_boundary_rule(by=request.user, partner=here.partner, **data),
            )
            if rule is not None:
                messages.success(request, f"Rule {rule.code} added: a new version of the policy is in force.")
                return redirect("policy", partner_slug=here.partner.slug)
            return _rule_form_response(request, form, None, status)
        return _rule_form_response(request, form, None, 400)
    return _rule_form_response(request, form, None, 200)


@partner_page(COORDINATOR)
@require_http_methods(["GET", "POST"])
def rule_edit(request, here, rule_id):
    rule = get_object_or_404(
        BoundaryRule.objects.visible_to(request.user).filter(Q(partner=here.partner) | Q(partner__isnull=True)),
        pk=rule_id,
    )
    if request.method == "POST" and "retire" in request.POST:
        try:
            services.retire_boundary_rule(by=request.user, rule=rule)
        except NotPermitted as error:
            raise PermissionDenied(error.message) from error
        messages.success(request, f"Rule {rule.code} retired: a new version of the policy is in force.")
        return redirect("policy", partner_slug=here.partner.slug)
    initial = {name: getattr(rule, name) for name in ("code", "title", "description", "category", "mandatory")}
    form = RuleForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not form.is_valid():
            return _rule_form_response(request, form, rule, 400)
        saved, status = _save_rule(
            request, here, form, lambda **data: services.update_boundary_rule(by=request.user, rule=rule, **data)
        )
        if saved is not None:
            messages.success(request, f"Rule {saved.code} saved.")
            return redirect("policy", partner_slug=here.partner.slug)
        return _rule_form_response(request, form, rule, status)
    return _rule_form_response(request, form, rule, 200)


urlpatterns = [
    path("policy/", policy_page, name="policy"),
    path("policy/acknowledge/", policy_acknowledge, name="policy-acknowledge"),
    path("policy/edit/", policy_edit, name="policy-edit"),
    path("policy/rules/new/", rule_new, name="policy-rule-new"),
    path("policy/rules/<uuid:rule_id>/", rule_edit, name="policy-rule"),
]
