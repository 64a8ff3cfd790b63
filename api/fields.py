from datetime import UTC, datetime

from django import forms
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.dateparse import parse_datetime
from rest_framework import exceptions, serializers

NAIVE_TIME = "Give the time with its UTC offset, e.g. 2026-03-01T10:00:00+00:00."
OUT_OF_RANGE = "This time is outside the range that can be stored (years 1 to 9999 in UTC)."


def _offset_problem(value):
    """Why an aware-or-naive datetime cannot be taken (a message), or None.

    A time without an offset is ambiguous (API.md: ISO 8601 with offset); one at the edge of the calendar with
    an offset that carries it past year 9999 or before year 1 in UTC would fail deep in the database adapter.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        return NAIVE_TIME
    try:
        value.astimezone(UTC)
    except OverflowError:
        return OUT_OF_RANGE
    return None


class DateTimeField(serializers.DateTimeField):
    """Every date-time the API accepts: ISO 8601 with its UTC offset (installed for model fields in api.apps)."""

    default_error_messages = {"naive": NAIVE_TIME, "overflow": OUT_OF_RANGE}

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None  # 2026-02-30T10:00: the parent names the expected format
            if parsed is not None:
                problem = _offset_problem(parsed)
                if problem == NAIVE_TIME:
                    self.fail("naive")
                if problem == OUT_OF_RANGE:
                    self.fail("overflow")
        elif isinstance(value, datetime) and _offset_problem(value) == OUT_OF_RANGE:
            self.fail("overflow")
        return super().to_internal_value(value)


class OffsetDateTimeFormField(forms.DateTimeField):
    """The form field of every date-time filter (put in place by api.base.ScopedFilterBackend)."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None:
                problem = _offset_problem(parsed)
                if problem:
                    raise DjangoValidationError(problem, code="invalid")
        value = super().to_python(value)
        # In UTC: Python takes offsets up to ±23:59, PostgreSQL only up to ±15:59 (a DataError, then a 500).
        return value.astimezone(UTC) if value is not None else None


class BlankAsNullCharField(serializers.CharField):
    """A text column whose blank means "not yet": shown as null."""

    def to_representation(self, value):
        return super().to_representation(value) or None


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference by id that only accepts objects the caller can see.

    Without this a foreign id in a request body would be a way round tenant
    scoping; an invisible id is answered exactly like one that does not exist.
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        if not hasattr(queryset, "visible_to"):
            raise ImproperlyConfigured(f"{queryset.model.__name__} has no visible_to(user) queryset method.")
        request = self.context.get("request")
        return queryset.visible_to(request.user if request else None)


class TargetPartnerField(VisibleRelatedField):
    """The partner a request writes into (an invitation's partner, say).

    Naming a partner outside the caller's tenants is answered like a URL
    outside them: 404, the same for an id that exists and one that does not.
    A visible partner where the caller's role is not enough is the service's
    403.
    """

    def to_internal_value(self, data):
        if isinstance(data, (bool, dict, list)):
            raise exceptions.NotFound("No such partner.")
        try:
            return self.get_queryset().get(pk=data)
        except (ObjectDoesNotExist, DjangoValidationError, TypeError, ValueError):
            raise exceptions.NotFound("No such partner.")
