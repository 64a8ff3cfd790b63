"""Kept only because migration 0001 names this dotted path for Person.calendar_secret's default."""

from supervision.people.models import new_calendar_secret  # noqa: F401
