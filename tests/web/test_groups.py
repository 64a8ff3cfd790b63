"""Peer-group pages: the list, setting a group up, members with their opt-in dates, consent, activation refused
with each unmet rule in words, and the facilitator rota."""

from datetime import timedelta
from html import escape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supervision.models import GroupMembership, SupervisionGroup
from tests.supervision.factories import (
    GroupMembershipFactory,
    PersonFactory,
    SupervisionGroupFactory,
    SupervisionSessionFactory,
)


def _url(name, partner, *args):
    return reverse(name, args=[partner.slug, *args])


@pytest.fixture
def group(partner):
    return SupervisionGroupFactory(partner=partner, name="Tuesday evening peer group")


@pytest.mark.parametrize(
    ("who", "status"), [("coordinator", 200), ("supervisor", 403), ("mentor_user", 403), ("trainer", 403)]
)
def test_the_group_list_is_for_coordinators(request, page_for, partner, group, who, status):
    assert page_for(request.getfixturevalue(who)).get(_url("groups", partner)).status_code == status


def test_another_partners_coordinator_finds_no_groups_here(page_for, partner, other_partner, other_coordinator, group):
    client = page_for(other_coordinator)

    assert client.get(_url("groups", partner)).status_code == 404
    assert client.get(_url("group-detail", partner, group.pk)).status_code == 404
    assert client.get(_url("group-detail", other_partner, group.pk)).status_code == 404


def test_the_list_shows_each_group_with_its_status_and_members(page_for, partner, coordinator):
    SupervisionGroupFactory(partner=partner, name="Thursday group", active=True, members=4)

    page = page_for(coordinator).get(_url("groups", partner)).content.decode()

    assert "Thursday group" in page
    assert "active" in page
    assert '<td data-label="Members">4</td>' in page


def test_the_list_costs_the_same_queries_at_two_groups_and_at_twenty(page_for, partner, coordinator):
    client = page_for(coordinator)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_url("groups", partner)).status_code == 200
        return len(queries)

    for _ in range(2):
        SupervisionGroupFactory(partner=partner, members=2)
    few = count()
    for _ in range(18):
        SupervisionGroupFactory(partner=partner, members=2)
    assert count() == few


def test_a_coordinator_sets_up_a_forming_group(page_for, partner, coordinator):
    response = page_for(coordinator).post(_url("group-new", partner), {"name": "Wednesday group", "kind": "internal"})

    created = SupervisionGroup.objects.get()
    assert response.status_code == 302
    assert response.url == _url("group-detail", partner, created.pk)
    assert created.status == "forming"
    assert created.partner == partner


def test_a_group_needs_a_name(page_for, partner, coordinator):
    response = page_for(coordinator).post(_url("group-new", partner), {"name": "", "kind": "internal"})

    assert response.status_code == 400
    assert not SupervisionGroup.objects.exists()


def test_a_supervisor_cannot_set_up_a_group(page_for, partner, supervisor):
    assert page_for(supervisor).post(_url("group-new", partner), {"name": "X", "kind": "internal"}).status_code == 403
    assert not SupervisionGroup.objects.exists()


def test_adding_a_member_records_the_signed_opt_in_date(page_for, partner, coordinator, group):
    person = PersonFactory(partner=partner, active_mentor=True, name="Priya Patel")
    signed = timezone.localdate() - timedelta(days=5)

    response = page_for(coordinator).post(
        _url("group-add-member", partner, group.pk), {"person": person.pk, "opted_in_on": signed.isoformat()}
    )
    page = page_for(coordinator).get(_url("group-detail", partner, group.pk)).content.decode()

    membership = GroupMembership.objects.get()
    assert response.status_code == 302
    assert membership.person == person
    assert timezone.localtime(membership.opted_in_at).date() == signed
    assert membership.consented
    assert "Priya Patel" in page
    assert f"{signed.day} {signed:%b %Y}" in page


def test_an_opt_in_in_the_future_is_refused_next_to_the_date(page_for, partner, coordinator, group):
    person = PersonFactory(partner=partner, active_mentor=True)

    response = page_for(coordinator).post(
        _url("group-add-member", partner, group.pk),
        {"person": person.pk, "opted_in_on": (timezone.localdate() + timedelta(days=3)).isoformat()},
    )

    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    assert not GroupMembership.objects.exists()


def test_activation_is_refused_with_each_unmet_rule_in_words(page_for, partner, coordinator, group):
    GroupMembershipFactory(partner=partner, group=group)

    response = page_for(coordinator).post(_url("group-activate", partner, group.pk))

    group.refresh_from_db()
    assert response.status_code == 400
    assert "A peer group needs at least" in response.content.decode()
    assert group.status == "forming"


def test_a_group_that_meets_the_rules_is_activated(page_for, partner, coordinator):
    group = SupervisionGroupFactory(partner=partner, members=4)

    response = page_for(coordinator).post(_url("group-activate", partner, group.pk))

    group.refresh_from_db()
    assert response.status_code == 302
    assert group.status == "active"


def test_a_coordinator_consents_for_their_own_person_in_another_partners_group(
    page_for, partner, other_partner, coordinator
):
    external = SupervisionGroupFactory(partner=other_partner, external=True, name="Cross-partner group")
    external.guest_partners.add(partner)
    ours = PersonFactory(partner=partner, active_mentor=True, name="Nadia North")
    GroupMembershipFactory(partner=other_partner, group=external, person=ours, pending=True)
    client = page_for(coordinator)

    page = client.get(_url("group-detail", partner, external.pk)).content.decode()
    response = client.post(_url("group-consent", partner, external.pk, ours.pk))

    assert "Consent for Nadia North" in page
    assert response.status_code == 302
    assert GroupMembership.objects.get().consented


def test_the_rota_shows_who_facilitates_the_next_sessions(page_for, partner, coordinator):
    session = SupervisionSessionFactory(partner=partner, group_session=True)
    first = session.group.memberships.order_by("opted_in_at", "pk").first().person
    session.facilitator = first
    session.save()

    page = page_for(coordinator).get(_url("group-detail", partner, session.group.pk)).content.decode()

    assert "Facilitator rota" in page
    assert f"facilitated by {escape(first.name)}" in page  # names such as O'Connor are escaped in HTML


def test_a_foreign_group_is_not_found(page_for, partner, other_partner, coordinator):
    foreign = SupervisionGroupFactory(partner=other_partner)

    assert page_for(coordinator).get(_url("group-detail", partner, foreign.pk)).status_code == 404
