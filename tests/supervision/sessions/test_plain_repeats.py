"""A repeat chosen in words (weekly, fortnightly, monthly on the nth weekday) becomes the RRULE of a series."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from core.errors import Invalid
from supervision.sessions.recurrence import (
    FORTNIGHTLY,
    MONTHLY_NTH_WEEKDAY,
    WEEKLY,
    expand,
    nth_weekday_words,
    plain_rrule,
    repeat_words,
)

LONDON = "Europe/London"
TUESDAY = date(2026, 12, 8)  # the second Tuesday of December 2026


def test_weekly_repeats_on_the_first_sessions_weekday():
    assert plain_rrule(WEEKLY, TUESDAY, count=4) == "FREQ=WEEKLY;BYDAY=TU;COUNT=4"


def test_fortnightly_is_every_other_week_on_that_weekday():
    rule = plain_rrule(FORTNIGHTLY, TUESDAY, count=3)
    starts = expand(rule, datetime(2026, 12, 8, 18, tzinfo=ZoneInfo(LONDON)), LONDON).starts

    assert rule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;COUNT=3"
    assert [start.date() for start in starts] == [date(2026, 12, 8), date(2026, 12, 22), date(2027, 1, 5)]


def test_monthly_keeps_the_nth_weekday_and_says_it_in_words():
    rule = plain_rrule(MONTHLY_NTH_WEEKDAY, TUESDAY, count=2)
    starts = expand(rule, datetime(2026, 12, 8, 18, tzinfo=ZoneInfo(LONDON)), LONDON).starts

    assert rule == "FREQ=MONTHLY;BYDAY=2TU;COUNT=2"
    assert nth_weekday_words(TUESDAY) == "second Tuesday"
    assert [start.date() for start in starts] == [date(2026, 12, 8), date(2027, 1, 12)]


def test_a_fifth_weekday_repeats_as_the_last_one():
    fifth_tuesday = date(2026, 12, 29)

    assert plain_rrule(MONTHLY_NTH_WEEKDAY, fifth_tuesday, count=2) == "FREQ=MONTHLY;BYDAY=-1TU;COUNT=2"
    assert nth_weekday_words(fifth_tuesday) == "last Tuesday"


def test_an_end_date_includes_that_day_in_the_partners_time_zone():
    rule = plain_rrule(WEEKLY, TUESDAY, until=date(2026, 12, 22))
    starts = expand(rule, datetime(2026, 12, 8, 18, tzinfo=ZoneInfo(LONDON)), LONDON).starts

    assert rule == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20261222"
    assert starts[-1].astimezone(UTC) == datetime(2026, 12, 22, 18, tzinfo=UTC)
    assert len(starts) == 3


@pytest.mark.parametrize(
    ("repeat", "ends", "field"),
    [
        (WEEKLY, {}, "ends"),
        (WEEKLY, {"count": 2, "until": date(2027, 1, 1)}, "ends"),
        (WEEKLY, {"count": 0}, "count"),
        (WEEKLY, {"until": date(2026, 12, 1)}, "until"),
        ("daily", {"count": 2}, "repeat"),
    ],
)
def test_an_unclear_repeat_is_refused_on_its_field(repeat, ends, field):
    with pytest.raises(Invalid) as refused:
        plain_rrule(repeat, TUESDAY, **ends)

    assert refused.value.field == field


@pytest.mark.parametrize(
    ("repeat", "words"),
    [
        (WEEKLY, "every Tuesday"),
        (FORTNIGHTLY, "every other Tuesday"),
        (MONTHLY_NTH_WEEKDAY, "on the second Tuesday of each month"),
    ],
)
def test_each_repeat_is_said_in_words(repeat, words):
    assert repeat_words(repeat, TUESDAY) == words
