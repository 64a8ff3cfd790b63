"""Series: RRULE expansion in the partner's time zone (across daylight-saving changes), the 104 cap, and editing or
cancelling one occurrence or "this and following"."""

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr

from core.errors import Invalid
from supervision.models import SupervisionSeries, SupervisionSession
from supervision.sessions import services
from supervision.sessions.recurrence import MAX_OCCURRENCES, expand, normalise_rrule
from tests.factories import PartnerFactory
from tests.supervision.factories import PersonFactory, SupervisionGroupFactory, SupervisionSessionFactory
from tests.supervision.sessions.helpers import at, mentors, person_of

LONDON = "Europe/London"

# --- expansion (no database) ------------------------------------------------------------------


def test_a_weekly_rule_keeps_its_wall_clock_time_across_the_spring_change():
    # British Summer Time starts on Sunday 28 March 2027.
    expansion = expand("FREQ=WEEKLY;BYDAY=TU;COUNT=4", at("2027-03-16", 18), LONDON)

    assert [start.strftime("%Y-%m-%d %H:%M") for start in expansion.starts] == [
        "2027-03-16 18:00",
        "2027-03-23 18:00",
        "2027-03-30 18:00",
        "2027-04-06 18:00",
    ]
    assert [start.astimezone(UTC).hour for start in expansion.starts] == [18, 18, 17, 17]


def test_the_autumn_change_moves_the_utc_time_back():
    # BST ends on Sunday 31 October 2027.
    expansion = expand("FREQ=WEEKLY;COUNT=2", at("2027-10-27", 9, 30), LONDON)

    assert [start.astimezone(UTC).strftime("%H:%M") for start in expansion.starts] == ["08:30", "09:30"]


def test_dtstart_is_read_in_the_partners_own_time_zone():
    new_york = "America/New_York"
    # The start is given in UTC; the rule is expanded where the partner is (US clocks change on 14 March 2027).
    first = datetime(2027, 3, 9, 23, 0, tzinfo=UTC)  # 18:00 in New York (EST)

    expansion = expand("FREQ=WEEKLY;COUNT=2", first, new_york)

    assert [s.strftime("%H:%M %Z") for s in expansion.starts] == ["18:00 EST", "18:00 EDT"]
    assert expansion.starts[1].astimezone(UTC).hour == 22


def test_the_expansion_is_dateutils_own():
    rule = "FREQ=MONTHLY;BYDAY=2TH;COUNT=12"
    first = at("2027-01-14", 14)

    expected = list(rrulestr(f"RRULE:{rule}", dtstart=first.astimezone(ZoneInfo(LONDON))))

    assert list(expand(rule, first, LONDON).starts) == expected


def test_an_endless_rule_is_capped_at_104_occurrences():
    expansion = expand("FREQ=WEEKLY;BYDAY=MO", at("2027-01-04"), LONDON)

    assert len(expansion.starts) == MAX_OCCURRENCES == 104
    assert expansion.capped


def test_a_count_above_the_cap_is_capped_and_one_below_is_not():
    assert expand("FREQ=DAILY;COUNT=200", at("2027-01-04"), LONDON).capped
    below = expand("FREQ=DAILY;COUNT=104", at("2027-01-04"), LONDON)
    assert len(below.starts) == 104
    assert not below.capped


def test_until_without_z_is_the_partners_local_day_inclusive():
    expansion = expand("FREQ=WEEKLY;UNTIL=20270125", at("2027-01-04", 18), LONDON)

    assert expansion.rrule == "FREQ=WEEKLY;UNTIL=20270125T235959Z"
    assert len(expansion.starts) == 4


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=HOURLY;COUNT=3",
        "FREQ=WEEKLY;COUNT=2;UNTIL=20270101T000000Z",
        "DTSTART:20270101T100000\nRRULE:FREQ=WEEKLY",
        "FREQ=WEEKLY;BYWEEKNO=3",
        "FREQ=WEEKLY;COUNT=0",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=YEARLY;BYMONTH=13",
        "FREQ=WEEKLY;UNTIL=20271332",
        "FREQ=WEEKLY;UNTIL=20271332T000000Z",
        "FREQ=WEEKLY;UNTIL=tomorrow",
        "FREQ=WEEKLY;INTERVAL=-1",
        "COUNT=3",
        "",
    ],
)
def test_a_rule_that_cannot_be_used_is_refused_on_the_rrule_field(rule):
    with pytest.raises(Invalid) as excinfo:
        expand(rule, at("2027-01-04"), LONDON)

    assert excinfo.value.field == "rrule"


@pytest.mark.parametrize("rule", ["FREQ=WEEKLY;BYDAY=XX", "FREQ=WEEKLY;UNTIL=20271332"])
def test_a_stored_meeting_rule_is_read_before_it_is_kept(rule):
    with pytest.raises(Invalid):
        normalise_rrule(rule)


def test_a_rule_naming_a_day_no_calendar_has_is_refused_at_once():
    started = time.monotonic()

    with pytest.raises(Invalid):
        normalise_rrule("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30")

    assert time.monotonic() - started < 0.5


def test_a_rule_with_an_rrule_prefix_and_lower_case_is_normalised():
    assert normalise_rrule("rrule:byday=tu;freq=weekly;count=3") == "FREQ=WEEKLY;BYDAY=TU;COUNT=3"


# --- series of sessions ---------------------------------------------------------------------------


@pytest.fixture
def people(partner, supervisor, mentor_user):
    return person_of(supervisor, partner), person_of(mentor_user, partner, active_mentor=True)


def _series(by, partner, people, rule="FREQ=WEEKLY;BYDAY=TU;COUNT=4", start=None, minutes=60):
    supervisor, supervisee = people
    start = start or at("2027-03-16", 18)
    return services.schedule_series(
        by=by,
        partner=partner,
        rrule=rule,
        kind="one_to_one",
        supervisor=supervisor,
        supervisee=supervisee,
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        location="Room 2",
    )


@pytest.mark.django_db
def test_a_series_stores_each_occurrence_as_a_session(partner, coordinator, people):
    series, sessions = _series(coordinator, partner, people)

    stored = SupervisionSession.objects.filter(series=series).order_by("starts_at")
    assert [s.starts_at for s in stored] == list(expand(series.rrule, series.dtstart, LONDON).starts)
    assert all(s.ends_at - s.starts_at == timedelta(hours=1) for s in stored)
    assert all(s.attendances.count() == 2 for s in stored)
    assert series.time_zone == LONDON
    assert len(sessions) == 4


@pytest.mark.django_db
def test_a_series_uses_the_partners_time_zone(coordinator, supervisor):
    from tests.factories import MembershipFactory

    new_york = PartnerFactory(time_zone="America/New_York")
    MembershipFactory(user=coordinator, partner=new_york, role="coordinator")
    pair = (PersonFactory(partner=new_york), PersonFactory(partner=new_york, active_mentor=True))

    series, sessions = _series(
        coordinator, new_york, pair, rule="FREQ=WEEKLY;COUNT=2", start=at("2027-03-09", 18, tz="America/New_York")
    )

    assert [s.starts_at.astimezone(UTC).hour for s in sessions] == [23, 22]
    assert series.time_zone == "America/New_York"


@pytest.mark.django_db
def test_a_clash_on_any_occurrence_refuses_the_whole_series(partner, coordinator, people):
    _supervisor, supervisee = people
    third = SupervisionSessionFactory(partner=partner, supervisee=supervisee, starts_at=at("2027-03-30", 18, 30))

    with pytest.raises(Invalid) as excinfo:
        _series(coordinator, partner, people)

    assert supervisee.name in excinfo.value.message
    assert str(third.pk) in excinfo.value.message
    assert not SupervisionSeries.objects.exists()
    assert SupervisionSession.objects.count() == 1


@pytest.mark.django_db
def test_occurrences_that_would_overlap_one_another_are_refused(partner, coordinator, people):
    with pytest.raises(Invalid) as excinfo:
        _series(
            coordinator, partner, people, rule="FREQ=DAILY;BYHOUR=10,11;COUNT=4", start=at("2027-01-04", 10), minutes=90
        )

    assert excinfo.value.field == "rrule"


@pytest.mark.django_db
def test_a_capped_series_says_so(partner, coordinator, people):
    series, sessions = _series(coordinator, partner, people, rule="FREQ=WEEKLY")

    assert series.capped
    assert len(sessions) == 104


@pytest.mark.django_db
def test_a_group_series_invites_the_members_to_every_occurrence(partner, coordinator):
    group = SupervisionGroupFactory(partner=partner, active=True, members=mentors(partner, 4))

    _series_row, sessions = services.schedule_series(
        by=coordinator,
        partner=partner,
        rrule="FREQ=MONTHLY;BYDAY=1TU;COUNT=3",
        kind="group",
        group=group,
        starts_at=at("2027-01-05", 18),
        ends_at=at("2027-01-05", 20),
    )

    assert [s.attendances.count() for s in sessions] == [4, 4, 4]


# --- editing one occurrence, or this and following -------------------------------------------------


@pytest.mark.django_db
def test_moving_one_occurrence_leaves_the_others(partner, coordinator, people):
    _series_row, sessions = _series(coordinator, partner, people)

    services.reschedule_session(by=coordinator, session=sessions[1], starts_at=at("2027-03-24", 18))

    stored = [s.starts_at for s in SupervisionSession.objects.order_by("starts_at")]
    assert stored == [at("2027-03-16", 18), at("2027-03-24", 18), at("2027-03-30", 18), at("2027-04-06", 18)]
    assert list(SupervisionSession.objects.order_by("starts_at").values_list("sequence", flat=True)) == [0, 1, 0, 0]


@pytest.mark.django_db
def test_this_and_following_keeps_the_new_wall_clock_time_across_the_clock_change(partner, coordinator, people):
    _series_row, sessions = _series(coordinator, partner, people)

    services.reschedule_session(
        by=coordinator, session=sessions[1], starts_at=at("2027-03-23", 19), scope=services.FOLLOWING
    )

    local = [
        s.starts_at.astimezone(ZoneInfo(LONDON)).strftime("%m-%d %H:%M")
        for s in SupervisionSession.objects.order_by("starts_at")
    ]
    assert local == ["03-16 18:00", "03-23 19:00", "03-30 19:00", "04-06 19:00"]
    assert list(SupervisionSession.objects.order_by("starts_at").values_list("sequence", flat=True)) == [0, 1, 1, 1]


@pytest.mark.django_db
def test_this_and_following_refuses_when_a_later_occurrence_would_clash(partner, coordinator, people):
    _supervisor, supervisee = people
    _series_row, sessions = _series(coordinator, partner, people)
    SupervisionSessionFactory(partner=partner, supervisee=supervisee, starts_at=at("2027-04-06", 19))

    with pytest.raises(Invalid) as excinfo:
        services.reschedule_session(
            by=coordinator, session=sessions[1], starts_at=at("2027-03-23", 19), scope=services.FOLLOWING
        )

    assert excinfo.value.code == "clash"
    assert SupervisionSession.objects.filter(sequence__gt=0).count() == 0


@pytest.mark.django_db
def test_a_place_change_for_this_and_following(partner, coordinator, people):
    _series_row, sessions = _series(coordinator, partner, people)

    services.reschedule_session(by=coordinator, session=sessions[2], location="Video call", scope=services.FOLLOWING)

    assert list(SupervisionSession.objects.order_by("starts_at").values_list("location", flat=True)) == [
        "Room 2",
        "Room 2",
        "Video call",
        "Video call",
    ]


@pytest.mark.django_db
def test_cancelling_this_and_following(partner, coordinator, people):
    _series_row, sessions = _series(coordinator, partner, people)

    services.cancel_session(by=coordinator, session=sessions[2], scope=services.FOLLOWING, reason="Supervisor leaves")

    assert list(SupervisionSession.objects.order_by("starts_at").values_list("status", flat=True)) == [
        "scheduled",
        "scheduled",
        "cancelled",
        "cancelled",
    ]


@pytest.mark.django_db
def test_this_and_following_leaves_recorded_occurrences_alone(partner, coordinator, people):
    _series_row, sessions = _series(coordinator, partner, people)
    SupervisionSession.objects.filter(pk=sessions[2].pk).update(status="missed")

    services.cancel_session(by=coordinator, session=sessions[1], scope=services.FOLLOWING)

    assert list(SupervisionSession.objects.order_by("starts_at").values_list("status", flat=True)) == [
        "scheduled",
        "cancelled",
        "missed",
        "cancelled",
    ]


@pytest.mark.django_db
def test_this_and_following_needs_a_series(partner, coordinator):
    session = SupervisionSessionFactory(partner=partner)

    with pytest.raises(Invalid) as excinfo:
        services.cancel_session(by=coordinator, session=session, scope=services.FOLLOWING)

    assert excinfo.value.field == "scope"
