"""The effective policy: computed here and nowhere else.

A partner's effective policy is the licensor's baseline with the partner's
overrides on top, plus the boundary rules in force (the baseline's and the
partner's own). Every change is frozen into a PolicyVersion, so "the policy in
force for partner P at time T" is read from the version in force at T.

The fields and their directions are declared once in franchise.policy_fields;
this module applies them (validation, baseline-tightening fallback).
"""

import uuid
from dataclasses import dataclass, make_dataclass

from django.core.exceptions import ValidationError

from franchise.models import BaselinePolicy, BoundaryRule, PolicyOverride, PolicyVersion
from franchise.policy_fields import BY_NAME, POLICY_FIELDS, nest

__all__ = [
    "EffectivePolicy",
    "RuleInForce",
    "effective_policy",
    "live_snapshot",
    "looser_fields",
    "fallbacks_for",
    "clean_values",
    "check_group_sizes",
    "compare_with_baseline",
]


@dataclass(frozen=True)
class RuleInForce:
    """A boundary rule as it read in the policy version it belongs to."""

    id: uuid.UUID
    code: str
    title: str
    description: str
    category: str
    mandatory: bool
    baseline: bool

    @classmethod
    def from_snapshot(cls, data):
        return cls(
            id=uuid.UUID(data["id"]),
            code=data["code"],
            title=data["title"],
            description=data["description"],
            category=data["category"],
            mandatory=data["mandatory"],
            baseline=data["baseline"],
        )


def _values(self):
    """Every policy field, flat names -> values."""
    return {f.name: getattr(self, f.name) for f in POLICY_FIELDS}


def _nested_values(self):
    """Every policy field in the API's shape (incident_review_hours as one object)."""
    return nest(self.values())


def _review_hours(self, severity):
    return getattr(self, f"incident_review_hours_{severity}")


def _rule_ids(self):
    return frozenset(rule.id for rule in self.boundary_rules)


EffectivePolicy = make_dataclass(
    "EffectivePolicy",
    [(f.name, object) for f in POLICY_FIELDS]
    + [
        ("partner_id", object),
        ("version", object),
        ("boundary_rules", tuple),
        ("overridden", frozenset),
    ],
    frozen=True,
    namespace={
        "__doc__": "The policy in force for one partner at one time; one attribute per policy field, "
        "plus `version` (the PolicyVersion in force, or None before the first), `boundary_rules` "
        "(RuleInForce, baseline first) and `overridden` (the fields the partner has set).",
        "values": _values,
        "nested_values": _nested_values,
        "review_hours": _review_hours,
        "rule_ids": property(_rule_ids),
    },
)
EffectivePolicy.__module__ = __name__


def effective_policy(partner, at=None):
    """The policy in force for `partner` at `at` (now when None).

    Read from the PolicyVersion in force at that time. A partner with no version
    yet has never had a change of its own or of the baseline since it was
    created, so its policy is computed from the baseline, its overrides and the
    rules as they stand.
    """
    version = PolicyVersion.objects.in_force(partner, at)
    if version is not None:
        return _from_version(version)
    values, overridden, rules = live_snapshot(partner)
    return EffectivePolicy(
        **values,
        partner_id=getattr(partner, "pk", partner),
        version=None,
        boundary_rules=tuple(RuleInForce.from_snapshot(r) for r in rules),
        overridden=frozenset(overridden),
    )


def _from_version(version):
    defaults = {f.name: f.default for f in POLICY_FIELDS}
    # A field added to the table after the version was written reads as its default.
    values = {name: version.values.get(name, default) for name, default in defaults.items()}
    return EffectivePolicy(
        **values,
        partner_id=version.partner_id,
        version=version,
        boundary_rules=tuple(RuleInForce.from_snapshot(r) for r in version.boundary_rules),
        overridden=frozenset(version.overridden),
    )


_LOAD = object()


def live_snapshot(partner, *, baseline=None, override=_LOAD, rules=None):
    """(values, overridden field names, rule snapshots) as they stand now: what a new version freezes.

    Callers writing many versions at once pass what they have already loaded.
    """
    baseline = baseline if baseline is not None else BaselinePolicy.load()
    if override is _LOAD:
        override = PolicyOverride.objects.filter(partner=partner).first()
    values = baseline.values()
    own = override.values() if override is not None else {}
    values.update(own)
    if rules is None:
        rules = list(BoundaryRule.objects.in_force_for(partner))
    return values, sorted(own), [rule.snapshot() for rule in rules]


# --- validation ---------------------------------------------------------------------


def clean_values(changes, *, allow_none=False):
    """Check each value's type and range; returns cleaned values or raises ValidationError naming every field."""
    cleaned, errors = {}, {}
    for name, value in changes.items():
        policy_field = BY_NAME[name]
        if value is None and allow_none:
            cleaned[name] = None
            continue
        try:
            cleaned[name] = policy_field.clean(value)
        except ValueError as exc:
            errors.setdefault(policy_field.api_name, []).append(str(exc))
    if errors:
        raise ValidationError(errors)
    return cleaned


def looser_fields(changes, baseline_values):
    """The partner's `changes` that would loosen the baseline: {api field name: [messages]}."""
    errors = {}
    for name, value in changes.items():
        policy_field = BY_NAME[name]
        if value is None:
            continue
        if not policy_field.overridable or policy_field.is_looser(value, baseline_values[name]):
            errors.setdefault(policy_field.api_name, []).append(policy_field.loosening_message(baseline_values[name]))
    return errors


def check_group_sizes(values):
    if values["peer_group_min_size"] > values["peer_group_max_size"]:
        raise ValidationError(
            {
                "peer_group_min_size": [
                    f"The smallest group ({values['peer_group_min_size']}) cannot be larger than "
                    f"the largest ({values['peer_group_max_size']})."
                ]
            }
        )


def fallbacks_for(override_values, baseline_values):
    """The overrides a partner loses when the baseline changes: [{field, override, baseline}].

    An override the new baseline makes looser falls back to the baseline. Then,
    should the partner's group sizes no longer fit together (its own maximum
    below the licensor's new minimum, say), its own sizes fall back too, the
    minimum first.
    """
    dropped = []
    remaining = dict(override_values)
    for name, value in override_values.items():
        if BY_NAME[name].is_looser(value, baseline_values[name]):
            dropped.append({"field": name, "override": value, "baseline": baseline_values[name]})
            del remaining[name]
    for name in ("peer_group_min_size", "peer_group_max_size"):
        effective = {**baseline_values, **remaining}
        if effective["peer_group_min_size"] <= effective["peer_group_max_size"]:
            break
        if name in remaining:
            dropped.append({"field": name, "override": remaining.pop(name), "baseline": baseline_values[name]})
    return dropped


# --- the partner's policy beside the baseline ---------------------------------------


@dataclass(frozen=True)
class ComparedSetting:
    """One policy field of a partner's effective policy beside the licensor's baseline.

    `tightened`: the partner has set a value stricter than the baseline; `changed`: the partner has set a
    value of its own that is a local choice (a field partners may set either way), not a standard.
    """

    name: str
    description: str
    direction: str
    baseline: object
    value: object
    baseline_shown: str
    value_shown: str
    overridden: bool
    tightened: bool
    changed: bool


def compare_with_baseline(current, baseline_values):
    """Each policy field of `current` (an EffectivePolicy) beside `baseline_values` (BaselinePolicy.values())."""
    from franchise.policy_fields import FREE, show_value

    rows = []
    for policy_field in POLICY_FIELDS:
        value, baseline = getattr(current, policy_field.name), baseline_values[policy_field.name]
        differs = policy_field.name in current.overridden and value != baseline
        local_choice = policy_field.direction == FREE
        rows.append(
            ComparedSetting(
                name=policy_field.name,
                description=policy_field.description,
                direction=policy_field.direction,
                baseline=baseline,
                value=value,
                baseline_shown=show_value(baseline, policy_field.unit),
                value_shown=show_value(value, policy_field.unit),
                overridden=policy_field.name in current.overridden,
                tightened=differs and not local_choice and not policy_field.is_looser(value, baseline),
                changed=differs and local_choice,
            )
        )
    return rows


def version_changes(version, previous):
    """What a policy version changed since `previous` (None for a partner's first version), in the words a
    reader acknowledging it needs: ({"rules_added": [rule titles], "rules_changed": [..], "rules_removed": [..],
    "values_changed": [(field label, before, after)]}). Pure: reads the two versions' frozen snapshots."""
    before_rules = {rule["code"]: rule for rule in (previous.boundary_rules if previous else [])}
    after_rules = {rule["code"]: rule for rule in version.boundary_rules}
    before_values = previous.values if previous else {}
    return {
        "rules_added": [after_rules[code]["title"] for code in after_rules if code not in before_rules],
        "rules_changed": [
            after_rules[code]["title"]
            for code in after_rules
            if code in before_rules and before_rules[code] != after_rules[code]
        ],
        "rules_removed": [before_rules[code]["title"] for code in before_rules if code not in after_rules],
        "values_changed": [
            (BY_NAME[name].label if name in BY_NAME else name, before_values[name], value)
            for name, value in version.values.items()
            if previous is not None and name in before_values and before_values[name] != value
        ],
    }
