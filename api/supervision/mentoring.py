"""Mentoring over HTTP: a match's goals and the mentor's contact records (API.md, Mentoring).

Views validate shapes and call supervision.mentoring.services; who reads what is the querysets' (the licensor
reads no contact record and no goal: only the figures on /matches/).
"""

from django.db.models import Prefetch
from django_filters import rest_framework as filters
from rest_framework import serializers

from api.base import ScopedViewSet
from api.fields import VisibleRelatedField
from supervision.mentoring import services
from supervision.mentoring.models import MAX_CONTACT_MINUTES
from supervision.models import BoundaryIncident, ContactRecord, Match, MatchGoal

NO_NAMES = "Refer to the mentee by their reference, never by name."


class GoalSerializer(serializers.ModelSerializer):
    """A goal as a match lists it."""

    text = serializers.CharField(max_length=200, help_text=f"A few words agreed with the mentee. {NO_NAMES}")
    status = serializers.ChoiceField(choices=MatchGoal.Status.choices, required=False, help_text="`agreed` at first.")

    class Meta:
        model = MatchGoal
        fields = ["id", "text", "status"]


class MatchGoalSerializer(GoalSerializer):
    match = VisibleRelatedField(queryset=Match.objects.all(), help_text="An active match.")

    class Meta(GoalSerializer.Meta):
        fields = ["id", "match", "text", "status"]


class MatchGoalChangeSerializer(MatchGoalSerializer):
    class Meta(MatchGoalSerializer.Meta):
        read_only_fields = ["match"]


class MatchGoalFilter(filters.FilterSet):
    class Meta:
        model = MatchGoal
        fields = ["partner", "match", "status"]


class MatchGoalViewSet(ScopedViewSet):
    """The goals each match agrees with its mentee. The match's mentor or a coordinator adds and moves them on
    (while the match is active); the partner's supervisors read them. Kept once agreed, never deleted."""

    queryset = MatchGoal.objects.all()
    serializer_class = MatchGoalSerializer
    filterset_class = MatchGoalFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return MatchGoalChangeSerializer if self.action == "partial_update" else MatchGoalSerializer

    def perform_create(self, serializer):
        serializer.instance = services.add_goal(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_goal(
            by=self.request.user, goal=serializer.instance, **serializer.validated_data
        )


class ContactRecordSerializer(serializers.ModelSerializer):
    match = VisibleRelatedField(queryset=Match.objects.all(), help_text="One of the caller's own matches.")
    duration_minutes = serializers.IntegerField(min_value=1, max_value=MAX_CONTACT_MINUTES)
    mode = serializers.ChoiceField(choices=ContactRecord.Mode.choices)
    place = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text=f"Where, if it matters. {NO_NAMES}"
    )
    summary = serializers.CharField(
        max_length=services.MAX_SUMMARY, help_text=f"What was worked on, in a few lines. {NO_NAMES}"
    )
    goals = VisibleRelatedField(
        queryset=MatchGoal.objects.all(),
        many=True,
        required=False,
        default=list,
        help_text="The match's goals this contact touched.",
    )
    concern = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Something worried the mentor: a boundary incident or a safeguarding referral may be needed.",
    )
    incident = VisibleRelatedField(
        queryset=BoundaryIncident.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The incident the mentor reported about this concern (needs `concern`).",
    )

    class Meta:
        model = ContactRecord
        fields = ["id", "match", "date", "duration_minutes", "mode", "place", "summary", "goals", "concern", "incident"]


class ContactRecordChangeSerializer(ContactRecordSerializer):
    class Meta(ContactRecordSerializer.Meta):
        read_only_fields = ["match"]


class ContactRecordFilter(filters.FilterSet):
    class Meta:
        model = ContactRecord
        fields = {
            "partner": ["exact"],
            "match": ["exact"],
            "mode": ["exact"],
            "concern": ["exact"],
            "date": ["exact", "gte", "lte"],
        }


class ContactRecordViewSet(ScopedViewSet):
    """A mentor's record of each contact with their mentee. The match's mentor writes (and corrects) their own;
    the partner's supervisors and coordinators read; the licensor reads none (only /matches/' counts)."""

    queryset = ContactRecord.objects.prefetch_related(Prefetch("goals", queryset=MatchGoal.objects.only("pk")))
    serializer_class = ContactRecordSerializer
    filterset_class = ContactRecordFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return ContactRecordChangeSerializer if self.action == "partial_update" else ContactRecordSerializer

    def perform_create(self, serializer):
        serializer.instance = services.record_contact(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_contact(
            by=self.request.user, record=serializer.instance, **serializer.validated_data
        )
