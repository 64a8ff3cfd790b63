"""Franchise use cases for boundary rules, the baseline's and a partner's."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import Invalid, NotPermitted
from core.tenancy import COORDINATOR, access_for, require_role
from franchise.models import BoundaryRule
from franchise.services.policy import _write_versions_for_every_partner, write_policy_version


def _require_rule_writer(by, partner, verb):
    if partner is None:
        if not access_for(by).is_licensor:
            raise NotPermitted(
                f"Baseline rules bind every partner; only the licensing organisation may {verb} them.",
                code="baseline_rule",
            )
    else:
        require_role(by, partner, (COORDINATOR,), message=f"Only the partner's coordinators may {verb} its rules.")


def check_rule_code(partner, code, exclude=None):
    """Refuse a code already used by a rule in force for the same partner, or by a baseline rule."""
    clash = BoundaryRule.objects.current().filter(code=code)
    clash = (
        clash.filter(partner__isnull=True)
        if partner is None
        else clash.filter(Q(partner=partner) | Q(partner__isnull=True))
    )
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if clash.exists():
        raise Invalid(f"The code {code!r} is taken by a rule in force.", field="code", code="code_taken")


def _rules_changed(*, by, partner, reason):
    if partner is None:
        _write_versions_for_every_partner(by=by, reason=reason)
    else:
        write_policy_version(partner=partner, by=by, reason=reason)


@transaction.atomic
def create_boundary_rule(*, by, partner, code, title, description, category, mandatory=True):
    """A partner's own rule, or (partner None) a baseline rule every partner works under."""
    _require_rule_writer(by, partner, "add")
    if partner is None and not mandatory:
        raise Invalid("Baseline rules are mandatory for every partner.", field="mandatory")
    check_rule_code(partner, code)
    rule = BoundaryRule.objects.create(
        partner=partner, code=code, title=title, description=description, category=category, mandatory=mandatory
    )
    _rules_changed(by=by, partner=partner, reason=f"Boundary rule {code} added")
    return rule


BOUNDARY_RULE_EDITABLE = ("code", "title", "description", "category", "mandatory")


@transaction.atomic
def update_boundary_rule(*, by, rule, **changes):
    if "partner" in changes:
        if getattr(changes.pop("partner"), "pk", None) != rule.partner_id:
            raise Invalid("A rule's partner cannot change; add a new rule instead.", field="partner")
    _require_rule_writer(by, rule.partner, "change")
    unknown = set(changes) - set(BOUNDARY_RULE_EDITABLE)
    if unknown:
        raise Invalid(f"{', '.join(sorted(unknown))} cannot be changed here.", code="not_editable")
    rule = BoundaryRule.objects.select_for_update().get(pk=rule.pk)
    if rule.retired_at is not None:
        raise Invalid("A retired rule is kept as a record and cannot change.", code="rule_retired")
    if rule.is_baseline and changes.get("mandatory") is False:
        raise Invalid("Baseline rules are mandatory for every partner.", field="mandatory")
    changed = [name for name, value in changes.items() if getattr(rule, name) != value]
    if not changed:
        return rule
    if "code" in changed:
        check_rule_code(rule.partner, changes["code"], exclude=rule)
    for name in changed:
        setattr(rule, name, changes[name])
    rule.save()
    _rules_changed(by=by, partner=rule.partner, reason=f"Boundary rule {rule.code} changed")
    return rule


@transaction.atomic
def retire_boundary_rule(*, by, rule):
    """Take a rule out of force. It is kept, because incidents may have been recorded under it."""
    _require_rule_writer(by, rule.partner, "remove")
    retired = BoundaryRule.objects.filter(pk=rule.pk, retired_at__isnull=True).update(retired_at=timezone.now())
    if retired:
        _rules_changed(by=by, partner=rule.partner, reason=f"Boundary rule {rule.code} removed")
