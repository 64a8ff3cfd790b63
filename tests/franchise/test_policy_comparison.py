"""compare_with_baseline: each setting of a partner's policy beside the baseline, tightened ones named."""

import pytest

from franchise import services
from franchise.models import BaselinePolicy
from franchise.policy import compare_with_baseline, effective_policy

pytestmark = pytest.mark.django_db


def rows_for(partner):
    return {row.name: row for row in compare_with_baseline(effective_policy(partner), BaselinePolicy.load().values())}


def test_a_stricter_value_of_the_partners_is_tightened_and_a_local_choice_is_not(coordinator, partner):
    services.update_policy_overrides(
        by=coordinator,
        partner=partner,
        changes={"supervision_interval_days": 28, "supervisors_see_incidents": True},
    )

    rows = rows_for(partner)

    interval = rows["supervision_interval_days"]
    assert (interval.baseline_shown, interval.value_shown, interval.tightened) == ("42 days", "28 days", True)
    assert rows["supervisors_see_incidents"].tightened is False
    assert rows["supervisors_see_incidents"].changed is True
    assert not rows["shadowing_hours_required"].tightened and not rows["shadowing_hours_required"].overridden


def test_a_partner_without_overrides_has_nothing_tightened(partner):
    assert not any(row.tightened or row.changed for row in rows_for(partner).values())
