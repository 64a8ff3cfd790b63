from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import IllegalTransition, Invalid, NotPermitted
from franchise import services
from franchise.models import Licence, LicenceEvent, PolicyVersion
from franchise.tasks import expire_licences
from tests.franchise.factories import LicenceFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


@pytest.fixture
def programme():
    return ProgrammeFactory()


def draft(partner, programme, **fields):
    return LicenceFactory(partner=partner, programme=programme, draft=True, **fields)


# --- the question later issues ask -----------------------------------------------------


def test_active_licence_answers_for_its_partner_programme_and_dates(partner, other_partner, programme):
    licence = LicenceFactory(partner=partner, programme=programme)

    assert services.has_active_licence(partner, programme, today())
    assert services.active_licence_for(partner, programme, today()) == licence
    assert services.partner_has_active_licence(partner, today())
    assert not services.has_active_licence(other_partner, programme, today())
    assert not services.has_active_licence(partner, ProgrammeFactory(), today())
    assert not services.has_active_licence(partner, programme, licence.ends_on + timedelta(days=1))
    assert not services.has_active_licence(partner, programme, licence.starts_on - timedelta(days=1))


@pytest.mark.parametrize("trait", ["draft", "suspended", "expired", "terminated"])
def test_only_an_active_licence_counts(partner, programme, trait):
    licence = LicenceFactory(partner=partner, programme=programme, **{trait: True})

    assert not services.has_active_licence(partner, programme, licence.starts_on)
    assert services.active_licence_for(partner, programme, licence.starts_on) is None
    assert not services.partner_has_active_licence(partner, licence.starts_on)


def test_a_span_must_be_covered_by_one_licence(partner, programme):
    licence = LicenceFactory(partner=partner, programme=programme)

    assert services.has_active_licence(partner, programme, today(), until=licence.ends_on)
    assert not services.has_active_licence(partner, programme, today(), until=licence.ends_on + timedelta(days=1))


def test_an_active_licence_past_its_end_no_longer_counts_before_the_sweep(partner, programme):
    LicenceFactory(partner=partner, programme=programme, past_end=True)

    assert not services.partner_has_active_licence(partner, today())


# --- creating and changing ---------------------------------------------------------


def test_licensor_creates_a_draft(licensor, partner, programme):
    licence = services.create_licence(
        by=licensor,
        partner=partner,
        programme=programme,
        reference="NS-2026",
        starts_on=today(),
        ends_on=today() + timedelta(days=365),
    )

    assert licence.status == Licence.Status.DRAFT
    assert not services.has_active_licence(partner, programme, today())


def test_inverted_dates_are_refused_and_nothing_is_written(licensor, partner, programme):
    with pytest.raises(Invalid) as refused:
        services.create_licence(
            by=licensor,
            partner=partner,
            programme=programme,
            reference="NS-2026",
            starts_on=today(),
            ends_on=today() - timedelta(days=1),
        )

    assert refused.value.field == "ends_on"
    assert not Licence.objects.exists()


def test_dates_cannot_be_inverted_by_an_update(licensor, partner, programme):
    licence = LicenceFactory(partner=partner, programme=programme)

    with pytest.raises(Invalid) as refused:
        services.update_licence(by=licensor, licence=licence, ends_on=licence.starts_on - timedelta(days=1))

    assert refused.value.field == "ends_on"
    licence.refresh_from_db()
    assert licence.ends_on > licence.starts_on


def test_a_reference_is_unique(licensor, partner, programme):
    LicenceFactory(partner=partner, programme=programme, reference="NS-1")

    with pytest.raises(Invalid) as refused:
        services.create_licence(
            by=licensor, partner=partner, programme=programme, reference="NS-1", starts_on=today(), ends_on=today()
        )

    assert refused.value.field == "reference"


def test_coordinators_do_not_issue_licences(coordinator, partner, programme):
    with pytest.raises(NotPermitted):
        services.create_licence(
            by=coordinator, partner=partner, programme=programme, reference="X", starts_on=today(), ends_on=today()
        )
    assert not Licence.objects.exists()


def test_a_licence_keeps_its_partner_and_programme(licensor, partner, other_partner, programme):
    licence = LicenceFactory(partner=partner, programme=programme)

    with pytest.raises(Invalid) as refused:
        services.update_licence(by=licensor, licence=licence, programme=ProgrammeFactory())

    assert refused.value.field == "programme"


def test_an_expired_licence_is_a_record_and_does_not_change(licensor, partner, programme):
    licence = LicenceFactory(partner=partner, programme=programme, expired=True)

    with pytest.raises(Invalid) as refused:
        services.update_licence(by=licensor, licence=licence, ends_on=today() + timedelta(days=30))

    assert refused.value.code == "licence_closed"


# --- overlap ---------------------------------------------------------------------------


def test_activating_an_overlapping_licence_is_refused_naming_the_clash(licensor, partner, programme):
    LicenceFactory(partner=partner, programme=programme, reference="NS-2025")
    renewal = draft(partner, programme, reference="NS-2026", starts_on=today() + timedelta(days=300))

    with pytest.raises(Invalid) as refused:
        services.activate_licence(by=licensor, licence=renewal)

    assert refused.value.code == "licence_overlap"
    assert "NS-2025" in refused.value.message
    renewal.refresh_from_db()
    assert renewal.status == Licence.Status.DRAFT
    assert not LicenceEvent.objects.filter(licence=renewal).exists()


def test_a_renewal_starting_after_the_current_licence_ends_can_be_activated(licensor, partner, programme):
    current = LicenceFactory(partner=partner, programme=programme)
    renewal = draft(
        partner,
        programme,
        starts_on=current.ends_on + timedelta(days=1),
        ends_on=current.ends_on + timedelta(days=365),
    )

    services.activate_licence(by=licensor, licence=renewal)

    assert renewal.__class__.objects.get(pk=renewal.pk).status == Licence.Status.ACTIVE


def test_overlap_is_per_partner_and_programme(licensor, partner, other_partner, programme):
    LicenceFactory(partner=partner, programme=programme)
    elsewhere = draft(other_partner, programme)
    other_programme = draft(partner, ProgrammeFactory())

    services.activate_licence(by=licensor, licence=elsewhere)
    services.activate_licence(by=licensor, licence=other_programme)

    assert Licence.objects.filter(status=Licence.Status.ACTIVE).count() == 3


def test_a_suspended_licence_does_not_block_another_but_then_cannot_be_reinstated(licensor, partner, programme):
    suspended = LicenceFactory(partner=partner, programme=programme, suspended=True, reference="OLD")
    services.activate_licence(by=licensor, licence=draft(partner, programme))

    with pytest.raises(Invalid) as refused:
        services.reinstate_licence(by=licensor, licence=suspended)

    assert "licence_overlap" == refused.value.code
    suspended.refresh_from_db()
    assert suspended.status == Licence.Status.SUSPENDED


def test_extending_an_active_licence_into_another_is_refused(licensor, partner, programme):
    current = LicenceFactory(partner=partner, programme=programme)
    LicenceFactory(
        partner=partner,
        programme=programme,
        starts_on=current.ends_on + timedelta(days=1),
        ends_on=current.ends_on + timedelta(days=100),
    )

    with pytest.raises(Invalid) as refused:
        services.update_licence(by=licensor, licence=current, ends_on=current.ends_on + timedelta(days=10))

    assert refused.value.code == "licence_overlap"


# --- transitions -------------------------------------------------------------------


def test_the_lifecycle_is_recorded_step_by_step(licensor, partner, programme):
    licence = draft(partner, programme)

    services.activate_licence(by=licensor, licence=licence)
    services.suspend_licence(by=licensor, licence=licence, note="Fidelity review")
    services.reinstate_licence(by=licensor, licence=licence)
    services.terminate_licence(by=licensor, licence=licence)

    licence.refresh_from_db()
    assert licence.status == Licence.Status.TERMINATED
    assert list(licence.events.values_list("from_status", "to_status")) == [
        ("draft", "active"),
        ("active", "suspended"),
        ("suspended", "active"),
        ("active", "terminated"),
    ]
    assert licence.events.get(to_status="suspended").note == "Fidelity review"
    assert set(licence.events.values_list("by", flat=True)) == {licensor.pk}


@pytest.mark.parametrize(
    ("trait", "action", "allowed"),
    [
        ("draft", services.suspend_licence, ["activate", "terminate"]),
        ("draft", services.reinstate_licence, ["activate", "terminate"]),
        ("suspended", services.suspend_licence, ["reinstate", "terminate"]),
        ("terminated", services.reinstate_licence, []),
        ("expired", services.reinstate_licence, []),
        ("expired", services.terminate_licence, []),
    ],
)
def test_an_illegal_move_names_the_allowed_ones(licensor, partner, programme, trait, action, allowed):
    licence = LicenceFactory(partner=partner, programme=programme, **{trait: True})

    with pytest.raises(IllegalTransition) as refused:
        action(by=licensor, licence=licence)

    assert refused.value.allowed == allowed
    assert not licence.events.exists()


def test_an_active_licence_cannot_be_reinstated(licensor, partner, programme):
    licence = LicenceFactory(partner=partner, programme=programme)

    with pytest.raises(IllegalTransition) as refused:
        services.reinstate_licence(by=licensor, licence=licence)

    assert refused.value.allowed == ["suspend", "terminate"]


def test_a_licence_whose_dates_have_passed_cannot_be_activated(licensor, partner, programme):
    licence = draft(partner, programme, starts_on=today() - timedelta(days=60), ends_on=today() - timedelta(days=1))

    with pytest.raises(Invalid) as refused:
        services.activate_licence(by=licensor, licence=licence)

    assert refused.value.field == "ends_on"


def test_activation_gives_the_partner_a_first_policy_version(licensor, partner, programme):
    services.activate_licence(by=licensor, licence=draft(partner, programme))

    assert PolicyVersion.objects.filter(partner=partner).count() == 1


def test_coordinators_cannot_suspend(coordinator, partner, programme):
    licence = LicenceFactory(partner=partner, programme=programme)

    with pytest.raises(NotPermitted):
        services.suspend_licence(by=coordinator, licence=licence)


# --- expiry ---------------------------------------------------------------------------


def test_the_expiry_task_expires_active_licences_past_their_end_once(partner, other_partner, programme):
    ended = LicenceFactory(partner=partner, programme=programme, past_end=True)
    ends_today = LicenceFactory(partner=other_partner, programme=programme, ends_on=today())
    suspended_past_end = LicenceFactory(
        partner=other_partner, programme=ProgrammeFactory(), suspended=True, past_end=True
    )

    assert expire_licences() == 1
    assert expire_licences() == 0

    ended.refresh_from_db()
    assert ended.status == Licence.Status.EXPIRED
    assert list(ended.events.values_list("from_status", "to_status", "by")) == [("active", "expired", None)]
    assert Licence.objects.get(pk=ends_today.pk).status == Licence.Status.ACTIVE
    assert Licence.objects.get(pk=suspended_past_end.pk).status == Licence.Status.SUSPENDED


def test_expiry_works_in_batches(partner):
    for _ in range(5):
        LicenceFactory(partner=partner, past_end=True)

    assert services.expire_licences(batch_size=2) == 5
    assert LicenceEvent.objects.filter(to_status="expired").count() == 5


# --- reminder hooks --------------------------------------------------------------------


def test_expiring_within_lists_active_licences_ending_in_the_window(partner, programme):
    in_7 = LicenceFactory(partner=partner, ends_on=today() + timedelta(days=7))
    in_30 = LicenceFactory(partner=partner, ends_on=today() + timedelta(days=30))
    LicenceFactory(partner=partner, ends_on=today() + timedelta(days=91))
    LicenceFactory(partner=partner, ends_on=today() + timedelta(days=5), suspended=True)
    LicenceFactory(partner=partner, past_end=True)

    assert set(Licence.objects.expiring_within(7)) == {in_7}
    assert set(Licence.objects.expiring_within(30)) == {in_7, in_30}
    assert Licence.objects.expiring_within(90).count() == 2
