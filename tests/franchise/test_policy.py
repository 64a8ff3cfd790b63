from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import OuterRef
from django.utils import timezone

from core.errors import Invalid, NotFound, NotPermitted
from franchise import policy_fields, services
from franchise.models import BaselinePolicy, PolicyOverride, PolicyVersion
from franchise.policy import effective_policy
from franchise.policy_fields import BY_NAME, POLICY_FIELDS
from tests.factories import PartnerFactory
from tests.franchise.factories import BoundaryRuleFactory, PolicyOverrideFactory, PolicyVersionFactory

pytestmark = pytest.mark.django_db


def override(by, partner, **changes):
    return services.update_policy_overrides(by=by, partner=partner, changes=changes)


# --- the table --------------------------------------------------------------------------


def test_every_field_has_a_known_direction_and_a_valid_default():
    for field in POLICY_FIELDS:
        assert field.direction in policy_fields.DIRECTIONS
        assert field.clean(field.default) == field.default


def test_the_baseline_starts_at_the_designed_values():
    baseline = BaselinePolicy.load()

    assert baseline.supervision_interval_days == 42
    assert (baseline.peer_group_min_size, baseline.peer_group_max_size) == (4, 6)
    assert baseline.peer_group_trained_majority and baseline.requires_background_check
    assert baseline.shadowing_hours_required == 10
    assert (baseline.incident_review_hours_high, baseline.incident_review_hours_critical) == (48, 24)
    assert (baseline.incident_review_hours_low, baseline.incident_review_hours_medium) == (168, 168)
    assert baseline.session_reminder_hours == 24
    assert baseline.expiry_reminder_days == [90, 30, 7]
    assert baseline.max_active_matches == 3
    assert baseline.supervisors_see_incidents is False
    assert baseline.incident_retention_years == 6
    assert (baseline.co_taught_sessions_required, baseline.accreditation_validity_months) == (2, 24)
    assert (baseline.deliveries_required_per_period, baseline.cpd_hours_required_per_period) == (1, 6)


# --- direction of each field --------------------------------------------------------------

TIGHTER_AND_LOOSER = {
    "lower_only": lambda f: (f.default - 1, f.default + 1),
    "raise_only": lambda f: (f.default + 1, f.default - 1),
    "cannot_switch_off": lambda f: (True, False),
}
DIRECTED = [f for f in POLICY_FIELDS if f.direction in TIGHTER_AND_LOOSER]
# Switching off is loosening only while the baseline has the field on (requires_two_factor starts off:
# tests/franchise/test_two_factor.py switches the baseline on first).
LOOSENABLE = [f for f in DIRECTED if f.direction != "cannot_switch_off" or f.default]


@pytest.mark.parametrize("field", DIRECTED, ids=lambda f: f.name)
def test_a_partner_may_tighten_each_directed_field(coordinator, partner, field):
    tighter, _ = TIGHTER_AND_LOOSER[field.direction](field)

    version = override(coordinator, partner, **{field.name: tighter})

    assert getattr(effective_policy(partner), field.name) == tighter
    assert version.values[field.name] == tighter


@pytest.mark.parametrize("field", LOOSENABLE, ids=lambda f: f.name)
def test_loosening_a_field_is_refused_naming_it_and_the_baseline(coordinator, partner, field):
    _, looser = TIGHTER_AND_LOOSER[field.direction](field)

    with pytest.raises(ValidationError) as refused:
        override(coordinator, partner, **{field.name: looser})

    messages = refused.value.message_dict[field.api_name]
    assert "baseline" in messages[0]
    assert policy_fields._show(field.default, field.unit) in messages[0]
    assert not PolicyOverride.objects.exists()
    assert not PolicyVersion.objects.exists()


@pytest.mark.parametrize("field", [f for f in POLICY_FIELDS if f.direction == "licensor_only"], ids=lambda f: f.name)
def test_a_partner_cannot_set_a_licensor_only_field(coordinator, partner, field):
    with pytest.raises(ValidationError) as refused:
        override(coordinator, partner, **{field.name: field.default})

    assert "licensing organisation" in refused.value.message_dict[field.name][0]


@pytest.mark.parametrize("field", [f for f in POLICY_FIELDS if f.direction == "free"], ids=lambda f: f.name)
def test_a_free_field_may_go_either_way(coordinator, partner, field):
    values = [not field.default] if field.kind == "bool" else [field.default + 1, field.default - 1]
    for value in values:
        override(coordinator, partner, **{field.name: value})
        assert getattr(effective_policy(partner), field.name) == value


def test_all_loosened_fields_are_named_at_once(coordinator, partner):
    with pytest.raises(ValidationError) as refused:
        override(coordinator, partner, supervision_interval_days=60, shadowing_hours_required=5)

    assert set(refused.value.message_dict) == {"supervision_interval_days", "shadowing_hours_required"}


def test_incident_review_hours_are_named_by_severity(coordinator, partner):
    with pytest.raises(ValidationError) as refused:
        override(coordinator, partner, incident_review_hours_high=72)

    assert refused.value.message_dict["incident_review_hours"] == [
        "High: partners may only lower this; it may not be above the baseline of 48 hours."
    ]


def test_out_of_range_values_are_refused(coordinator, partner):
    with pytest.raises(ValidationError) as refused:
        override(coordinator, partner, supervision_interval_days=0, peer_group_trained_majority="yes")

    assert set(refused.value.message_dict) == {"supervision_interval_days", "peer_group_trained_majority"}


def test_group_sizes_must_fit_together(coordinator, partner):
    with pytest.raises(ValidationError) as refused:
        override(coordinator, partner, peer_group_min_size=5, peer_group_max_size=4)

    assert "peer_group_min_size" in refused.value.message_dict


def test_unknown_fields_are_refused(coordinator, partner):
    with pytest.raises(Invalid) as refused:
        override(coordinator, partner, supervision_every_days=10)

    assert refused.value.field == "supervision_every_days"


def test_clearing_an_override_returns_to_the_baseline(coordinator, partner):
    override(coordinator, partner, supervision_interval_days=28)
    override(coordinator, partner, supervision_interval_days=None)

    current = effective_policy(partner)
    assert current.supervision_interval_days == 42
    assert current.overridden == frozenset()
    assert current.version.number == 2


def test_setting_the_same_values_writes_no_version(coordinator, partner):
    override(coordinator, partner, supervision_interval_days=28)

    assert override(coordinator, partner, supervision_interval_days=28) is None
    assert PolicyVersion.objects.filter(partner=partner).count() == 1


def test_only_the_partners_coordinators_and_the_licensor_change_its_overrides(
    licensor, coordinator, other_coordinator, trainer, partner
):
    with pytest.raises(NotPermitted):
        override(trainer, partner, supervision_interval_days=28)
    with pytest.raises(NotFound):
        override(other_coordinator, partner, supervision_interval_days=28)

    override(licensor, partner, supervision_interval_days=30)
    assert effective_policy(partner).supervision_interval_days == 30


# --- baseline ----------------------------------------------------------------------------


def test_only_licensor_admins_change_the_baseline(coordinator):
    with pytest.raises(NotPermitted):
        services.update_baseline(by=coordinator, changes={"supervision_interval_days": 30})
    assert BaselinePolicy.load().supervision_interval_days == 42


def test_a_baseline_change_gives_every_partner_a_new_version(licensor, partner, other_partner):
    services.update_baseline(by=licensor, changes={"shadowing_hours_required": 12})

    for each in (partner, other_partner):
        current = effective_policy(each)
        assert current.shadowing_hours_required == 12
        assert current.version.number == 1
        assert current.version.changed_by == licensor
        assert "shadowing_hours_required" in current.version.reason


def test_a_baseline_change_keeps_tighter_overrides(licensor, coordinator, partner):
    override(coordinator, partner, supervision_interval_days=28)

    services.update_baseline(by=licensor, changes={"supervision_interval_days": 35})

    current = effective_policy(partner)
    assert current.supervision_interval_days == 28
    assert current.version.fallbacks == []


def test_tightening_the_baseline_drops_overrides_now_looser_and_records_it(
    licensor, coordinator, partner, other_partner
):
    override(coordinator, partner, supervision_interval_days=35, shadowing_hours_required=12)
    PolicyOverrideFactory(partner=other_partner, supervision_interval_days=20)

    services.update_baseline(by=licensor, changes={"supervision_interval_days": 30})

    current = effective_policy(partner)
    assert current.supervision_interval_days == 30
    assert current.shadowing_hours_required == 12
    assert current.overridden == frozenset({"shadowing_hours_required"})
    assert current.version.fallbacks == [{"field": "supervision_interval_days", "override": 35, "baseline": 30}]
    assert "fell back to the baseline" in current.version.reason
    assert PolicyOverride.objects.get(partner=partner).supervision_interval_days is None
    assert effective_policy(other_partner).supervision_interval_days == 20
    assert effective_policy(other_partner).version.fallbacks == []


def test_switching_a_safeguard_back_on_drops_a_partner_that_had_it_off(licensor, coordinator, partner):
    services.update_baseline(by=licensor, changes={"requires_background_check": False})
    override(coordinator, partner, requires_background_check=False)

    services.update_baseline(by=licensor, changes={"requires_background_check": True})

    assert effective_policy(partner).requires_background_check is True


def test_group_sizes_that_no_longer_fit_fall_back_too(licensor, coordinator, partner):
    override(coordinator, partner, peer_group_max_size=4)

    services.update_baseline(by=licensor, changes={"peer_group_min_size": 5})

    current = effective_policy(partner)
    assert (current.peer_group_min_size, current.peer_group_max_size) == (5, 6)
    assert [item["field"] for item in current.version.fallbacks] == ["peer_group_max_size"]


def test_an_unchanged_baseline_writes_no_version(licensor, partner):
    services.update_baseline(by=licensor, changes={"supervision_interval_days": 42})

    assert not PolicyVersion.objects.exists()


def test_the_baseline_refuses_nonsense(licensor):
    with pytest.raises(ValidationError) as refused:
        services.update_baseline(by=licensor, changes={"expiry_reminder_days": [], "peer_group_max_size": 1})

    assert set(refused.value.message_dict) == {"expiry_reminder_days", "peer_group_max_size"}


def test_reminder_days_are_kept_in_descending_order(licensor):
    services.update_baseline(by=licensor, changes={"expiry_reminder_days": [7, 60, 30, 7]})

    assert BaselinePolicy.load().expiry_reminder_days == [60, 30, 7]


def test_the_baseline_refuses_group_sizes_that_do_not_fit(licensor):
    with pytest.raises(ValidationError):
        services.update_baseline(by=licensor, changes={"peer_group_min_size": 7})


# --- versions and the policy in force at a time ------------------------------------------


def test_versions_are_numbered_and_keep_what_was_in_force(licensor, coordinator, partner):
    override(coordinator, partner, supervision_interval_days=35)
    services.update_baseline(by=licensor, changes={"shadowing_hours_required": 15})
    override(coordinator, partner, supervision_interval_days=28)

    versions = list(PolicyVersion.objects.filter(partner=partner).order_by("number"))
    assert [v.number for v in versions] == [1, 2, 3]
    assert [v.values["supervision_interval_days"] for v in versions] == [35, 35, 28]
    assert [v.values["shadowing_hours_required"] for v in versions] == [10, 15, 15]
    assert [v.changed_by for v in versions] == [coordinator, licensor, coordinator]


def test_the_policy_in_force_at_a_time_is_the_version_then(coordinator, partner):
    first = PolicyVersionFactory(partner=partner, effective_from=timezone.now() - timedelta(days=10))
    override(coordinator, partner, supervision_interval_days=28)

    then = effective_policy(partner, at=timezone.now() - timedelta(days=5))
    now = effective_policy(partner)

    assert then.version == first
    assert then.supervision_interval_days == 42
    assert now.version.number == 2
    assert now.supervision_interval_days == 28


def test_before_any_version_the_policy_is_computed_from_baseline_and_overrides(partner):
    BoundaryRuleFactory(baseline=True, code="B1")
    BoundaryRuleFactory(partner=partner, code="N1")
    BoundaryRuleFactory(partner=PartnerFactory(), code="X1")

    current = effective_policy(partner)

    assert current.version is None
    assert current.supervision_interval_days == 42
    assert [rule.code for rule in current.boundary_rules] == ["B1", "N1"]


def test_a_policy_version_cannot_be_changed_or_deleted(partner):
    version = PolicyVersionFactory(partner=partner)
    version.reason = "rewritten"

    with pytest.raises(ValidationError):
        version.save()
    with pytest.raises(ValidationError):
        version.delete()


def test_the_effective_policy_is_immutable(partner):
    current = effective_policy(partner)

    with pytest.raises(AttributeError):
        current.supervision_interval_days = 90


def test_the_effective_policy_answers_review_hours_by_severity(partner):
    assert effective_policy(partner).review_hours("critical") == 24
    assert effective_policy(partner).nested_values()["incident_review_hours"] == {
        "low": 168,
        "medium": 168,
        "high": 48,
        "critical": 24,
    }


def test_directions_are_explained_in_each_columns_help_text():
    assert BaselinePolicy._meta.get_field("supervision_interval_days").help_text.endswith(
        policy_fields.DIRECTIONS["lower_only"]
    )
    assert BY_NAME["expiry_reminder_days"].overridable is False
    assert not hasattr(PolicyOverride, "expiry_reminder_days")


def test_policy_value_reads_each_partners_version_in_force_in_one_query(
    licensor, coordinator, partner, other_partner, django_assert_num_queries
):
    from franchise.models import Partner
    from franchise.querysets import policy_value

    override(coordinator, partner, supervision_interval_days=28, requires_background_check=True)
    services.update_baseline(by=licensor, changes={"requires_background_check": False})
    quiet = PartnerFactory()
    BaselinePolicy.load()

    with django_assert_num_queries(1):
        rows = dict(
            Partner.objects.annotate(
                interval=policy_value("supervision_interval_days", partner=OuterRef("pk")),
                check=policy_value("requires_background_check", partner=OuterRef("pk")),
            ).values_list("slug", "interval")
        )

    assert rows == {partner.slug: 28, other_partner.slug: 42, quiet.slug: 42}
    checks = dict(
        Partner.objects.annotate(check=policy_value("requires_background_check", partner=OuterRef("pk"))).values_list(
            "slug", "check"
        )
    )
    assert checks == {partner.slug: True, other_partner.slug: False, quiet.slug: False}
