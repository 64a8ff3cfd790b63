"""Licence fee reminders: 30 days before an instalment, and once it is overdue, to the partner's coordinators and
the licensor admins, exactly once; and the licence expiry reminder says whether the renewal is drafted."""

from datetime import timedelta

import pytest
from django.utils import timezone

from franchise import services
from reminders import planner
from reminders.models import Kind, Reminder
from tests.franchise.factories import LicenceFactory, LicenceFeeFactory
from tests.reminders.helpers import rows, send, to

pytestmark = pytest.mark.django_db


def test_a_fee_due_within_30_days_reminds_each_coordinator_and_licensor_admin_once(partner, coordinator, licensor):
    fee = LicenceFeeFactory(partner=partner, due_on=timezone.localdate() + timedelta(days=20))
    LicenceFeeFactory(partner=partner, due_on=timezone.localdate() + timedelta(days=45))  # not yet

    assert planner.plan(kinds={Kind.LICENCE_FEE_DUE}) == {Kind.LICENCE_FEE_DUE: 2}
    assert planner.plan(kinds={Kind.LICENCE_FEE_DUE}) == {Kind.LICENCE_FEE_DUE: 0}

    sent = send()
    for address in (coordinator.email, licensor.email):
        message = to(sent, address)
        assert fee.reference in message.subject and "1200.00 GBP" in message.subject
        assert "in 20 days" in message.subject
    assert "/console/fees/" in to(sent, licensor.email).body
    assert "/console/" not in to(sent, coordinator.email).body


def test_a_fee_paid_before_its_reminder_goes_is_not_announced(partner, coordinator, licensor):
    fee = LicenceFeeFactory(partner=partner, due_on=timezone.localdate() + timedelta(days=5))
    planner.plan(kinds={Kind.LICENCE_FEE_DUE})

    services.pay_fee(by=licensor, fee=fee, paid_on=timezone.localdate())

    assert send() == []
    assert {row.status for row in rows(Kind.LICENCE_FEE_DUE)} == {Reminder.Status.CANCELLED}


def test_an_overdue_fee_is_announced_once_and_an_old_one_is_not_announced_late(partner, coordinator, licensor):
    late = LicenceFeeFactory(partner=partner, overdue=True)
    LicenceFeeFactory(partner=partner, overdue=True, due_on=timezone.localdate() - timedelta(days=40))

    assert planner.plan(kinds={Kind.LICENCE_FEE_OVERDUE}) == {Kind.LICENCE_FEE_OVERDUE: 2}
    sent = send()
    assert f"Licence fee {late.reference} of 1200.00 GBP is overdue" in to(sent, coordinator.email).subject
    assert planner.plan(kinds={Kind.LICENCE_FEE_OVERDUE}) == {Kind.LICENCE_FEE_OVERDUE: 0}


def test_the_licence_expiry_reminder_says_whether_the_renewal_is_drafted(partner, coordinator, licensor):
    today = timezone.localdate()
    renewed = LicenceFactory(partner=partner, starts_on=today - timedelta(days=300), ends_on=today + timedelta(days=20))
    LicenceFactory(
        partner=partner,
        starts_on=today - timedelta(days=300),
        ends_on=today + timedelta(days=25),
        reference="LIC-NOT-RENEWED",
    )
    renewal = services.renew_licence(by=licensor, licence=renewed)

    planner.plan(kinds={Kind.LICENCE_EXPIRING})
    sent = send()

    to_coordinator = [m for m in sent if m.to == [coordinator.email]]
    about = {("renewed" if renewed.reference in m.subject else "not"): m.body for m in to_coordinator}
    assert f"The next term, {renewal.reference}, is drafted from" in about["renewed"]
    assert "No renewal is drafted yet" in about["not"]
