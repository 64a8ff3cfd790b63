"""Domain errors, raised by services and translated to HTTP by api.exceptions.

Codes are stable snake_case strings that clients may rely on; messages are
sentences for people.
"""


class DomainError(Exception):
    status = 400

    def __init__(self, message, *, code="invalid", field=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


class Invalid(DomainError):
    """Input that breaks a rule of one field (or of the request as a whole)."""


class NotPermitted(DomainError):
    """The object is visible, but the caller's role may not do this."""

    status = 403

    def __init__(self, message="Your role does not allow this.", *, code="not_permitted"):
        super().__init__(message, code=code)


class NotFound(DomainError):
    """Outside the caller's reach: answered exactly like an object that does not exist."""

    status = 404

    def __init__(self, message="Not found.", *, code="not_found"):
        super().__init__(message, code=code)


class Unmet:
    """One requirement of a business rule that is not met."""

    __slots__ = ("code", "message")

    def __init__(self, code, message):
        self.code = code
        self.message = message

    def as_dict(self):
        return {"code": self.code, "message": self.message}

    def __repr__(self):
        return f"Unmet({self.code!r})"


class RuleNotMet(DomainError):
    """A business rule with several requirements; every unmet one is reported at once."""

    def __init__(self, unmet, message="Requirements are not met."):
        super().__init__(message, code="requirements_unmet")
        self.unmet = list(unmet)


class IllegalTransition(DomainError):
    status = 409

    def __init__(self, current, requested, allowed):
        allowed = sorted(allowed)
        message = f"Cannot move from {current!r} to {requested!r}; allowed: {', '.join(allowed) or 'none'}."
        super().__init__(message, code="illegal_transition")
        self.current = current
        self.requested = requested
        self.allowed = allowed


def check_transition(transitions, current, requested):
    """Raise IllegalTransition unless `requested` is reachable from `current` in `transitions`."""
    allowed = transitions.get(current, ())
    if requested not in allowed:
        raise IllegalTransition(current, requested, allowed)
