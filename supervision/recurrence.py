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

from franchise.errors import Invalid

__all__ = ["MAX_OCCURRENCES", "Expansion", "expand", "normalise_rrule", "local_date", "shift_wall_clock", "zone"]

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
    _check_feasible(parts)
    # FREQ first (RFC 2445 readers expect it there), the other parts as written.
    ordered = ["FREQ"] + [name for name in parts if name != "FREQ"]
    rule = ";".join(f"{name}={parts[name]}" for name in ordered)
    try:
        # Parsing is cheap (no expansion): it catches BYDAY=XX and friends for rules stored unexpanded (groups).
        rrulestr(f"RRULE:{rule}", dtstart=datetime(2000, 1, 1, tzinfo=UTC))
    except (ValueError, TypeError, KeyError) as exc:
        raise Invalid(f"This recurrence rule cannot be read: {exc}.", field="rrule")
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
    except (ValueError, OverflowError) as exc:
        raise Invalid(f"This recurrence rule cannot be expanded: {exc}.", field="rrule")
    if not found:
        raise Invalid("This rule yields no occurrence from the start given.", field="rrule")
    # A wall-clock time that does not exist on a spring-forward day is read as zoneinfo does (fold=0), then
    # normalised: what is stored is the instant, shown again in the partner's zone.
    starts = tuple(when.astimezone(UTC).astimezone(tz) for when in found[:cap])
    return Expansion(rrule=rule_text, starts=starts, capped=len(found) > cap)
