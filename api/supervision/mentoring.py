"""Mentoring over HTTP: a match's goals, the mentor's contact records, and matching — the partner's tags, mentor
profiles, declared conflicts and suggestions for a new mentee (API.md, Mentoring).

Views validate shapes and call supervision.mentoring.services; who reads what is the querysets' (the licensor
reads no contact record and no goal: only the figures on /matches/).
"""

from django.db.models import Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.base import ScopedViewSet
from api.fields import TargetPartnerField, VisibleRelatedField
from franchise.models import Partner
from supervision.mentoring import services
from supervision.mentoring.models import MAX_CONTACT_MINUTES, Availability
from supervision.mentoring.suggestions import WEIGHTS, suggest_mentors
from supervision.models import (
    BoundaryIncident,
    ContactRecord,
    Match,
    MatchGoal,
    MatchingTag,
    MentorConflict,
    MentorProfile,
    Person,
)

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


# --- matching -----------------------------------------------------------------------------


class MatchingTagSerializer(serializers.ModelSerializer):
    partner = TargetPartnerField(queryset=Partner.objects.all())
    name = serializers.CharField(max_length=60, help_text="A need or interest, such as `housing`.")

    class Meta:
        model = MatchingTag
        fields = ["id", "partner", "name"]


class MatchingTagViewSet(ScopedViewSet):
    """The partner's list of needs and interests that mentee needs and mentor profiles are described with.
    Coordinators add to it; every member of the partner reads it."""

    queryset = MatchingTag.objects.all()
    serializer_class = MatchingTagSerializer
    filterset_fields = ["partner", "name"]
    http_method_names = ["get", "post", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.add_matching_tag(by=self.request.user, **serializer.validated_data)


class MentorProfileSerializer(serializers.ModelSerializer):
    person = VisibleRelatedField(queryset=Person.objects.all(), help_text="A mentor of the partner.")
    tags = VisibleRelatedField(queryset=MatchingTag.objects.all(), many=True, required=False)
    languages = serializers.ListField(child=serializers.CharField(max_length=40), required=False, max_length=20)
    availability = serializers.ListField(
        child=serializers.ChoiceField(choices=Availability.choices), required=False, max_length=4
    )
    area = serializers.CharField(max_length=100, required=False, allow_blank=True)
    gender = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="Used only for a mentee who asks for it."
    )

    class Meta:
        model = MentorProfile
        fields = ["id", "person", "tags", "languages", "area", "availability", "gender"]


class MentorProfileChangeSerializer(MentorProfileSerializer):
    class Meta(MentorProfileSerializer.Meta):
        read_only_fields = ["person"]


class MentorProfileViewSet(ScopedViewSet):
    """What each mentor offers for matching. The mentor or a coordinator writes it (a POST for a mentor who has
    one changes it); coordinators and the mentor read it."""

    queryset = MentorProfile.objects.prefetch_related(Prefetch("tags", queryset=MatchingTag.objects.only("pk")))
    serializer_class = MentorProfileSerializer
    filterset_fields = ["partner", "person"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return MentorProfileChangeSerializer if self.action == "partial_update" else MentorProfileSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.save_mentor_profile(by=self.request.user, person=data.pop("person"), **data)

    def perform_update(self, serializer):
        serializer.instance = services.save_mentor_profile(
            by=self.request.user, person=serializer.instance.person, **serializer.validated_data
        )


class MentorConflictSerializer(serializers.ModelSerializer):
    mentor = VisibleRelatedField(queryset=Person.objects.all())
    mentee_ref = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="", help_text="The mentee's reference, when known."
    )
    description = serializers.CharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Whom to avoid, in words the coordinator checks against each new mentee.",
    )

    class Meta:
        model = MentorConflict
        fields = ["id", "mentor", "description", "mentee_ref"]


class MentorConflictViewSet(ScopedViewSet):
    """People a mentor must not be matched with. The mentor declares their own (or a coordinator records one);
    only they and the partner's coordinators read them; a conflict that no longer applies is deleted."""

    queryset = MentorConflict.objects.all()
    serializer_class = MentorConflictSerializer
    filterset_fields = ["partner", "mentor", "mentee_ref"]
    http_method_names = ["get", "post", "delete", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.declare_conflict(by=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.withdraw_conflict(by=self.request.user, conflict=instance)


class SuggestionRequestSerializer(serializers.Serializer):
    partner = TargetPartnerField(queryset=Partner.objects.all())
    mentee_ref = serializers.CharField(max_length=40, help_text=NO_NAMES)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=60),
        required=False,
        default=list,
        help_text="Names from the partner's list.",
    )
    language = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    area = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    availability = serializers.ListField(
        child=serializers.ChoiceField(choices=Availability.choices), required=False, default=list
    )
    preferred_gender = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="", help_text="Only when the mentee states one."
    )


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class SuggestionSerializer(serializers.Serializer):
    mentor = serializers.UUIDField(source="mentor.pk")
    score = serializers.IntegerField()
    parts = serializers.DictField(child=serializers.IntegerField(), help_text=f"The score's parts; weights {WEIGHTS}.")
    to_check = ReasonSerializer(many=True, help_text="Conflicts the mentor described in words: check them.")


class ExclusionSerializer(serializers.Serializer):
    mentor = serializers.UUIDField(source="mentor.pk")
    reasons = ReasonSerializer(many=True)


class SuggestionsSerializer(serializers.Serializer):
    suggestions = SuggestionSerializer(many=True)
    excluded = ExclusionSerializer(many=True)


class MatchSuggestionsView(APIView):
    """For a new mentee, the partner's mentors who could take them, best first with the parts of each score, and
    every mentor who cannot with the reasons (`at_capacity`, `paused`, `conflict`, `open_incident`,
    `gender_preference`). The partner's coordinators only. Nothing is written."""

    @extend_schema(request=SuggestionRequestSerializer, responses={200: SuggestionsSerializer})
    def post(self, request):
        body = SuggestionRequestSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        found = suggest_mentors(by=request.user, **body.validated_data)
        return Response(SuggestionsSerializer(found).data)
