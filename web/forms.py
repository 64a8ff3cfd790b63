"""What every page's forms share: date pickers that keep their value, and a domain error shown where the person
will look for it."""

from django import forms
from django.core.exceptions import ValidationError

from core.errors import DomainError, RuleNotMet

ISO_DATE = "%Y-%m-%d"
ISO_DATETIME = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    """The browser's date picker, which shows a value only in ISO form: en-GB's own format (02/12/2026) would
    leave it empty, and a form saved again would clear a date already recorded."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=ISO_DATE)


class DateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker, for the same reason in its own ISO form (no seconds)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=ISO_DATETIME)


def show_domain_error(form, error: DomainError, *, fields=None):
    """Put `error` on `form`: next to its field when the form has it, else above the form; each unmet
    requirement of a refused rule as its own line, in words."""
    fields = fields or {}
    if isinstance(error, RuleNotMet):
        for item in error.unmet:
            form.add_error(None, item.message)
        return
    field = fields.get(error.field, error.field)
    form.add_error(field if field in form.fields else None, error.message)


def show_validation_error(form, error: ValidationError):
    """A service's ValidationError ({field: [messages]}) next to the form's fields, the rest above the form."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for field, field_errors in error.message_dict.items():
        for message in field_errors:
            form.add_error(field if field in form.fields else None, message)


def show_refusal(form, error, *, fields=None):
    """Either kind of refusal a service raises (a domain error, or a model's ValidationError) shown on `form`."""
    if isinstance(error, ValidationError):
        show_validation_error(form, error)
    else:
        show_domain_error(form, error, fields=fields)
