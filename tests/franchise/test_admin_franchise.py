"""The admin writes through the franchise services: policy versions, directions and the licence lifecycle hold there too."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from franchise.models import BaselinePolicy, BoundaryRule, Licence, PolicyOverride, PolicyVersion
from franchise.policy_fields import BOOL, DAYS, OVERRIDABLE, POLICY_FIELDS
from tests.franchise.factories import BoundaryRuleFactory, LicenceFactory, PolicyVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(licensor):
    licensor.is_staff = True
    licensor.save()
    client = Client()
    client.force_login(licensor)
    return client


def _form(values, fields):
    data = {}
    for field in fields:
        value = values.get(field.name)
        if field.kind == BOOL:
            if value:
                data[field.name] = "on"
        elif field.kind == DAYS:
            data[field.name] = json.dumps(value)
        else:
            data[field.name] = "" if value is None else str(value)
    return data


def test_saving_the_baseline_in_the_admin_versions_every_partner(browser, partner):
    baseline = BaselinePolicy.load()
    data = _form({**baseline.values(), "supervision_interval_days": 35}, POLICY_FIELDS)

    response = browser.post(reverse("admin:franchise_baselinepolicy_change", args=[baseline.pk]), data)

    assert response.status_code == 302
    assert BaselinePolicy.load().supervision_interval_days == 35
    assert PolicyVersion.objects.get(partner=partner).values["supervision_interval_days"] == 35


def test_a_looser_override_is_refused_in_the_admin(browser, partner):
    data = {"partner": str(partner.pk), **_form({"supervision_interval_days": 60}, OVERRIDABLE)}

    response = browser.post(reverse("admin:franchise_policyoverride_add"), data)

    assert response.status_code == 200
    assert "may not be above the baseline of 42 days" in response.content.decode()
    assert not PolicyOverride.objects.exists()


def test_a_tighter_override_in_the_admin_writes_a_version(browser, partner):
    data = {"partner": str(partner.pk), **_form({"supervision_interval_days": 21}, OVERRIDABLE)}

    response = browser.post(reverse("admin:franchise_policyoverride_add"), data)

    assert response.status_code == 302
    assert PolicyVersion.objects.get(partner=partner).values["supervision_interval_days"] == 21


def test_a_policy_version_is_read_only_in_the_admin(browser, partner):
    version = PolicyVersionFactory(partner=partner)

    url = reverse("admin:franchise_policyversion_change", args=[version.pk])
    page = browser.get(url)
    browser.post(url, {"reason": "rewritten"})

    assert page.status_code == 200
    assert 'name="reason"' not in page.content.decode()
    assert PolicyVersion.objects.get(pk=version.pk).reason == "Policy changed."
    assert browser.get(reverse("admin:franchise_policyversion_add")).status_code == 403


def test_licence_actions_in_the_admin_follow_the_lifecycle(browser, partner):
    active = LicenceFactory(partner=partner)
    terminated = LicenceFactory(partner=partner, terminated=True)
    url = reverse("admin:franchise_licence_changelist")

    browser.post(url, {"action": "suspend_licences", "_selected_action": [active.pk, terminated.pk]}, follow=True)

    assert Licence.objects.get(pk=active.pk).status == "suspended"
    assert Licence.objects.get(pk=terminated.pk).status == "terminated"
    assert Licence.objects.get(pk=active.pk).events.get().by.is_staff


def test_deleting_a_rule_in_the_admin_retires_it(browser, partner):
    rule = BoundaryRuleFactory(partner=partner)

    browser.post(reverse("admin:franchise_boundaryrule_delete", args=[rule.pk]), {"post": "yes"})

    assert BoundaryRule.objects.get(pk=rule.pk).retired_at is not None
    assert PolicyVersion.objects.filter(partner=partner).count() == 1
