"""Kept only because migration 0001 names this dotted path for SupervisionGroup.calendar_secret's default."""

from supervision.sessions.models import new_group_calendar_secret  # noqa: F401
