"""Supervision's people over HTTP: people and their mentor pathway, shadowing logs, matches.

Views validate shapes and call supervision.people.services; the rules live there and in supervision.people.rules.
"""

from django.db.models import Prefetch
from django.utils.functional import cached_property
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from api.base import ScopedViewSet
from api.fields import TargetPartnerField, VisibleRelatedField
from api.schema import illegal_transition_response, unmet_response
from api.serializers import ListSerializer
from api.supervision.mentoring import GoalSerializer
from core.tenancy import COORDINATOR, access_for
from franchise.models import Partner
from supervision.mentoring.rules import reads_mentoring_text
from supervision.models import Match, MatchGoal, MentorStatus, Person, PersonTransition, ShadowingLog
from supervision.people import services

_UNMET = unmet_response("Invalid input, or a business rule is not met: every unmet requirement, each with a code.")
_ILLEGAL = illegal_transition_response()


# --- people ---------------------------------------------------------------------------


class PersonSerializer(serializers.ModelSerializer):
    user = serializers.UUIDField(
        source="user_id",
        allow_null=True,
        required=False,
        help_text="The id of a user holding a role in the partner, when the person logs in.",
    )
    shadowing_hours = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True)
    trained = serializers.BooleanField(
        read_only=True,
        help_text="A passed enrolment, a completed non-accredited one, or prior learning recognised (prior_learning_on).",
    )
    calendar_url = serializers.SerializerMethodField(
        help_text="The secret iCalendar feed of the person's sessions: shown to the person and their coordinators."
    )

    class Meta:
        model = Person
        fields = [
            "id",
            "partner",
            "name",
            "email",
            "user",
            "mentor_status",
            "shadowing_hours",
            "trained",
            "prior_learning_on",
            "background_check_on",
            "pause_reason",
            "pause_review_on",
            "calendar_url",
        ]
        # The status moves only through …/transition/, which also sets the pause fields.
        read_only_fields = ["partner", "mentor_status", "pause_reason", "pause_review_on"]
        list_serializer_class = ListSerializer

    @extend_schema_field(OpenApiTypes.URI)
    def get_calendar_url(self, person):
        caller = self._calendar_readers
        if caller is None:
            return None
        user_id, every_partner, coordinated = caller
        if person.user_id is not None and person.user_id == user_id:
            return person.calendar_url
        if every_partner or person.partner_id in coordinated:
            return person.calendar_url
        return None

    @cached_property
    def _calendar_readers(self):
        """(the caller's user id, a licensor?, the partners they coordinate), worked out once per request: a
        list asks for every row. None without a caller."""
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None:
            return None
        access = access_for(user)
        return user.pk, access.is_licensor, frozenset(access.partner_ids([COORDINATOR]))


class NewPersonSerializer(PersonSerializer):
    partner = TargetPartnerField(queryset=Partner.objects.all(), help_text="The partner the person belongs to.")
    mentor_status = serializers.CharField(
        allow_null=True,
        required=False,
        help_text="`applicant` (the default) for a volunteer, or null for someone not on the mentor pathway "
        "(staff, learners only). Later steps are transitions.",
    )

    class Meta(PersonSerializer.Meta):
        read_only_fields = ["pause_reason", "pause_review_on"]


class PersonFilter(filters.FilterSet):
    # Bounded like the name itself: an icontains is a LIKE, and SQLite refuses a very long pattern with a 500.
    name = filters.CharFilter(lookup_expr="icontains", max_length=200, help_text="Part of the name.")
    trained = filters.BooleanFilter(
        help_text="Finished the course (passed, or completed without the qualification) or had prior learning recognised."
    )
    user = filters.UUIDFilter(field_name="user_id")
    mentor_status = filters.MultipleChoiceFilter(choices=MentorStatus.choices)
    on_pathway = filters.BooleanFilter(
        field_name="mentor_status", lookup_expr="isnull", exclude=True, help_text="On the mentor pathway at all."
    )

    class Meta:
        model = Person
        fields = ["partner", "name", "mentor_status", "trained", "user", "on_pathway"]


class MentorTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=MentorStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    review_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="Needed for a pause.")


class PersonTransitionSerializer(serializers.ModelSerializer):
    from_status = serializers.ChoiceField(choices=MentorStatus.choices, allow_null=True, read_only=True)
    to_status = serializers.ChoiceField(choices=MentorStatus.choices, read_only=True)

    class Meta:
        model = PersonTransition
        fields = ["id", "person", "from_status", "to_status", "at", "by", "reason", "review_on"]
        read_only_fields = fields


class PersonViewSet(ScopedViewSet):
    """The partner's people and the mentor pathway: applicant → in training → shadowing → active ⇄ paused → exited.

    Coordinators (and the licensor) register and change people and move them on;
    supervisors and trainers read; a mentor reads their own Person only.
    """

    queryset = Person.objects.for_listing()
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return NewPersonSerializer if self.action == "create" else PersonSerializer

    def _fresh(self, person):
        return Person.objects.for_listing().get(pk=person.pk)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data["user"] = data.pop("user_id", None)
        person = services.create_person(by=self.request.user, **data)
        serializer.instance = self._fresh(person)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if "user_id" in data:
            data["user"] = data.pop("user_id")
        person = services.update_person(by=self.request.user, person=serializer.instance, **data)
        serializer.instance = self._fresh(person)

    @extend_schema(
        request=MentorTransitionSerializer,
        responses={200: PersonSerializer, 400: _UNMET, 409: _ILLEGAL},
        description="Move the person along the mentor pathway. Becoming `active` checks every requirement at once "
        "(400 with `unmet`); a pause needs `reason` and `review_on`; an illegal move is a 409 naming the allowed ones.",
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        person = self.get_object()
        body = MentorTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        person = services.transition_person(by=request.user, person=person, **body.validated_data)
        return Response(self.get_serializer(self._fresh(person)).data)

    @extend_schema(responses=PersonTransitionSerializer(many=True), description="Every move, newest first.")
    @action(detail=True, methods=["get"], pagination_class=None)
    def transitions(self, request, pk=None):
        person = self.get_object()
        moves = PersonTransition.objects.filter(person=person).order_by("-at")
        return Response(PersonTransitionSerializer(moves, many=True).data)

    @extend_schema(
        request=None,
        responses={200: PersonSerializer},
        description="A new secret calendar URL; the old one stops working at once. The person or a coordinator.",
    )
    @action(detail=True, methods=["post"], url_path="calendar/regenerate")
    def regenerate_calendar(self, request, pk=None):
        person = self.get_object()
        person = services.regenerate_calendar_secret(by=request.user, person=person)
        return Response(self.get_serializer(self._fresh(person)).data)


# --- shadowing ------------------------------------------------------------------------


class ShadowingLogSerializer(serializers.ModelSerializer):
    mentor = VisibleRelatedField(queryset=Person.objects.all())
    shadowed = VisibleRelatedField(
        queryset=Person.objects.all(), help_text="A coordinator, supervisor or trainer of the partner."
    )
    hours = serializers.DecimalField(
        max_digits=4, decimal_places=2, help_text="More than 0; at most 12 a day across the mentor's logs."
    )

    class Meta:
        model = ShadowingLog
        fields = ["id", "mentor", "shadowed", "date", "hours", "note"]


class ShadowingLogFilter(filters.FilterSet):
    class Meta:
        model = ShadowingLog
        fields = {"partner": ["exact"], "mentor": ["exact"], "shadowed": ["exact"], "date": ["exact", "gte", "lte"]}


class ShadowingLogViewSet(ScopedViewSet):
    """Hours mentors-to-be spent shadowing staff. Coordinators and supervisors log and correct; a mentor reads
    their own."""

    queryset = ShadowingLog.objects.all()
    serializer_class = ShadowingLogSerializer
    filterset_class = ShadowingLogFilter
    http_method_names = ["get", "post", "delete", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.log_shadowing(by=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.delete_shadowing_log(by=self.request.user, log=instance)


# --- matches --------------------------------------------------------------------------


class MatchSerializer(serializers.ModelSerializer):
    mentor = VisibleRelatedField(queryset=Person.objects.all())
    mentee_ref = serializers.CharField(
        max_length=40, help_text="The mentee's pseudonymous reference (no spaces), never a name."
    )
    started_on = serializers.DateField(required=False, help_text="Today when left out.")
    goals = GoalSerializer(
        many=True,
        read_only=True,
        help_text="The goals agreed with the mentee (written through /match-goals/). Empty for the licensor, who "
        "reads figures.",
    )
    outcome = serializers.ChoiceField(
        choices=Match.Outcome.choices,
        read_only=True,
        allow_null=True,
        help_text="Set when the match ends (…/end/); null until then.",
    )
    outcome_note = serializers.CharField(
        read_only=True, allow_null=True, help_text="How it ended, in words; null for the licensor, who reads figures."
    )
    contact_count = serializers.IntegerField(read_only=True, help_text="Contact records of the match.")
    concern_count = serializers.IntegerField(read_only=True, help_text="Of them, those that flag a concern.")

    class Meta:
        model = Match
        fields = [
            "id",
            "partner",
            "mentor",
            "mentee_ref",
            "status",
            "started_on",
            "ended_on",
            "goals",
            "outcome",
            "outcome_note",
            "contact_count",
            "concern_count",
        ]
        read_only_fields = ["partner", "status", "ended_on"]

    def to_representation(self, match):
        data = super().to_representation(match)
        data["outcome"] = data["outcome"] or None
        request = self.context.get("request")
        if request is not None and not reads_mentoring_text(request.user, match.partner_id):
            data["outcome_note"] = None
        return data


class EndMatchSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Match.Outcome.choices, help_text="What came of it for the mentee.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    ended_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="Today when left out.")


class MatchFilter(filters.FilterSet):
    class Meta:
        model = Match
        fields = ["partner", "mentor", "status", "mentee_ref", "outcome"]


class MatchViewSet(ScopedViewSet):
    """Mentors and their mentees (by reference only), the goals agreed with the mentee and how each match ended.
    Coordinators propose matches (a POST is `proposed`), approve them (…/approve/) and end them; the mentor or a coordinator agrees goals; supervisors read; a mentor reads
    their own; the licensor reads matches and their figures, not their words. Matches are ended, never deleted."""

    queryset = Match.objects.with_contact_counts()
    serializer_class = MatchSerializer
    filterset_class = MatchFilter
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        goals = MatchGoal.objects.visible_to(self.request.user).order_by("created_at", "id")
        return super().get_queryset().prefetch_related(Prefetch("goals", queryset=goals))

    def _fresh(self, match):
        return self.get_queryset().get(pk=match.pk)

    def perform_create(self, serializer):
        match = services.create_match(by=self.request.user, **serializer.validated_data)
        serializer.instance = self._fresh(match)

    @extend_schema(
        request=None,
        responses={200: MatchSerializer, 400: _UNMET, 409: _ILLEGAL},
        description="Make a proposed match active (a coordinator; a second one where the partner has more than "
        "one: unmet `second_coordinator_needed`); the mentor is told. A match that is not proposed is a 409.",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        match = self.get_object()
        match = services.approve_match(by=request.user, match=match)
        return Response(MatchSerializer(self._fresh(match), context=self.get_serializer_context()).data)

    @extend_schema(request=EndMatchSerializer, responses={200: MatchSerializer, 409: _ILLEGAL})
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        match = self.get_object()
        body = EndMatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        match = services.end_match(by=request.user, match=match, **body.validated_data)
        return Response(MatchSerializer(self._fresh(match), context=self.get_serializer_context()).data)
