"""The preview of a baseline change: who would fall back, and nothing written until the change is saved."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import NotPermitted
from franchise import services
from franchise.models import BaselinePolicy, PolicyOverride, PolicyVersion
from franchise.policy import effective_policy
from tests.factories import PartnerFactory
from tests.franchise.factories import PolicyOverrideFactory

pytestmark = pytest.mark.django_db


def test_the_preview_names_each_partner_that_would_fall_back_and_writes_nothing(licensor, partner, other_partner):
    PolicyOverrideFactory(partner=partner, supervision_interval_days=35, shadowing_hours_required=12)
    PolicyOverrideFactory(partner=other_partner, supervision_interval_days=20)

    preview = services.preview_baseline_change(by=licensor, changes={"supervision_interval_days": 30})

    assert [(c.name, c.before, c.after) for c in preview.changes] == [("supervision_interval_days", 42, 30)]
    assert [(p.partner, p.fallbacks) for p in preview.partners] == [
        (partner, [{"field": "supervision_interval_days", "override": 35, "baseline": 30}])
    ]
    assert BaselinePolicy.load().supervision_interval_days == 42
    assert PolicyOverride.objects.get(partner=partner).supervision_interval_days == 35
    assert not PolicyVersion.objects.exists()


def test_the_preview_says_what_saving_then_does(licensor, partner):
    PolicyOverrideFactory(partner=partner, peer_group_max_size=4)
    changes = {"peer_group_min_size": 5}

    preview = services.preview_baseline_change(by=licensor, changes=changes)
    services.update_baseline(by=licensor, changes=changes)

    assert [p.fallbacks for p in preview.partners] == [effective_policy(partner).version.fallbacks]


def test_a_loosening_or_unchanged_baseline_has_nobody_falling_back(licensor, partner):
    PolicyOverrideFactory(partner=partner, supervision_interval_days=35)

    looser = services.preview_baseline_change(by=licensor, changes={"supervision_interval_days": 60})
    same = services.preview_baseline_change(by=licensor, changes={"supervision_interval_days": 42})

    assert [c.name for c in looser.changes] == ["supervision_interval_days"] and looser.partners == []
    assert same.changes == [] and same.partners == []


def test_the_preview_refuses_what_saving_would_refuse(licensor, coordinator):
    with pytest.raises(ValidationError) as refused:
        services.preview_baseline_change(by=licensor, changes={"peer_group_min_size": 7})
    assert "peer_group_min_size" in refused.value.message_dict
    with pytest.raises(NotPermitted):
        services.preview_baseline_change(by=coordinator, changes={"supervision_interval_days": 30})


def test_the_preview_reads_the_same_number_of_rows_whatever_the_partners(licensor):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            services.preview_baseline_change(by=licensor, changes={"supervision_interval_days": 30})
        return len(captured)

    PolicyOverrideFactory(partner=PartnerFactory(), supervision_interval_days=35)
    queries()  # the first read of the baseline creates its row
    few = queries()
    for _ in range(3):
        PolicyOverrideFactory(partner=PartnerFactory(), supervision_interval_days=35)

    assert queries() == few
