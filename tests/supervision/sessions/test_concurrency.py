"""Writers racing each other on PostgreSQL: two bookings of one person, two additions to a full group."""

import threading
import time

import pytest
from django.db import connection

from core.errors import Invalid, RuleNotMet
from franchise.models import Role
from supervision.models import GroupMembership, SupervisionGroup, SupervisionSession
from supervision.sessions import services
from tests.factories import PartnerFactory, user_with_role
from tests.supervision.factories import PersonFactory, SupervisionGroupFactory
from tests.supervision.sessions.helpers import days_from_now


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_person_cannot_both_pass(monkeypatch):
    partner = PartnerFactory()
    coordinator = user_with_role(Role.COORDINATOR, partner)
    supervisee = PersonFactory(partner=partner, active_mentor=True)
    supervisors = [PersonFactory(partner=partner), PersonFactory(partner=partner)]

    check = services._refuse_clashes

    def slow_check(*args, **kwargs):
        # Widen the window between the check and the insert: without the row locks both bookings would pass.
        check(*args, **kwargs)
        time.sleep(0.3)

    monkeypatch.setattr(services, "_refuse_clashes", slow_check)
    barrier = threading.Barrier(2)
    outcomes = []

    def book(supervisor):
        try:
            barrier.wait()
            services.schedule_session(
                by=coordinator,
                partner=partner,
                kind="one_to_one",
                supervisor=supervisor,
                supervisee=supervisee,
                starts_at=days_from_now(3),
                ends_at=days_from_now(3, 11),
            )
            outcomes.append("booked")
        except Invalid as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(supervisor,)) for supervisor in supervisors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["booked", "clash"]
    assert SupervisionSession.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_additions_cannot_both_pass_the_size_rule_of_an_active_group(monkeypatch):
    partner = PartnerFactory()
    coordinator = user_with_role(Role.COORDINATOR, partner)
    group = SupervisionGroupFactory(partner=partner, active=True, members=5)  # the baseline allows 6
    newcomers = [PersonFactory(partner=partner, active_mentor=True) for _ in range(2)]

    rules = services.group_unmet

    def slow_rules(*args, **kwargs):
        unmet = rules(*args, **kwargs)
        time.sleep(0.3)
        return unmet

    monkeypatch.setattr(services, "group_unmet", slow_rules)
    barrier = threading.Barrier(2)
    outcomes = []

    def add(person):
        try:
            barrier.wait()
            services.add_member(by=coordinator, group=SupervisionGroup.objects.get(pk=group.pk), person=person)
            outcomes.append("added")
        except RuleNotMet as exc:
            outcomes.append(exc.unmet[0].code)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(person,)) for person in newcomers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["added", "group_too_large"]
    assert GroupMembership.objects.filter(group=group).count() == 6
