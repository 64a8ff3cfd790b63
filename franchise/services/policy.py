"""Franchise use cases for the policy: the baseline, partners' overrides and policy versions."""

import logging
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.errors import Invalid
from core.tenancy import COORDINATOR, require_role
from franchise import policy, policy_fields
from franchise.models import BaselinePolicy, BoundaryRule, Partner, PolicyOverride, PolicyVersion
from franchise.services._common import _lock_partner, _require_licensor

logger = logging.getLogger(__name__)


def _flat_policy_names(changes):
    unknown = [name for name in changes if name not in policy_fields.BY_NAME]
    if unknown:
        raise Invalid(
            f"{', '.join(sorted(unknown))} is not a policy field.", field=sorted(unknown)[0], code="unknown_field"
        )


def _labels(names):
    return ", ".join(policy_fields.BY_NAME[name].label for name in sorted(names))


def _next_number(partner_id):
    top = PolicyVersion.objects.filter(partner_id=partner_id).aggregate(top=Max("number"))["top"]
    return (top or 0) + 1


def write_policy_version(*, partner, by, reason, fallbacks=()):
    """Freeze the partner's effective policy as it now stands into a new, numbered PolicyVersion."""
    with transaction.atomic():
        _lock_partner(partner.pk)
        values, overridden, rules = policy.live_snapshot(partner)
        return PolicyVersion.objects.create(
            partner=partner,
            number=_next_number(partner.pk),
            changed_by=by,
            reason=reason[:300],
            values=values,
            overridden=overridden,
            boundary_rules=rules,
            fallbacks=list(fallbacks),
        )


def ensure_policy_version(partner, *, by=None):
    """The version in force for `partner`, writing the first one if the partner has none yet."""
    version = PolicyVersion.objects.in_force(partner)
    if version is None:
        version = write_policy_version(partner=partner, by=by, reason="First version of the policy.")
    return version


def _write_versions_for_every_partner(*, by, reason, fallbacks_by_partner=None):
    """One new version per partner after a change of the baseline (values or rules); a fixed number of queries."""
    fallbacks_by_partner = fallbacks_by_partner or {}
    partners = list(Partner.objects.select_for_update().order_by("pk"))
    baseline = BaselinePolicy.load()
    overrides = {override.partner_id: override for override in PolicyOverride.objects.all()}
    rules_by_partner = defaultdict(list)
    baseline_rules = []
    for rule in BoundaryRule.objects.current():
        (baseline_rules if rule.partner_id is None else rules_by_partner[rule.partner_id]).append(rule)
    numbers = dict(PolicyVersion.objects.values("partner").annotate(top=Max("number")).values_list("partner", "top"))
    now = timezone.now()
    versions = []
    for partner in partners:
        values, overridden, rules = policy.live_snapshot(
            partner,
            baseline=baseline,
            override=overrides.get(partner.pk),
            rules=baseline_rules + rules_by_partner[partner.pk],
        )
        fallbacks = fallbacks_by_partner.get(partner.pk, [])
        partner_reason = reason
        if fallbacks:
            partner_reason += f"; the partner's own {_labels(f['field'] for f in fallbacks)} fell back to the baseline"
        versions.append(
            PolicyVersion(
                partner=partner,
                number=(numbers.get(partner.pk) or 0) + 1,
                effective_from=now,
                changed_by=by,
                reason=partner_reason[:300],
                values=values,
                overridden=overridden,
                boundary_rules=rules,
                fallbacks=fallbacks,
            )
        )
    PolicyVersion.objects.bulk_create(versions)
    return versions


@dataclass(frozen=True)
class FieldChange:
    name: str
    before: object
    after: object


@dataclass(frozen=True)
class PartnerFallback:
    """A partner whose own values the new baseline would make looser: each `{field, override, baseline}` falls
    back to the baseline (policy.fallbacks_for)."""

    partner: Partner
    fallbacks: list


@dataclass(frozen=True)
class BaselinePreview:
    changes: list  # FieldChange, in the order of the policy's fields
    partners: list  # PartnerFallback, by partner name


def _new_baseline(baseline, changes):
    """(values before, values after, names changed) of `changes` to `baseline`; refuses what update_baseline
    refuses (an unknown field, a value out of range, group sizes that do not fit together)."""
    _flat_policy_names(changes)
    cleaned = policy.clean_values(changes)
    before = baseline.values()
    after = {**before, **cleaned}
    policy.check_group_sizes(after)
    return (
        before,
        after,
        [field.name for field in policy_fields.POLICY_FIELDS if before[field.name] != after[field.name]],
    )


def preview_baseline_change(*, by, changes):
    """What update_baseline(changes=changes) would do, written nowhere: the fields it changes and, for every
    partner, the own values that would fall back to the new baseline. Two queries whatever the partners."""
    _require_licensor(by, "Only licensor admins may change the baseline policy.")
    before, after, changed = _new_baseline(BaselinePolicy.load(), changes)
    if not changed:
        return BaselinePreview(changes=[], partners=[])
    partners = []
    for override in PolicyOverride.objects.select_related("partner").order_by("partner__name", "partner_id"):
        dropped = policy.fallbacks_for(override.values(), after)
        if dropped:
            partners.append(PartnerFallback(partner=override.partner, fallbacks=dropped))
    return BaselinePreview(
        changes=[FieldChange(name, before[name], after[name]) for name in changed], partners=partners
    )


@transaction.atomic
def update_baseline(*, by, changes):
    """Change the licensor's baseline; every partner gets a new version.

    A partner's override that the new baseline makes looser is dropped (the
    partner falls back to the baseline), and the drop is recorded in that
    partner's new version (`fallbacks`, `reason`). preview_baseline_change shows
    the same beforehand.
    """
    _require_licensor(by, "Only licensor admins may change the baseline policy.")
    BaselinePolicy.load()
    baseline = BaselinePolicy.objects.select_for_update().get(pk=1)
    _, after, changed = _new_baseline(baseline, changes)
    if not changed:
        return baseline
    for name in changed:
        setattr(baseline, name, after[name])
    baseline.updated_by = by
    baseline.save()

    fallbacks_by_partner, dropped_overrides = {}, []
    for override in PolicyOverride.objects.select_for_update():
        dropped = policy.fallbacks_for(override.values(), after)
        if dropped:
            for item in dropped:
                setattr(override, item["field"], None)
            fallbacks_by_partner[override.partner_id] = dropped
            dropped_overrides.append(override)
    PolicyOverride.objects.bulk_update(dropped_overrides, [field.name for field in policy_fields.OVERRIDABLE])
    if fallbacks_by_partner:
        logger.info("Baseline change: %d partners fell back to the baseline", len(fallbacks_by_partner))
    _write_versions_for_every_partner(
        by=by, reason=f"Baseline changed: {_labels(changed)}", fallbacks_by_partner=fallbacks_by_partner
    )
    return baseline


@transaction.atomic
def update_policy_overrides(*, by, partner, changes):
    """Set (or, with None, clear) a partner's own policy values; returns the new version, or None if nothing changed.

    A value looser than the baseline is refused (ValidationError naming every
    such field and the baseline value); licensor-only fields cannot be set.
    """
    require_role(by, partner, (COORDINATOR,), message="Only the partner's coordinators may change its policy.")
    _flat_policy_names(changes)
    cleaned = policy.clean_values(changes, allow_none=True)
    baseline_values = BaselinePolicy.load().values()
    errors = policy.looser_fields(cleaned, baseline_values)
    if errors:
        raise ValidationError(errors)
    _lock_partner(partner.pk)
    override, _ = PolicyOverride.objects.get_or_create(partner=partner)
    before = override.values()
    for name, value in cleaned.items():
        setattr(override, name, value)
    after = override.values()
    policy.check_group_sizes({**baseline_values, **after})
    if after == before:
        return None
    override.updated_by = by
    override.save()
    changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    return write_policy_version(partner=partner, by=by, reason=f"Partner's own policy changed: {_labels(changed)}")
