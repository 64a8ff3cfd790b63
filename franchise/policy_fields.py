"""The policy's fields, each defined once with its baseline default and its direction.

Everything else derives from this table: the columns of the baseline and of a
partner's overrides (franchise.models), validation of overrides and the
fallback when the licensor tightens the baseline (franchise.policy), the
effective-policy dataclass, the API serializers and their documentation.

A *direction* says which way a partner may move away from the licensor's
baseline; moving the other way would loosen a minimum standard:

- ``lower_only``: a partner may set a smaller number (e.g. supervise more often).
- ``raise_only``: a partner may set a larger number (e.g. more shadowing hours).
- ``cannot_switch_off``: a partner may switch it on; while the baseline has it
  on, a partner cannot switch it off.
- ``licensor_only``: set by the licensing organisation for everyone; partners
  cannot override it.
- ``free``: a partner may set it either way (a local choice, not a standard).
"""

from dataclasses import dataclass

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

LOWER_ONLY = "lower_only"
RAISE_ONLY = "raise_only"
CANNOT_SWITCH_OFF = "cannot_switch_off"
LICENSOR_ONLY = "licensor_only"
FREE = "free"

DIRECTIONS = {
    LOWER_ONLY: "Partners may lower it, never raise it above the baseline.",
    RAISE_ONLY: "Partners may raise it, never lower it below the baseline.",
    CANNOT_SWITCH_OFF: "Partners may switch it on; while the baseline has it on, they cannot switch it off.",
    LICENSOR_ONLY: "Set by the licensing organisation only; partners cannot override it.",
    FREE: "Partners may set it either way.",
}

INT = "int"
BOOL = "bool"
DAYS = "days"  # a list of whole days before a date, e.g. [90, 30, 7]


def default_expiry_reminder_days():
    return [90, 30, 7]


@dataclass(frozen=True)
class PolicyField:
    name: str
    default: object
    direction: str
    description: str
    kind: str = INT
    minimum: int = 0
    maximum: int = 10_000
    unit: str = ""
    # Fields shown nested in the API, e.g. incident_review_hours: {"high": 48}.
    group: str = ""
    key: str = ""

    @property
    def overridable(self):
        return self.direction != LICENSOR_ONLY

    @property
    def help_text(self):
        return f"{self.description} {DIRECTIONS[self.direction]}"

    @property
    def api_name(self):
        return self.group or self.name

    @property
    def label(self):
        return f"{self.group} ({self.key})" if self.group else self.name

    def baseline_column(self):
        return self._column(null=False)

    def override_column(self):
        return self._column(null=True)

    def _column(self, *, null):
        options = {"help_text": self.help_text}
        if null:
            options.update(null=True, blank=True)
        elif self.kind == DAYS:
            options["default"] = default_expiry_reminder_days
        else:
            options["default"] = self.default
        if self.kind == BOOL:
            return models.BooleanField(**options)
        if self.kind == DAYS:
            return models.JSONField(**options)
        return models.PositiveIntegerField(
            validators=[MinValueValidator(self.minimum), MaxValueValidator(self.maximum)], **options
        )

    def is_looser(self, value, baseline):
        """Would a partner's `value` loosen the licensor's `baseline`?"""
        if value is None or self.direction == FREE:
            return False
        if self.direction == LICENSOR_ONLY:
            return value != baseline
        if self.direction == LOWER_ONLY:
            return value > baseline
        if self.direction == RAISE_ONLY:
            return value < baseline
        if self.direction == CANNOT_SWITCH_OFF:
            return bool(baseline) and not value
        raise AssertionError(f"Unknown direction {self.direction!r}")

    def loosening_message(self, baseline):
        return _sentence(self._loosening(baseline))

    def _loosening(self, baseline):
        where = f"{self.key}: " if self.key else ""
        shown = _show(baseline, self.unit)
        if self.direction == LOWER_ONLY:
            return f"{where}partners may only lower this; it may not be above the baseline of {shown}."
        if self.direction == RAISE_ONLY:
            return f"{where}partners may only raise this; it may not be below the baseline of {shown}."
        if self.direction == CANNOT_SWITCH_OFF:
            return f"{where}the baseline has this switched on, and partners cannot switch it off."
        return f"{where}this is set by the licensing organisation for every partner (baseline: {shown})."

    def clean(self, value):
        """The value in its stored form, or ValueError with a sentence saying what is wrong."""
        try:
            return self._clean(value)
        except ValueError as exc:
            raise ValueError(_sentence(str(exc))) from None

    def _clean(self, value):
        where = f"{self.key}: " if self.key else ""
        if self.kind == BOOL:
            if not isinstance(value, bool):
                raise ValueError(f"{where}must be true or false.")
            return value
        if self.kind == DAYS:
            if not isinstance(value, list) or not value:
                raise ValueError(f"{where}must be a list of whole days, e.g. [90, 30, 7].")
            if any(isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 3650 for day in value):
                raise ValueError(f"{where}each entry must be a whole number of days from 1 to 3650.")
            return sorted(set(value), reverse=True)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{where}must be a whole number.")
        if not self.minimum <= value <= self.maximum:
            raise ValueError(f"{where}must be between {self.minimum} and {self.maximum}.")
        return value


def _sentence(text):
    return text[:1].upper() + text[1:]


def show_value(value, unit=""):
    """A value as people read it: "on"/"off", "42 days", "90, 30, 7 days"."""
    return _show(value, unit)


def _show(value, unit):
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) + (f" {unit}" if unit else "")
    return f"{value} {unit}".strip()


POLICY_FIELDS = (
    PolicyField(
        "supervision_interval_days",
        42,
        LOWER_ONLY,
        "Most days between supervisions of an active mentor.",
        minimum=1,
        maximum=365,
        unit="days",
    ),
    PolicyField(
        "peer_group_min_size",
        4,
        RAISE_ONLY,
        "Fewest members of an active peer-supervision group.",
        minimum=2,
        maximum=50,
        unit="members",
    ),
    PolicyField(
        "peer_group_max_size",
        6,
        LOWER_ONLY,
        "Most members of an active peer-supervision group.",
        minimum=2,
        maximum=50,
        unit="members",
    ),
    PolicyField(
        "peer_group_trained_majority",
        True,
        CANNOT_SWITCH_OFF,
        "Most members of a peer group must have passed the training.",
        kind=BOOL,
    ),
    PolicyField(
        "shadowing_hours_required",
        10,
        RAISE_ONLY,
        "Hours of shadowing before a mentor may become active.",
        maximum=1000,
        unit="hours",
    ),
    PolicyField(
        "requires_background_check",
        True,
        CANNOT_SWITCH_OFF,
        "A background check is recorded before a mentor becomes active.",
        kind=BOOL,
    ),
    PolicyField(
        "requires_two_factor",
        False,
        CANNOT_SWITCH_OFF,
        "Coordinators and supervisors sign in with a second factor (an authenticator app's code) "
        "before they read a boundary incident in full.",
        kind=BOOL,
    ),
    PolicyField(
        "incident_review_hours_low",
        168,
        LOWER_ONLY,
        "Hours within which a low-severity boundary incident is reviewed.",
        minimum=1,
        maximum=8760,
        unit="hours",
        group="incident_review_hours",
        key="low",
    ),
    PolicyField(
        "incident_review_hours_medium",
        168,
        LOWER_ONLY,
        "Hours within which a medium-severity boundary incident is reviewed.",
        minimum=1,
        maximum=8760,
        unit="hours",
        group="incident_review_hours",
        key="medium",
    ),
    PolicyField(
        "incident_review_hours_high",
        48,
        LOWER_ONLY,
        "Hours within which a high-severity boundary incident is reviewed.",
        minimum=1,
        maximum=8760,
        unit="hours",
        group="incident_review_hours",
        key="high",
    ),
    PolicyField(
        "incident_review_hours_critical",
        24,
        LOWER_ONLY,
        "Hours within which a critical boundary incident is reviewed.",
        minimum=1,
        maximum=8760,
        unit="hours",
        group="incident_review_hours",
        key="critical",
    ),
    PolicyField(
        "session_reminder_hours",
        24,
        FREE,
        "Hours before a supervision session that attendees are reminded.",
        minimum=1,
        maximum=336,
        unit="hours",
    ),
    PolicyField(
        "expiry_reminder_days",
        [90, 30, 7],
        LICENSOR_ONLY,
        "Days before a licence or an accreditation expires that reminders go out.",
        kind=DAYS,
        unit="days",
    ),
    PolicyField(
        "max_active_matches",
        3,
        LOWER_ONLY,
        "Most mentees a mentor is matched with at once.",
        minimum=1,
        maximum=50,
        unit="matches",
    ),
    PolicyField(
        "supervisors_see_incidents",
        False,
        FREE,
        "Supervisors may read the boundary incidents about the mentors they supervise "
        "(otherwise only coordinators and the reporter do).",
        kind=BOOL,
    ),
    PolicyField(
        "incident_retention_years",
        6,
        LICENSOR_ONLY,
        "Years a closed boundary incident is kept.",
        minimum=1,
        maximum=100,
        unit="years",
    ),
    PolicyField(
        "co_taught_sessions_required",
        2,
        LICENSOR_ONLY,
        "Co-taught sessions, signed off by an accredited trainer, before a co-trainer is accredited.",
        maximum=100,
        unit="sessions",
    ),
    PolicyField(
        "accreditation_validity_months",
        24,
        LICENSOR_ONLY,
        "Months a trainer accreditation is valid for.",
        minimum=1,
        maximum=120,
        unit="months",
    ),
    PolicyField(
        "deliveries_required_per_period",
        1,
        LICENSOR_ONLY,
        "Courses a trainer delivers within each validity period to keep the accreditation.",
        maximum=100,
        unit="courses",
    ),
    PolicyField(
        "cpd_hours_required_per_period",
        6,
        LICENSOR_ONLY,
        "CPD hours a trainer logs within each validity period to keep the accreditation.",
        maximum=1000,
        unit="hours",
    ),
)

BY_NAME = {field.name: field for field in POLICY_FIELDS}
OVERRIDABLE = tuple(field for field in POLICY_FIELDS if field.overridable)
GROUPS = {
    field.group: tuple(f for f in POLICY_FIELDS if f.group == field.group) for field in POLICY_FIELDS if field.group
}


def defaults():
    return {field.name: (list(field.default) if field.kind == DAYS else field.default) for field in POLICY_FIELDS}


def nest(values):
    """Flat values -> the API's shape, where grouped fields are one object (incident_review_hours)."""
    shaped = {}
    for field in POLICY_FIELDS:
        if field.name not in values:
            continue
        if field.group:
            shaped.setdefault(field.group, {})[field.key] = values[field.name]
        else:
            shaped[field.name] = values[field.name]
    return shaped


def flatten(data):
    """The API's shape -> flat names; unknown keys are returned separately so callers can refuse them."""
    flat, unknown = {}, []
    for name, value in data.items():
        if name in GROUPS:
            if not isinstance(value, dict):
                unknown.append(name)
                continue
            by_key = {field.key: field for field in GROUPS[name]}
            for key, item in value.items():
                if key in by_key:
                    flat[by_key[key].name] = item
                else:
                    unknown.append(f"{name}.{key}")
        elif name in BY_NAME and not BY_NAME[name].group:
            flat[name] = value
        else:
            unknown.append(name)
    return flat, unknown
