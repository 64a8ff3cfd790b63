"""Set-based reads of the franchise: who sees what, which licence is in force, which policy version.

Later issues build on these: courses and mentor activation ask for licences in
force, the reminders planner for licences expiring soon, mentor activation and
compliance lists for who has acknowledged the policy in force.
"""

from datetime import timedelta

from django.apps import apps
from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, Subquery, Value, When
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from core.tenancy import COORDINATOR, CoordinatorQuerySet, TenantQuerySet
from franchise.policy_fields import INT as INT_KIND


class PartnerQuerySet(TenantQuerySet):
    """A partner is read by its members (any role) and the licensor."""

    partner_field = "pk"


class MembershipQuerySet(TenantQuerySet):
    """Licensor admins see all memberships; coordinators their partner's; everyone else only their own."""

    def visible_condition(self, access, user):
        return Q(partner__in=access.partner_ids([COORDINATOR])) | Q(user_id=user.pk)


class ProgrammeQuerySet(TenantQuerySet):
    """The licensor's programmes: every signed-in user reads them."""

    def visible_condition(self, access, user):
        return Q()

    def with_units_and_criteria(self):
        unit_model = apps.get_model("franchise", "Unit")
        return self.prefetch_related(
            models.Prefetch(
                "units", queryset=unit_model.objects.order_by("position", "code").prefetch_related("criteria")
            )
        )


class UnitQuerySet(TenantQuerySet):
    visible_with = "programme"


class CriterionQuerySet(TenantQuerySet):
    visible_with = "unit__programme"


class LicenceQuerySet(CoordinatorQuerySet):
    """Licences: the licensor and the partner's coordinators read them."""

    def in_force_on(self, on_date, until=None):
        """Active licences whose dates cover `on_date` (and `until`, when given: one licence for the whole span)."""
        status = apps.get_model("franchise", "Licence").Status
        return self.filter(status=status.ACTIVE, starts_on__lte=on_date, ends_on__gte=until or on_date)

    def overlapping(self, starts_on, ends_on):
        return self.filter(starts_on__lte=ends_on, ends_on__gte=starts_on)

    def expiring_within(self, days, today=None):
        """Active licences whose last day falls within the next `days` days (today included).

        The reminders planner asks this with 90, 30 and 7; a licence already past
        its end is the expiry task's, not a reminder's.
        """
        today = today or timezone.localdate()
        status = apps.get_model("franchise", "Licence").Status
        return self.filter(status=status.ACTIVE, ends_on__gte=today, ends_on__lte=today + timedelta(days=days))

    def past_end(self, today=None):
        today = today or timezone.localdate()
        status = apps.get_model("franchise", "Licence").Status
        return self.filter(status=status.ACTIVE, ends_on__lt=today)


class LicenceEventQuerySet(CoordinatorQuerySet):
    pass


class LicenceFeeQuerySet(CoordinatorQuerySet):
    """Fee records: the licensor and the partner's coordinators read them; the licensor records payments."""

    def outstanding(self):
        status = apps.get_model("franchise", "LicenceFee").Status
        return self.filter(status__in=(status.DUE, status.OVERDUE))

    def past_due(self, today=None):
        """Due fees whose date has passed: the daily task marks them overdue."""
        status = apps.get_model("franchise", "LicenceFee").Status
        return self.filter(status=status.DUE, due_on__lt=today or timezone.localdate())


class PolicyOverrideQuerySet(CoordinatorQuerySet):
    pass


class BoundaryRuleQuerySet(TenantQuerySet):
    """Baseline rules (no partner) are read by every signed-in user; a partner's rules by its members."""

    licensor_rows_public = True

    def current(self):
        return self.filter(retired_at__isnull=True)

    def in_force_for(self, partner):
        """The rules a partner works under now: the baseline's and its own, not retired."""
        return self.current().filter(Q(partner__isnull=True) | Q(partner=partner))

    def visible_condition(self, access, user):
        # A user without any membership still has an Access (an empty one), and
        # baseline rules are not theirs to read.
        if not access.roles_by_partner:
            return Q(pk__in=[])
        return super().visible_condition(access, user)


class PolicyVersionQuerySet(TenantQuerySet):
    def for_partner(self, partner):
        return self.filter(partner=partner)

    def in_force(self, partner, at=None):
        """The version in force for `partner` at `at` (now when None), or None before the first one."""
        at = at or timezone.now()
        return self.filter(partner=partner, effective_from__lte=at).order_by("-effective_from", "-number").first()

    def in_force_subquery(self, partner=None, at=None):
        """A subquery: the id of the version in force for `partner` (an expression, OuterRef("partner") by default)."""
        at = at or timezone.now()
        return Subquery(
            self.filter(partner=OuterRef("partner") if partner is None else partner, effective_from__lte=at)
            .order_by("-effective_from", "-number")
            .values("pk")[:1]
        )


def policy_value(field_name, partner=None, at=None):
    """An expression: the value of one policy field in force for a partner (OuterRef("partner") by default).

    For set-based reads (compliance: last supervision + supervision_interval_days).
    A partner without a version yet has never changed its policy, so the current
    baseline value stands in for it.
    """
    from franchise.policy_fields import BOOL, BY_NAME

    baseline_policy = apps.get_model("franchise", "BaselinePolicy")
    policy_version = apps.get_model("franchise", "PolicyVersion")

    policy_field = BY_NAME[field_name]
    if policy_field.kind not in (INT_KIND, BOOL):
        raise ValueError(f"{field_name} is not a number or a switch; read it with effective_policy().")
    output = models.BooleanField() if policy_field.kind == BOOL else models.IntegerField()
    if policy_field.kind == BOOL:
        # SQLite hands JSON booleans back as the text 'true'/'false'; a lookup compares them alike everywhere.
        value = Case(When(**{f"values__{field_name}": True}, then=Value(True)), default=Value(False))
    else:
        value = Cast(KeyTransform(field_name, "values"), output)
    at = at or timezone.now()
    in_force = (
        policy_version.objects.filter(
            partner=OuterRef("partner") if partner is None else partner, effective_from__lte=at
        )
        .order_by("-effective_from", "-number")
        .annotate(value=value)
        .values("value")[:1]
    )
    baseline = baseline_policy.objects.filter(pk=1).values(field_name)[:1]
    return Coalesce(
        Subquery(in_force, output_field=output),
        Subquery(baseline, output_field=output),
        Value(policy_field.default, output_field=output),
    )


class PolicyAcknowledgementQuerySet(TenantQuerySet):
    reader_roles = (COORDINATOR,)


def own_acknowledgement(person, version):
    """`person`'s own acknowledgement of `version`, or None: what a member is shown of their own reading, outside
    the coordinators-only visibility of acknowledgements (as the API's effective policy tells its caller)."""
    if person is None or version is None:
        return None
    acknowledgement = apps.get_model("franchise", "PolicyAcknowledgement")
    return acknowledgement.objects.filter(policy_version=version, person=person).first()


def with_current_acknowledgement(people, at=None):
    """Annotate a Person queryset with `acknowledged_current_policy`: has the person acknowledged
    the policy version in force for their partner (at `at`, now when None)? One query, any partners."""
    acknowledgement = apps.get_model("franchise", "PolicyAcknowledgement")
    version = apps.get_model("franchise", "PolicyVersion")
    return people.annotate(
        acknowledged_current_policy=Exists(
            acknowledgement.objects.filter(
                person=OuterRef("pk"),
                policy_version=version.objects.in_force_subquery(OuterRef(OuterRef("partner")), at=at),
            )
        )
    )


def people_acknowledged_current_version(partner, at=None):
    """The partner's people who have acknowledged the policy version in force."""
    person = apps.get_model("supervision", "Person")
    return with_current_acknowledgement(person.objects.filter(partner=partner), at=at).filter(
        acknowledged_current_policy=True
    )


def people_not_acknowledged_current_version(partner, at=None):
    """The partner's people expected to acknowledge the policy (mentors, supervisors, trainers) who have not
    (yet) acknowledged the version in force."""
    person = apps.get_model("supervision", "Person")
    return with_current_acknowledgement(
        person.objects.filter(partner=partner).expected_to_acknowledge_policy(), at=at
    ).filter(acknowledged_current_policy=False)
