import pytest

from franchise import rules
from tests.franchise.factories import LicenceFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


def test_a_partner_without_an_active_licence_is_named_unmet(partner):
    LicenceFactory(partner=partner, suspended=True)

    assert [item.code for item in rules.licence_in_force(partner)] == ["no_active_licence"]


def test_an_active_licence_meets_the_rule_for_its_programme_only(partner):
    licence = LicenceFactory(partner=partner)

    assert rules.licence_in_force(partner) == []
    assert rules.licence_in_force(partner, programme=licence.programme) == []
    assert rules.licence_in_force(partner, programme=ProgrammeFactory()) != []
