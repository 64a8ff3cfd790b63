"""Wall-clock times where a partner is."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def wall_clock_exists(wall, tz):
    """Whether the naive wall-clock datetime `wall` happens in zone `tz` (a name or a tzinfo).

    A time in the spring-forward gap (01:30 in London on the last Sunday of March) does not survive the round
    trip through UTC; zoneinfo would silently read it as an hour later or earlier.
    """
    if isinstance(tz, str):
        try:
            tz = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            return True  # an unknown zone is the time_zone field's error, not this time's
    return wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall


def local_time_problem(day, time_of_day, tz_name):
    """A sentence when `time_of_day` on `day` does not exist in `tz_name`, else None."""
    wall = datetime.combine(day, time_of_day)
    if wall_clock_exists(wall, tz_name):
        return None
    return (
        f"{time_of_day:%H:%M} on {day.isoformat()} does not exist in {tz_name}: the clocks go forward then. "
        "Choose a time outside the change."
    )
