"""Rules dateutil cannot expand are refused with a plain message on `rrule`, before any expansion fails."""

import pytest

from core.errors import Invalid
from supervision.sessions.recurrence import expand, normalise_rrule
from tests.supervision.sessions.helpers import at

LONDON = "Europe/London"


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=MONTHLY;BYDAY=9MO", "from 1 to 5"),
        ("FREQ=MONTHLY;BYDAY=-6FR", "from 1 to 5"),
        ("FREQ=YEARLY;BYDAY=60MO;COUNT=2", "from 1 to 53"),
        ("FREQ=YEARLY;BYMONTH=2;BYDAY=6MO", "with BYMONTH the number goes from 1 to 5"),
        ("FREQ=WEEKLY;BYDAY=2MO", "without a number"),
        ("FREQ=DAILY;BYDAY=1MO", "without a number"),
        ("FREQ=MONTHLY;BYDAY=MOX", "not a weekday"),
        ("FREQ=MONTHLY;BYMONTHDAY=40", "BYMONTHDAY takes"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY takes"),
        ("FREQ=YEARLY;BYMONTH=13", "BYMONTH takes"),
        ("FREQ=DAILY;BYHOUR=24", "BYHOUR takes"),
        ("FREQ=DAILY;BYSETPOS=2", "positions 1 to 1"),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=40", "positions 1 to 31"),
    ],
)
def test_out_of_range_parts_are_refused_naming_the_part(rule, words):
    with pytest.raises(Invalid) as refused:
        normalise_rrule(rule)

    assert refused.value.field == "rrule"
    assert words in refused.value.message


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6", "at most 5 occurrences in a month"),  # no month has six Mondays
        ("FREQ=MONTHLY;BYDAY=MO,FR;BYSETPOS=-11", "at most 10 occurrences in a month"),
        ("FREQ=MONTHLY;BYDAY=1MO,-1FR;BYSETPOS=3", "at most 2 occurrences in a month"),
        ("FREQ=MONTHLY;BYSETPOS=2", "at most 1 occurrence in a month"),  # DTSTART's day of the month, once
        ("FREQ=WEEKLY;BYDAY=TU,TH;BYSETPOS=3", "at most 2 occurrences in a week"),
        ("FREQ=YEARLY;BYMONTH=2,8;BYSETPOS=3", "at most 2 occurrences in a year"),
        ("FREQ=YEARLY;BYMONTH=3;BYDAY=TU;BYSETPOS=6", "at most 5 occurrences in a year"),
        ("FREQ=YEARLY;BYDAY=SU;BYSETPOS=54", "at most 53 occurrences in a year"),
        ("FREQ=MONTHLY;BYMONTHDAY=1,15;BYHOUR=9,17;BYSETPOS=5", "at most 4 occurrences in a month"),
    ],
)
def test_a_position_no_period_reaches_is_refused_before_dateutil_searches_for_it(monkeypatch, rule, words):
    # dateutil would look for such a position until the year 9999: the rule is refused without asking it.
    from supervision.sessions import recurrence

    def no_expansion(*args, **kwargs):
        raise AssertionError("dateutil was asked to expand a rule the checks refuse")

    monkeypatch.setattr(recurrence, "rrulestr", no_expansion)

    with pytest.raises(Invalid) as refused:
        normalise_rrule(rule)

    assert refused.value.field == "rrule"
    assert refused.value.code == "position_never_reached"
    assert words in refused.value.message


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=5",
        "FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-10",
        "FREQ=WEEKLY;BYDAY=TU,TH;BYSETPOS=2",
        "FREQ=YEARLY;BYMONTH=2,8;BYSETPOS=-2",
        "FREQ=YEARLY;BYDAY=SU;BYSETPOS=53",
        "FREQ=MONTHLY;BYMONTHDAY=1,15;BYHOUR=9,17;BYSETPOS=4",
    ],
)
def test_a_position_some_period_reaches_is_taken(rule):
    assert normalise_rrule(rule) == rule


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=MONTHLY;BYDAY=1TU",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=MONTHLY;BYDAY=+5MO",
        "FREQ=YEARLY;BYDAY=53MO",
        "FREQ=YEARLY;BYDAY=20MO",
        "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1",
        "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4",
    ],
)
def test_ordinary_rules_are_still_taken(rule):
    assert normalise_rrule(rule) == rule


def test_an_expansion_that_dateutil_cannot_finish_is_a_400_on_rrule(monkeypatch):
    # Whatever slips past the checks: an IndexError from inside dateutil is the rule's error, never a 500.
    from supervision.sessions import recurrence

    monkeypatch.setattr(recurrence, "_check_ranges", lambda parts: None)

    with pytest.raises(Invalid) as refused:
        expand("FREQ=MONTHLY;BYDAY=9MO", at("2027-01-05", 18), LONDON)

    assert refused.value.field == "rrule"
    assert refused.value.message == "This recurrence rule cannot be expanded into dates."


def test_an_occurrence_in_the_spring_gap_is_refused_naming_the_day():
    # 01:30 on Sunday 28 March 2027 does not exist in London (01:00 becomes 02:00).
    with pytest.raises(Invalid) as refused:
        expand("FREQ=WEEKLY;COUNT=3", at("2027-03-21", 1, 30), LONDON)

    assert refused.value.field == "rrule"
    assert refused.value.code == "nonexistent_local_time"
    assert "01:30 on 2027-03-28" in refused.value.message


def test_the_autumn_repeat_hour_is_still_taken():
    # 01:30 on 31 October 2027 happens twice in London: ambiguous, but it exists.
    expansion = expand("FREQ=WEEKLY;COUNT=2", at("2027-10-24", 1, 30), LONDON)

    assert [s.strftime("%Y-%m-%d %H:%M") for s in expansion.starts] == ["2027-10-24 01:30", "2027-10-31 01:30"]
