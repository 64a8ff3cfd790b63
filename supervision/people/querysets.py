"""Set-based reads of supervision's people: who sees whom, who is trained, how many hours they shadowed.

Every annotation here is a subquery or an EXISTS, never a join that multiplies
rows, so lists stay one query for any page size.
"""

from decimal import Decimal

from django.apps import apps
from django.db import models
from django.db.models import Count, DecimalField, Exists, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.tenancy import COORDINATOR, SUPERVISOR, TRAINER, TenantQuerySet
from training.querysets import finished_course_exists

# Who reads a partner's people and shadowing: the staff who work with them.
STAFF_ROLES = (COORDINATOR, SUPERVISOR, TRAINER)
# Matches carry mentee references; trainers have no need of them.
MATCH_READER_ROLES = (COORDINATOR, SUPERVISOR)

HOURS = DecimalField(max_digits=8, decimal_places=2)


class PersonQuerySet(TenantQuerySet):
    """Coordinators, supervisors and trainers see their partner's people; a mentor only their own Person;
    the licensor everyone."""

    reader_roles = STAFF_ROLES
    own_person_paths = ("",)

    def with_trained(self):
        """Annotate `trained`: prior learning recognised, or a finished course (training.querysets). One EXISTS."""
        return self.annotate(trained=trained_expression())

    def with_shadowing_hours(self):
        """Annotate `shadowing_hours`: the sum of the person's shadowing logs (0 when none), as a subquery."""
        log = apps.get_model("supervision", "ShadowingLog")
        total = (
            log.objects.filter(mentor=OuterRef("pk"))
            .order_by()
            .values("mentor")
            .annotate(total=Sum("hours"))
            .values("total")
        )
        return self.annotate(
            shadowing_hours=Coalesce(Subquery(total, output_field=HOURS), Value(Decimal("0"), output_field=HOURS))
        )

    def for_listing(self):
        return self.with_trained().with_shadowing_hours()

    def mentors(self):
        return self.filter(mentor_status__isnull=False)

    def active_mentors(self):
        status = apps.get_model("supervision", "Person").Status
        return self.filter(mentor_status=status.ACTIVE)

    def staff(self):
        """People with a login holding a staff role (coordinator, supervisor, trainer) in their partner: those a
        mentor-to-be may shadow (supervision.people.services.log_shadowing checks the same)."""
        membership = apps.get_model("franchise", "Membership")
        return self.filter(
            Exists(
                membership.objects.filter(
                    user_id=OuterRef("user_id"), partner_id=OuterRef("partner_id"), role__in=STAFF_ROLES
                )
            )
        )

    def expected_to_acknowledge_policy(self):
        """Who reads and acknowledges each new policy version of their partner: mentors (anyone on the pathway
        who has not exited — an applicant acknowledges before activation too) and the partner's supervisors and
        trainers. The reminder of a new version and the coordinator's "not yet acknowledged" both ask this."""
        membership = apps.get_model("franchise", "Membership")
        status = apps.get_model("supervision", "Person").Status
        staff = Exists(
            membership.objects.filter(
                user_id=OuterRef("user_id"), partner_id=OuterRef("partner_id"), role__in=(SUPERVISOR, TRAINER)
            )
        )
        on_pathway = Q(mentor_status__isnull=False) & ~Q(mentor_status=status.EXITED)
        return self.filter(on_pathway | staff)

    def awaiting_activation(self):
        """On the way to becoming active: in training or shadowing (a coordinator's "what is still missing")."""
        status = apps.get_model("supervision", "Person").Status
        return self.filter(mentor_status__in=(status.IN_TRAINING, status.SHADOWING))

    def pause_review_due(self, today=None):
        """Paused mentors whose review date has come (the reminders planner asks this daily)."""
        status = apps.get_model("supervision", "Person").Status
        return self.filter(mentor_status=status.PAUSED, pause_review_on__lte=today or timezone.localdate())


class PersonTransitionQuerySet(TenantQuerySet):
    reader_roles = STAFF_ROLES
    own_person_paths = ("person",)


class ShadowingLogQuerySet(TenantQuerySet):
    reader_roles = STAFF_ROLES
    own_person_paths = ("mentor",)

    def hours_on(self, mentor, on_date):
        return self.filter(mentor=mentor, date=on_date).aggregate(total=Sum("hours"))["total"] or Decimal("0")


class MatchQuerySet(TenantQuerySet):
    """Coordinators and supervisors see their partner's matches; a mentor only their own."""

    reader_roles = MATCH_READER_ROLES
    own_person_paths = ("mentor",)

    def active(self):
        return self.filter(status="active")

    def with_contact_counts(self):
        """Annotate `contact_count` and `concern_count`: the match's contact records, and those flagging a
        concern. Figures every reader of the match may see (the licensor too), one subquery each."""
        record = apps.get_model("supervision", "ContactRecord")

        def count(**conditions):
            rows = record.objects.filter(match=OuterRef("pk"), **conditions).order_by().values("match")
            return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), Value(0))

        return self.annotate(contact_count=count(), concern_count=count(concern=True))

    def with_last_contact_on(self):
        """Annotate `last_contact_on`: the day of the match's latest contact record (None before the first)."""
        record = apps.get_model("supervision", "ContactRecord")
        latest = record.objects.filter(match=OuterRef("pk")).order_by("-date").values("date")[:1]
        return self.annotate(last_contact_on=Subquery(latest))


def trained_expression(person_ref="pk"):
    """A boolean expression: the person at `person_ref` (a path from the queryset's model, "pk" on Person itself)
    finished the course (with or without the qualification) or had prior learning recognised. Other querysets use it too, e.g. a group's members:
    GroupMembership.objects.annotate(trained=trained_expression("person"))."""
    prefix = "" if person_ref == "pk" else f"{person_ref}__"
    return models.ExpressionWrapper(
        Q(**{f"{prefix}prior_learning_on__isnull": False}) | finished_course_exists(person_ref),
        output_field=models.BooleanField(),
    )
