"""The licensor's business is not done in the Django admin: operators look programmes, licences and policy up.

Licences, the policy and its rules change through the API's services, under
the licensor's name (a licence event or policy version records who); an
operator is not the licensor, so the admin offers none of those writes.
"""

import pytest
from django.test import Client
from django.urls import reverse

from franchise.models import BaselinePolicy, BoundaryRule, Licence, PolicyVersion
from tests.factories import UserFactory
from tests.franchise.factories import BoundaryRuleFactory, LicenceFactory, PolicyVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_browser():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_an_operator_reads_the_baseline_but_cannot_change_it(operator_browser, partner):
    baseline = BaselinePolicy.load()
    url = reverse("admin:franchise_baselinepolicy_change", args=[baseline.pk])

    page = operator_browser.get(url)
    refused = operator_browser.post(url, {"supervision_interval_days": "35"})

    assert page.status_code == 200
    assert 'name="supervision_interval_days"' not in page.content.decode()
    assert refused.status_code == 403
    assert BaselinePolicy.load().supervision_interval_days == 42
    assert not PolicyVersion.objects.filter(partner=partner).exists()


def test_a_policy_version_is_read_only_in_the_admin(operator_browser, partner):
    version = PolicyVersionFactory(partner=partner)

    url = reverse("admin:franchise_policyversion_change", args=[version.pk])
    page = operator_browser.get(url)
    operator_browser.post(url, {"reason": "rewritten"})

    assert page.status_code == 200
    assert 'name="reason"' not in page.content.decode()
    assert PolicyVersion.objects.get(pk=version.pk).reason == "Policy changed."
    assert operator_browser.get(reverse("admin:franchise_policyversion_add")).status_code == 403


def test_the_admin_offers_no_licence_lifecycle_actions(operator_browser, partner):
    active = LicenceFactory(partner=partner)
    url = reverse("admin:franchise_licence_changelist")

    page = operator_browser.get(url)
    operator_browser.post(url, {"action": "suspend_licences", "_selected_action": [active.pk]}, follow=True)

    assert "suspend_licences" not in page.content.decode()
    assert Licence.objects.get(pk=active.pk).status == "active"
    assert not Licence.objects.get(pk=active.pk).events.exists()


def test_a_boundary_rule_is_neither_added_nor_deleted_in_the_admin(operator_browser, partner):
    rule = BoundaryRuleFactory(partner=partner)

    refused = operator_browser.post(reverse("admin:franchise_boundaryrule_delete", args=[rule.pk]), {"post": "yes"})

    assert refused.status_code == 403
    assert BoundaryRule.objects.get(pk=rule.pk).retired_at is None
    assert operator_browser.get(reverse("admin:franchise_boundaryrule_add")).status_code == 403
