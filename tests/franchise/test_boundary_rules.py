import pytest

from core.errors import Invalid, NotFound, NotPermitted
from franchise import services
from franchise.models import BoundaryRule, PolicyVersion
from franchise.policy import effective_policy
from tests.franchise.factories import BoundaryRuleFactory

pytestmark = pytest.mark.django_db

RULE = {"title": "No gifts", "description": "Mentors neither give nor accept gifts.", "category": "gifts_money"}


def test_a_baseline_rule_binds_every_partner_and_versions_each(licensor, partner, other_partner):
    rule = services.create_boundary_rule(by=licensor, partner=None, code="B-GIFT", **RULE)

    for each in (partner, other_partner):
        current = effective_policy(each)
        assert [r.id for r in current.boundary_rules] == [rule.pk]
        assert current.boundary_rules[0].baseline is True
        assert current.version.reason == "Boundary rule B-GIFT added"


def test_a_partner_rule_joins_only_that_partners_policy(coordinator, partner, other_partner):
    BoundaryRuleFactory(baseline=True, code="B-1")

    rule = services.create_boundary_rule(by=coordinator, partner=partner, code="N-1", **RULE, mandatory=False)

    assert [r.code for r in effective_policy(partner).boundary_rules] == ["B-1", "N-1"]
    assert effective_policy(partner).rule_ids == {rule.pk, BoundaryRule.objects.get(code="B-1").pk}
    assert not PolicyVersion.objects.filter(partner=other_partner).exists()


def test_baseline_rules_are_mandatory(licensor):
    with pytest.raises(Invalid) as refused:
        services.create_boundary_rule(by=licensor, partner=None, code="B-1", mandatory=False, **RULE)

    assert refused.value.field == "mandatory"
    assert not BoundaryRule.objects.exists()


def test_only_licensor_admins_write_baseline_rules(coordinator):
    baseline = BoundaryRuleFactory(baseline=True)

    with pytest.raises(NotPermitted):
        services.create_boundary_rule(by=coordinator, partner=None, code="B-2", **RULE)
    with pytest.raises(NotPermitted):
        services.update_boundary_rule(by=coordinator, rule=baseline, title="Softer")
    with pytest.raises(NotPermitted):
        services.retire_boundary_rule(by=coordinator, rule=baseline)

    baseline.refresh_from_db()
    assert baseline.retired_at is None


def test_partner_rules_are_written_by_that_partners_coordinators(trainer, other_coordinator, partner):
    with pytest.raises(NotPermitted):
        services.create_boundary_rule(by=trainer, partner=partner, code="N-1", **RULE)
    with pytest.raises(NotFound):
        services.create_boundary_rule(by=other_coordinator, partner=partner, code="N-1", **RULE)
    assert not BoundaryRule.objects.exists()


def test_a_code_in_force_is_not_reused(coordinator, partner):
    BoundaryRuleFactory(baseline=True, code="B-1")
    BoundaryRuleFactory(partner=partner, code="N-1")

    for code in ("B-1", "N-1"):
        with pytest.raises(Invalid) as refused:
            services.create_boundary_rule(by=coordinator, partner=partner, code=code, **RULE)
        assert refused.value.field == "code"


def test_changing_a_rule_writes_a_version_with_its_new_text(coordinator, partner):
    rule = BoundaryRuleFactory(partner=partner, code="N-1")

    services.update_boundary_rule(by=coordinator, rule=rule, title="Meet only at the centre")

    assert effective_policy(partner).boundary_rules[0].title == "Meet only at the centre"


def test_a_retired_rule_leaves_the_policy_but_is_kept(coordinator, partner):
    rule = BoundaryRuleFactory(partner=partner, code="N-1")
    services.update_boundary_rule(by=coordinator, rule=rule, title="Before")

    services.retire_boundary_rule(by=coordinator, rule=rule)

    assert effective_policy(partner).boundary_rules == ()
    assert BoundaryRule.objects.get(pk=rule.pk).retired_at is not None
    first = PolicyVersion.objects.get(partner=partner, number=1)
    assert [r["title"] for r in first.boundary_rules] == ["Before"]


def test_retiring_twice_writes_one_version(coordinator, partner):
    rule = BoundaryRuleFactory(partner=partner)

    services.retire_boundary_rule(by=coordinator, rule=rule)
    services.retire_boundary_rule(by=coordinator, rule=rule)

    assert PolicyVersion.objects.filter(partner=partner).count() == 1


def test_a_rule_keeps_its_partner(coordinator, partner, other_partner):
    rule = BoundaryRuleFactory(partner=partner)

    with pytest.raises(Invalid):
        services.update_boundary_rule(by=coordinator, rule=rule, partner=other_partner)
