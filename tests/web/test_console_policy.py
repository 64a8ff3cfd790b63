"""The console's baseline policy: the values in force, the preview of who falls back, and saving only on confirmation."""

import html
import re

import pytest

from franchise.models import BaselinePolicy, PolicyOverride, PolicyVersion
from franchise.policy_fields import POLICY_FIELDS
from tests.factories import PartnerFactory, user_with_role
from tests.franchise.factories import PolicyOverrideFactory
from tests.web.test_walkers import PARTNER_ROLES

pytestmark = pytest.mark.django_db
URL = "/console/policy/"


def _text(response):
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def _form(**changes):
    """The edit form as the browser posts it: every value in force, with `changes`."""
    data = {}
    for field in POLICY_FIELDS:
        value = BaselinePolicy.load().values()[field.name]
        if isinstance(value, bool):
            value = "on" if value else "off"
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        data[field.name] = value
    data.update(changes)
    return data


def test_the_page_shows_each_field_with_its_direction_and_value(page_for, licensor):
    page = _text(page_for(licensor).get(URL))

    assert "Most days between supervisions of an active mentor Partners may lower it 42 days" in page
    assert (
        "Days before a licence or an accreditation expires that reminders go out Licensor only 90, 30, 7 days" in page
    )


def test_the_preview_names_who_falls_back_and_saves_nothing_until_confirmed(page_for, licensor, partner):
    PolicyOverrideFactory(partner=partner, supervision_interval_days=35)
    PolicyOverrideFactory(partner=PartnerFactory(name="Harbour Justice Trust"), supervision_interval_days=20)
    client = page_for(licensor)

    preview = client.post(URL, {**_form(supervision_interval_days=30), "preview": "1"})

    page = _text(preview)
    assert preview.status_code == 200 and "Nothing is saved yet" in page
    assert "Most days between supervisions of an active mentor (days) 42 days 30 days" in page
    assert f"{partner.name} Most days between supervisions of an active mentor (days) 35 days 30 days" in page
    assert "Harbour Justice Trust" not in page
    assert BaselinePolicy.load().supervision_interval_days == 42
    assert not PolicyVersion.objects.exists()

    saved = client.post(URL, {**_form(supervision_interval_days=30), "save": "1"}, follow=True)

    assert "The new baseline is in force" in _text(saved)
    assert BaselinePolicy.load().supervision_interval_days == 30
    assert PolicyOverride.objects.get(partner=partner).supervision_interval_days is None
    assert PolicyVersion.objects.filter(partner=partner).get().fallbacks == [
        {"field": "supervision_interval_days", "override": 35, "baseline": 30}
    ]


def test_going_back_from_the_preview_keeps_the_values_typed(page_for, licensor):
    response = page_for(licensor).post(URL, {**_form(shadowing_hours_required=14), "edit": "1"})

    assert re.search(r'name="shadowing_hours_required" value="14"', response.content.decode())
    assert BaselinePolicy.load().shadowing_hours_required == 10


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"supervision_interval_days": "0"}, "supervision_interval_days", "greater than or equal to 1"),
        ({"peer_group_min_size": "7"}, "peer_group_min_size", "cannot be larger"),
        ({"expiry_reminder_days": "ninety"}, "expiry_reminder_days", "whole days"),
        ({"expiry_reminder_days": "90, 0"}, "expiry_reminder_days", "from 1 to 3650"),
    ],
)
def test_bad_values_are_refused_next_to_their_field(page_for, licensor, changes, field, words):
    for button in ("preview", "save"):
        response = page_for(licensor).post(URL, {**_form(**changes), button: "1"})

        assert response.status_code == 400
        assert re.search(
            rf'id="id_{field}_error_1"[^>]*>[^<]*<[^>]*>[^<]*</span>[^<]*{words}', response.content.decode()
        )
    assert BaselinePolicy.load().values() == BaselinePolicy().values()
    assert not PolicyVersion.objects.exists()


def test_an_unchanged_form_says_nothing_would_change(page_for, licensor):
    response = page_for(licensor).post(URL, {**_form(), "preview": "1"}, follow=True)

    assert "nothing would change" in _text(response)


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_partner_members_get_404_and_change_nothing(page_for, partner, role):
    client = page_for(user_with_role(role, partner))

    assert client.get(URL).status_code == 404
    assert client.post(URL, {**_form(supervision_interval_days=30), "save": "1"}).status_code == 404
    assert BaselinePolicy.load().supervision_interval_days == 42
