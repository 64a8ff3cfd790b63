"""What every page's forms share: a domain error shown where the person will look for it."""

from core.errors import DomainError, RuleNotMet


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
