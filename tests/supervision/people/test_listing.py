"""The people list's filters (supervision.people.listing), shared by the list page and its export."""

import pytest

from supervision.models import Person
from supervision.people.listing import NOT_ON_PATHWAY, people_matching
from tests.supervision.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(partner):
    PersonFactory(partner=partner, name="Ada Active", email="ada@example.org", active_mentor=True)
    PersonFactory(partner=partner, name="Ben Applicant", email="ben@example.org", applicant=True)
    PersonFactory(partner=partner, name="Sam Staff", email="sam@example.org")
    return Person.objects.filter(partner=partner).for_listing()


def names(queryset):
    return sorted(queryset.values_list("name", flat=True))


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({}, ["Ada Active", "Ben Applicant", "Sam Staff"]),
        ({"q": "  ada "}, ["Ada Active"]),
        ({"q": "SAM@"}, ["Sam Staff"]),
        ({"status": "applicant"}, ["Ben Applicant"]),
        ({"status": NOT_ON_PATHWAY}, ["Sam Staff"]),
        ({"trained": True}, ["Ada Active"]),
        ({"trained": False}, ["Ben Applicant", "Sam Staff"]),
        ({"on_pathway": True}, ["Ada Active", "Ben Applicant"]),
        ({"on_pathway": False, "trained": False}, ["Sam Staff"]),
    ],
)
def test_people_matching_narrows_by_each_filter(people, filters, expected):
    assert names(people_matching(people, **filters)) == expected
