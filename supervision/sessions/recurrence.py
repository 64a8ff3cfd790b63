"""RFC 5545 recurrence for supervision series, expanded with python-dateutil in the partner's time zone.

The rule is expanded from a DTSTART that carries the partner's zone (a zoneinfo
tzinfo), so every occurrence keeps the wall-clock time of the first one: a
group meeting at 18:00 in London meets at 18:00 after the clocks change, which
is 17:00 UTC in summer and 18:00 UTC in winter.
"""

import calendar
import itertools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr

from core.clock import wall_clock_exists
from core.errors import Invalid

__all__ = [
    "MAX_OCCURRENCES",
    "Expansion",
    "expand",
    "normalise_rrule",
    "local_date",
    "shift_wall_clock",
    "zone",
    "WEEKLY",
    "FORTNIGHTLY",
    "MONTHLY_NTH_WEEKDAY",
    "REPEATS",
    "plain_rrule",
    "nth_weekday_words",
    "repeat_words",
]

MAX_OCCURRENCES = 104
# Supervision meets at most daily; finer rules only make clashes.
FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
PARTS = {
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "BYDAY",
    "BYMONTHDAY",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
    "BYHOUR",
    "BYMINUTE",
}
# Nobody plans supervision further ahead; also bounds the work of an odd but valid rule.
HORIZON = timedelta(days=366 * 10)
_REFERENCE_START = datetime(2000, 1, 1, tzinfo=UTC)
# What dateutil raises from inside an expansion it cannot finish (IndexError on BYDAY=9MO before the checks above).
_EXPANSION_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError)
_LEAP_YEAR = 2028


def zone(name):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"{name!r} is not a time zone name.", field="time_zone")


def local_date(moment, time_zone):
    """The calendar date of an aware `moment` where the partner is."""
    return moment.astimezone(zone(time_zone)).date()


def shift_wall_clock(moment, delta, time_zone):
    """`moment` moved by `delta` of wall-clock time in `time_zone` (so 10:00 + 1h stays 11:00 across a DST change)."""
    tz = zone(time_zone)
    wall = moment.astimezone(tz).replace(tzinfo=None) + delta
    return wall.replace(tzinfo=tz).astimezone(UTC)


def _parts(text):
    parts = {}
    for chunk in text.split(";"):
        if "=" not in chunk:
            raise Invalid(f"{chunk!r} is not a NAME=VALUE part of a recurrence rule.", field="rrule")
        name, value = chunk.split("=", 1)
        name = name.strip().upper()
        if name in parts:
            raise Invalid(f"{name} appears twice in the rule.", field="rrule")
        parts[name] = value.strip().upper()
    return parts


def _check_feasible(parts):
    """Refuse BYMONTH/BYMONTHDAY pairs no calendar has (30 February): dateutil would search until the year 9999."""
    if "BYMONTH" not in parts or "BYMONTHDAY" not in parts:
        return
    try:
        months = [int(m) for m in parts["BYMONTH"].split(",")]
        days = [int(d) for d in parts["BYMONTHDAY"].split(",")]
    except ValueError:
        raise Invalid("BYMONTH and BYMONTHDAY take whole numbers.", field="rrule")
    for month in months:
        if not 1 <= month <= 12:
            raise Invalid(f"BYMONTH={month} is not a month.", field="rrule")
        length = calendar.monthrange(_LEAP_YEAR, month)[1]
        if any(1 <= abs(day) <= length for day in days):
            return
    raise Invalid("BYMONTH and BYMONTHDAY name no day that exists.", field="rrule")


# What each BY part may hold (RFC 5545 3.3.10). dateutil takes some values outside these ranges and then fails
# with an IndexError while expanding, or searches to the year 9999 for a date that never comes.
_RANGES = {"BYMONTH": (1, 12, False), "BYMONTHDAY": (1, 31, True), "BYHOUR": (0, 23, False), "BYMINUTE": (0, 59, False)}
# The furthest BYDAY ordinal (the 5th Monday of a month, the 53rd of a year); none within a week or a day.
_BYDAY_ORDINAL = {"MONTHLY": 5, "YEARLY": 53}
# At most this many candidate days in one period of each frequency, for BYSETPOS.
_DAYS_IN_PERIOD = {"DAILY": 1, "WEEKLY": 7, "MONTHLY": 31, "YEARLY": 366}
_WEEKDAY = re.compile(r"([+-]?\d{1,3})?(MO|TU|WE|TH|FR|SA|SU)")


def _numbers(parts, name):
    try:
        return [int(value) for value in parts[name].split(",")]
    except ValueError:
        raise Invalid(f"{name} takes whole numbers separated by commas.", field="rrule")


def _check_ranges(parts):
    for name, (low, high, signed) in _RANGES.items():
        if name not in parts:
            continue
        for number in _numbers(parts, name):
            if not low <= (abs(number) if signed else number) <= high:
                allowed = f"±{low} to ±{high}" if signed else f"{low} to {high}"
                raise Invalid(f"{name}={number} is out of range: {name} takes {allowed}.", field="rrule")
    freq = parts["FREQ"]
    if "BYDAY" in parts:
        # Within a year that names its months the ordinal counts weekdays of the month.
        within = f"{freq} rule with BYMONTH" if freq == "YEARLY" and "BYMONTH" in parts else f"{freq} rule"
        furthest = _BYDAY_ORDINAL.get("MONTHLY" if within.endswith("BYMONTH") else freq)
        for chunk in parts["BYDAY"].split(","):
            match = _WEEKDAY.fullmatch(chunk)
            if not match:
                raise Invalid(f"BYDAY={chunk} is not a weekday such as MO, 1MO or -1FR.", field="rrule")
            if match.group(1) is None:
                continue
            ordinal = int(match.group(1))
            if furthest is None:
                raise Invalid(f"BYDAY={chunk}: a {freq} rule takes weekdays without a number.", field="rrule")
            if not 1 <= abs(ordinal) <= furthest:
                raise Invalid(
                    f"BYDAY={chunk}: in a {within} the number goes from 1 to {furthest} (or -1 to -{furthest}).",
                    field="rrule",
                )
    if "BYSETPOS" in parts:
        times_a_day = len(parts.get("BYHOUR", "0").split(",")) * len(parts.get("BYMINUTE", "0").split(","))
        furthest = _DAYS_IN_PERIOD[freq] * times_a_day
        for position in _numbers(parts, "BYSETPOS"):
            if not 1 <= abs(position) <= furthest:
                raise Invalid(
                    f"BYSETPOS={position}: a {freq} rule picks from positions 1 to {furthest} (or -1 to -{furthest}).",
                    field="rrule",
                )


def _most_dates_in_a_period(parts):
    """The most occurrences one period of the rule (a day, week, month or year) can hold, as an upper bound.

    A BYSETPOS beyond it never matches, and dateutil would search to the year 9999 for it. The bound never
    refuses a rule that can match (no month has five Mondays and five Fridays, yet it allows ten); a rarer
    position it lets through is still refused, once expanded, as a rule that yields no date. Parts the rule leaves
    out come from DTSTART, as RFC 5545 and dateutil say: a monthly rule without BYDAY or BYMONTHDAY meets on
    DTSTART's day of the month, once a month; without BYHOUR it meets at DTSTART's hour, once a day.
    """
    freq = parts["FREQ"]
    months = len(set(_numbers(parts, "BYMONTH"))) if "BYMONTH" in parts else None
    month_days = len(set(_numbers(parts, "BYMONTHDAY"))) if "BYMONTHDAY" in parts else None
    weekdays = set(parts["BYDAY"].split(",")) if "BYDAY" in parts else set()
    numbered = sum(1 for chunk in weekdays if _WEEKDAY.fullmatch(chunk).group(1) is not None)
    plain = len(weekdays) - numbered
    if freq == "DAILY":
        days = 1
    elif not weekdays and month_days is None:
        days = (months or 1) if freq == "YEARLY" else 1
    else:
        # A month holds at most 5 of each weekday and a year 53; a numbered weekday is one day of its month
        # (of its year, in a yearly rule without BYMONTH).
        if freq == "WEEKLY":
            bounds = [7, len(weekdays)]
        elif freq == "MONTHLY":
            bounds = [31, 5 * plain + numbered]
        elif months:
            bounds = [31 * months, (5 * plain + numbered) * months]
        else:
            bounds = [366, 53 * plain + numbered]
        if not weekdays:
            bounds.pop()
        if month_days is not None:
            bounds.append(month_days * ((months or 12) if freq == "YEARLY" else 1))
        days = min(bounds)
    hours = len(set(_numbers(parts, "BYHOUR"))) if "BYHOUR" in parts else 1
    minutes = len(set(_numbers(parts, "BYMINUTE"))) if "BYMINUTE" in parts else 1
    return days * hours * minutes


_PERIOD = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}


def _check_positions_reachable(parts):
    """Refuse a BYSETPOS no period of the rule reaches (the sixth Monday of a month), before dateutil is asked."""
    if "BYSETPOS" not in parts:
        return
    most = _most_dates_in_a_period(parts)
    for position in _numbers(parts, "BYSETPOS"):
        if abs(position) > most:
            raise Invalid(
                f"BYSETPOS={position}: this rule has at most {most} occurrence{'s' if most > 1 else ''} in a "
                f"{_PERIOD[parts['FREQ']]}, so that position never comes.",
                field="rrule",
                code="position_never_reached",
            )


def normalise_rrule(text, time_zone="UTC"):
    """Check a rule and return it in a canonical form (upper case, FREQ first, no "RRULE:" prefix, UNTIL in UTC).

    Only the RRULE value is accepted: DTSTART comes from the session's start in
    the partner's time zone, never from the rule text. An UNTIL without `Z` is
    read as the partner's local time (a date alone: the end of that day).
    """
    if not isinstance(text, str) or not text.strip():
        raise Invalid("Give a recurrence rule such as FREQ=WEEKLY;BYDAY=TU;COUNT=6.", field="rrule")
    text = text.strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    if "\n" in text or "\r" in text or ":" in text:
        raise Invalid("Give a single RRULE value, without DTSTART or other lines.", field="rrule")
    parts = _parts(text)
    unknown = sorted(set(parts) - PARTS)
    if unknown:
        raise Invalid(f"Recurrence rules here do not use {', '.join(unknown)}.", field="rrule")
    if parts.get("FREQ") not in FREQUENCIES:
        raise Invalid(f"FREQ must be one of {', '.join(sorted(FREQUENCIES))}.", field="rrule")
    if "COUNT" in parts and "UNTIL" in parts:
        raise Invalid("Give COUNT or UNTIL, not both (RFC 5545).", field="rrule")
    if "COUNT" in parts and (not parts["COUNT"].isdigit() or int(parts["COUNT"]) < 1):
        raise Invalid("COUNT must be a whole number of occurrences, at least 1.", field="rrule")
    if "INTERVAL" in parts and (not parts["INTERVAL"].isdigit() or not 1 <= int(parts["INTERVAL"]) <= 1000):
        raise Invalid("INTERVAL must be a whole number from 1 to 1000.", field="rrule")
    if "UNTIL" in parts:
        try:
            parts["UNTIL"] = _until_in_utc(parts["UNTIL"], time_zone)
        except ValueError:
            raise Invalid(f"UNTIL={parts['UNTIL']} is not a real date.", field="rrule")
    _check_ranges(parts)
    _check_feasible(parts)
    _check_positions_reachable(parts)
    # FREQ first (RFC 2445 readers expect it there), the other parts as written.
    ordered = ["FREQ"] + [name for name in parts if name != "FREQ"]
    rule = ";".join(f"{name}={parts[name]}" for name in ordered)
    try:
        parsed = rrulestr(f"RRULE:{rule}", dtstart=_REFERENCE_START)
    except (ValueError, TypeError, KeyError) as exc:
        raise Invalid(f"This recurrence rule cannot be read: {exc}.", field="rrule")
    # Groups store the rule unexpanded: finding its first date is what proves it can be expanded at all.
    try:
        first = parsed.after(_REFERENCE_START, inc=True)
    except _EXPANSION_ERRORS:
        raise Invalid("This recurrence rule cannot be expanded into dates.", field="rrule")
    if first is None:
        raise Invalid("This recurrence rule yields no date.", field="rrule")
    return rule


def _until_in_utc(value, time_zone):
    if re.fullmatch(r"\d{8}T\d{6}Z", value):
        return value
    tz = zone(time_zone)
    if re.fullmatch(r"\d{8}", value):
        day = date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        local = datetime.combine(day, time(23, 59, 59), tzinfo=tz)
    elif re.fullmatch(r"\d{8}T\d{6}", value):
        local = datetime.strptime(value + "+0000", "%Y%m%dT%H%M%S%z").replace(tzinfo=tz)
    else:
        raise Invalid(f"UNTIL={value} is not a date (YYYYMMDD) or a date-time (YYYYMMDDTHHMMSS[Z]).", field="rrule")
    return local.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True)
class Expansion:
    rrule: str  # the canonical rule
    starts: tuple  # aware datetimes in the partner's zone, at most MAX_OCCURRENCES
    capped: bool  # the rule had more occurrences than were kept


def expand(rrule, first_start, time_zone, *, cap=MAX_OCCURRENCES):
    """The occurrences of `rrule` from `first_start` (aware), with DTSTART in `time_zone`, capped at `cap`.

    As with dateutil (and RFC 5545's RRULE), DTSTART fixes the time of day; it is
    itself an occurrence only when it matches the rule.
    """
    if first_start.tzinfo is None:
        raise Invalid("Give the start with its UTC offset.", field="starts_at")
    rule_text = normalise_rrule(rrule, time_zone)
    tz = zone(time_zone)
    dtstart = first_start.astimezone(tz)
    try:
        rule = rrulestr(f"RRULE:{rule_text}", dtstart=dtstart)
    except (ValueError, TypeError, KeyError) as exc:
        raise Invalid(f"This recurrence rule cannot be read: {exc}.", field="rrule")
    horizon = dtstart + HORIZON
    try:
        found = list(itertools.islice(itertools.takewhile(lambda when: when <= horizon, rule), cap + 1))
    except _EXPANSION_ERRORS:
        raise Invalid("This recurrence rule cannot be expanded into dates.", field="rrule")
    if not found:
        raise Invalid("This rule yields no occurrence from the start given.", field="rrule")
    for when in found[:cap]:
        if not wall_clock_exists(when.replace(tzinfo=None), tz):
            raise Invalid(
                f"The rule puts an occurrence at {when:%H:%M} on {when:%Y-%m-%d}, a time that does not exist in "
                f"{time_zone} (the clocks go forward then). Choose another time of day.",
                field="rrule",
                code="nonexistent_local_time",
            )
    # Stored as the instant, shown again in the partner's zone.
    starts = tuple(when.astimezone(UTC).astimezone(tz) for when in found[:cap])
    return Expansion(rrule=rule_text, starts=starts, capped=len(found) > cap)


# --- plain-language repeats ------------------------------------------------------------

# The repeats a person chooses from in words; each becomes an RRULE for schedule_series.
WEEKLY = "weekly"
FORTNIGHTLY = "fortnightly"
MONTHLY_NTH_WEEKDAY = "monthly_nth_weekday"
REPEATS = (WEEKLY, FORTNIGHTLY, MONTHLY_NTH_WEEKDAY)
_BYDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_ORDINAL_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}


def _nth_of_month(day):
    """Which of its month's weekdays `day` is: 1 to 4, or -1 for a fifth one (a fifth Tuesday is the last, and
    "the last Tuesday" keeps meaning something in months that have only four)."""
    nth = (day.day - 1) // 7 + 1
    return -1 if nth == 5 else nth


def nth_weekday_words(day):
    """ "second Tuesday": how a monthly repeat from `day` is said."""
    return f"{_ORDINAL_WORDS[_nth_of_month(day)]} {calendar.day_name[day.weekday()]}"


def repeat_words(repeat, first_day):
    """ "every other Tuesday": a repeat from `first_day` as a person would say it."""
    weekday = calendar.day_name[first_day.weekday()]
    if repeat == WEEKLY:
        return f"every {weekday}"
    if repeat == FORTNIGHTLY:
        return f"every other {weekday}"
    if repeat == MONTHLY_NTH_WEEKDAY:
        return f"on the {nth_weekday_words(first_day)} of each month"
    raise Invalid(f"{repeat!r} is not a repeat offered here.", field="repeat")


def plain_rrule(repeat, first_day, *, until=None, count=None):
    """The RRULE for a repeat chosen in words, from the first session's local date `first_day`, ending on
    `until` (a local date, inclusive) or after `count` sessions (exactly one of them)."""
    if (until is None) == (count is None):
        raise Invalid("Say when the repeats end: on a date or after a number of sessions.", field="ends")
    weekday = _BYDAY_CODES[first_day.weekday()]
    if repeat == WEEKLY:
        parts = ["FREQ=WEEKLY", f"BYDAY={weekday}"]
    elif repeat == FORTNIGHTLY:
        parts = ["FREQ=WEEKLY", "INTERVAL=2", f"BYDAY={weekday}"]
    elif repeat == MONTHLY_NTH_WEEKDAY:
        parts = ["FREQ=MONTHLY", f"BYDAY={_nth_of_month(first_day)}{weekday}"]
    else:
        raise Invalid(f"{repeat!r} is not a repeat offered here.", field="repeat")
    if count is not None:
        if count < 1:
            raise Invalid("Repeat at least once.", field="count")
        parts.append(f"COUNT={count}")
    else:
        if until < first_day:
            raise Invalid("The last date is on or after the first session.", field="until")
        # A date alone: normalise_rrule reads it as the end of that day in the partner's time zone.
        parts.append(f"UNTIL={until:%Y%m%d}")
    return ";".join(parts)
