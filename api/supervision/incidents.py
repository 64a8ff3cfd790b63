"""Boundary incidents over HTTP: incidents, their actions, the supervision agenda, and the fidelity figures.

Lists never carry an incident's description or immediate action, for anyone:
those are read one incident at a time (GET /incidents/{id}/), and each such
read is written to the incident's access log.
"""

from django.db.models import Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from api.base import ScopedFilterBackend, ScopedViewSet
from api.fields import DateTimeField, VisibleRelatedField
from api.serializers import ListSerializer
from franchise.models import BoundaryRule, Partner
from supervision.incidents import services as incidents
from supervision.incidents.rules import may_read_reflection
from supervision.incidents.stats import incident_stats, stats_scope
from supervision.models import (
    BoundaryIncident,
    IncidentAccess,
    IncidentAction,
    IncidentDiscussion,
    IncidentTransition,
    Match,
    Person,
    SupervisionSession,
)

# --- incidents ------------------------------------------------------------------------

SUMMARY_FIELDS = [
    "id",
    "partner",
    "reporter",
    "mentor",
    "match",
    "rule",
    "category",
    "severity",
    "occurred_at",
    "status",
    "review_due_at",
    "reviewed_at",
    "escalated_at",
    "closed_at",
]


class IncidentSummarySerializer(serializers.ModelSerializer):
    """An incident without its account of what happened: what lists show."""

    class Meta:
        model = BoundaryIncident
        fields = SUMMARY_FIELDS
        read_only_fields = fields
        list_serializer_class = ListSerializer


class IncidentTransitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentTransition
        fields = ["from_status", "to_status", "at", "by", "note"]
        read_only_fields = fields


class IncidentDiscussionSerializer(serializers.ModelSerializer):
    note = serializers.SerializerMethodField(
        help_text="The reflective note; null for callers who are neither a coordinator nor a party to the session."
    )

    class Meta:
        model = IncidentDiscussion
        fields = ["id", "incident", "session", "note", "recorded_by", "recorded_at"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_note(self, discussion):
        request = self.context.get("request")
        return discussion.note if request and may_read_reflection(discussion, request.user) else None


class IncidentSerializer(IncidentSummarySerializer):
    """One incident in full: its account, its chronology and its reflections in supervision."""

    chronology = IncidentTransitionSerializer(source="transitions", many=True, read_only=True)
    discussions = IncidentDiscussionSerializer(many=True, read_only=True)
    allowed_transitions = serializers.ListField(
        child=serializers.ChoiceField(choices=BoundaryIncident.Status.choices),
        read_only=True,
        help_text="The statuses the workflow allows next.",
    )

    class Meta:
        model = BoundaryIncident
        fields = [
            *SUMMARY_FIELDS,
            "description",
            "immediate_action",
            "policy_version",
            "allowed_transitions",
            "chronology",
            "discussions",
        ]
        read_only_fields = fields


class IncidentReportSerializer(serializers.Serializer):
    """A new incident. Partner and reporter come from the mentor and the caller."""

    mentor = VisibleRelatedField(queryset=Person.objects.all(), help_text="The mentor involved.")
    match = VisibleRelatedField(queryset=Match.objects.all(), required=False, allow_null=True, default=None)
    rule = VisibleRelatedField(
        queryset=BoundaryRule.objects.all(),
        help_text="A rule of the partner's policy when the incident occurred.",
    )
    category = serializers.ChoiceField(
        choices=BoundaryRule.Category.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text="The rule's by default.",
    )
    severity = serializers.ChoiceField(choices=BoundaryIncident.Severity.choices)
    occurred_at = DateTimeField()
    description = serializers.CharField()
    immediate_action = serializers.CharField(required=False, allow_blank=True, default="")


class IncidentUpdateSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=BoundaryRule.Category.choices, required=False)
    severity = serializers.ChoiceField(choices=BoundaryIncident.Severity.choices, required=False)
    immediate_action = serializers.CharField(required=False, allow_blank=True)


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=BoundaryIncident.Status.choices)
    note = serializers.CharField(allow_blank=True, help_text="Why; kept in the incident's chronology.")


class IncidentAccessSerializer(serializers.ModelSerializer):
    user_name = serializers.CharField(source="user.name", default=None, read_only=True)

    class Meta:
        model = IncidentAccess
        fields = ["at", "user", "user_name", "action", "detail"]
        read_only_fields = fields


class AgendaItemSerializer(serializers.ModelSerializer):
    """What a supervisor needs to bring an incident up: no account, no reporter."""

    class Meta:
        model = BoundaryIncident
        fields = ["id", "rule", "category", "severity", "occurred_at", "status"]
        read_only_fields = fields


class AgendaQuerySerializer(serializers.Serializer):
    session = serializers.UUIDField()


class DiscussionSerializer(serializers.Serializer):
    incident = serializers.UUIDField(help_text="An incident on the session's agenda.")
    session = VisibleRelatedField(queryset=SupervisionSession.objects.all())
    note = serializers.CharField(help_text="The reflective note recorded in supervision.")


class IncidentFilter(filters.FilterSet):
    occurred_after = filters.DateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = filters.DateTimeFilter(field_name="occurred_at", lookup_expr="lt")
    open = filters.BooleanFilter(method="filter_open", label="Open (true) or closed (false) incidents")

    class Meta:
        model = BoundaryIncident
        fields = ["partner", "status", "severity", "category", "mentor", "rule"]

    def filter_open(self, queryset, name, value):
        return queryset.open() if value else queryset.filter(status=BoundaryIncident.Status.CLOSED)


_ILLEGAL = OpenApiResponse(description="The workflow does not allow this move; `allowed` names the moves it does.")


class IncidentViewSet(ScopedViewSet):
    """Boundary incidents. The partner's coordinators see all of its incidents; a reporter the ones they
    reported; a supervisor those about the mentors they supervise when the partner's policy allows it;
    the licensor an incident once it has been escalated. Anyone else: 404.

    The list never includes the description or immediate action; the detail does, and each read of it is
    written to the access log. Incidents are records and are never deleted.
    """

    queryset = BoundaryIncident.objects.all()
    # Never the account (description, immediate action): the list does not show it, so it is not even read. Its
    # fields are all columns, read as plain values (api.serializers.ListSerializer), with no model row built.
    list_queryset = BoundaryIncident.objects.values(*SUMMARY_FIELDS)
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                "transitions",
                Prefetch(
                    "discussions",
                    queryset=IncidentDiscussion.objects.select_related("session__supervisor", "session__supervisee"),
                ),
            )
        return queryset

    def get_serializer_class(self):
        return {
            "list": IncidentSummarySerializer,
            "create": IncidentReportSerializer,
            "partial_update": IncidentUpdateSerializer,
        }.get(self.action, IncidentSerializer)

    def _full(self, incident):
        return IncidentSerializer(incident, context=self.get_serializer_context()).data

    @extend_schema(request=IncidentReportSerializer, responses={201: IncidentSerializer})
    def create(self, request, *args, **kwargs):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = incidents.report_incident(by=request.user, **body.validated_data)
        return Response(self._full(incident), status=status.HTTP_201_CREATED)

    @extend_schema(responses=IncidentSerializer)
    def retrieve(self, request, *args, **kwargs):
        """One incident in full. Every call is written to the incident's access log."""
        incident = self.get_object()
        incidents.record_read(incident=incident, by=request.user)
        return Response(self._full(incident))

    @extend_schema(request=IncidentUpdateSerializer, responses=IncidentSummarySerializer)
    def partial_update(self, request, *args, **kwargs):
        """A coordinator corrects the category, severity or immediate action; the description stays as reported."""
        incident = self.get_object()
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = incidents.update_incident(by=request.user, incident=incident, **body.validated_data)
        return Response(IncidentSummarySerializer(incident, context=self.get_serializer_context()).data)

    @extend_schema(request=TransitionSerializer, responses={200: IncidentSummarySerializer, 409: _ILLEGAL})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the incident on: reported → under_review → action_agreed → closed, or → escalated from
        reported or under_review; from escalated the licensor or a coordinator moves it to action_agreed or
        closed. Closing needs every action done or dropped, and (unless it is a safeguarding matter) a
        reflective note recorded in supervision: 400 with `unmet` otherwise."""
        incident = self.get_object()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = incidents.transition_incident(by=request.user, incident=incident, **body.validated_data)
        return Response(IncidentSummarySerializer(incident, context=self.get_serializer_context()).data)

    @extend_schema(responses=IncidentAccessSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="access-log")
    def access_log(self, request, pk=None):
        """Who read or changed the incident, oldest first: for the partner's coordinators and the licensor."""
        incident = self.get_object()
        incidents.require_log_reader(request.user, incident)
        page = self.paginate_queryset(incident.access_log.select_related("user").order_by("at", "created_at"))
        return self.get_paginated_response(IncidentAccessSerializer(page, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("session", str, required=True, description="A supervision session's id.")],
        responses=AgendaItemSerializer(many=True),
    )
    @action(detail=False, methods=["get"], filterset_class=None)
    def agenda(self, request):
        """The open incidents (safeguarding matters aside) on a session's agenda: a 1:1's supervisee's, for
        the supervisor and the partner's coordinators; a peer-group session's members', for each member's own
        coordinators only."""
        query = AgendaQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        session = SupervisionSession.objects.visible_to(request.user).filter(pk=query.validated_data["session"]).first()
        if session is None:
            raise NotFound("No such session.")
        page = self.paginate_queryset(incidents.agenda_for(by=request.user, session=session))
        return self.get_paginated_response(AgendaItemSerializer(page, many=True).data)

    @extend_schema(request=DiscussionSerializer, responses={201: IncidentDiscussionSerializer})
    @action(detail=False, methods=["post"], filterset_class=None)
    def discussions(self, request):
        """Record the reflective note on an agenda incident discussed in a supervision session (its
        supervisor or a coordinator). A non-safeguarding incident closes only once one exists."""
        body = DiscussionSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        discussion = incidents.record_discussion(by=request.user, **body.validated_data)
        return Response(
            IncidentDiscussionSerializer(discussion, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


# --- actions --------------------------------------------------------------------------


class IncidentActionSerializer(serializers.ModelSerializer):
    incident = VisibleRelatedField(queryset=BoundaryIncident.objects.all())
    owner = VisibleRelatedField(queryset=Person.objects.all(), allow_null=True, required=False)
    session = VisibleRelatedField(
        queryset=SupervisionSession.objects.all(),
        allow_null=True,
        required=False,
        help_text="The supervision session where it was agreed.",
    )

    class Meta:
        model = IncidentAction
        fields = ["id", "incident", "owner", "description", "due_on", "done_at", "dropped_at", "drop_note", "session"]
        read_only_fields = ["id", "done_at", "dropped_at", "drop_note"]


class IncidentActionUpdateSerializer(IncidentActionSerializer):
    incident = serializers.PrimaryKeyRelatedField(read_only=True)


class DropSerializer(serializers.Serializer):
    note = serializers.CharField(allow_blank=True, help_text="Why the action will not be done.")


class IncidentActionFilter(filters.FilterSet):
    open = filters.BooleanFilter(method="filter_open", label="Neither done nor dropped (true), or settled (false)")

    class Meta:
        model = IncidentAction
        fields = ["incident", "owner"]

    def filter_open(self, queryset, name, value):
        condition = {"done_at__isnull": True, "dropped_at__isnull": True}
        return queryset.filter(**condition) if value else queryset.exclude(**condition)


class IncidentActionViewSet(ScopedViewSet):
    """What was agreed to put an incident right. Seen with the incident; the partner's coordinators (and the
    licensor while the incident is escalated) add, change, complete and drop actions."""

    queryset = IncidentAction.objects.all()
    serializer_class = IncidentActionSerializer
    filterset_class = IncidentActionFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return IncidentActionUpdateSerializer if self.action == "partial_update" else IncidentActionSerializer

    def perform_create(self, serializer):
        serializer.instance = incidents.add_action(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = incidents.update_action(
            by=self.request.user, action=serializer.instance, **serializer.validated_data
        )

    @extend_schema(request=None, responses=IncidentActionSerializer)
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        item = incidents.complete_action(by=request.user, action=self.get_object())
        return Response(IncidentActionSerializer(item, context=self.get_serializer_context()).data)

    @extend_schema(request=DropSerializer, responses=IncidentActionSerializer)
    @action(detail=True, methods=["post"])
    def drop(self, request, pk=None):
        item = self.get_object()
        body = DropSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = incidents.drop_action(by=request.user, action=item, note=body.validated_data["note"])
        return Response(IncidentActionSerializer(item, context=self.get_serializer_context()).data)


# --- fidelity figures -----------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$", "example": "2026-11"})
class MonthField(serializers.DateField):
    """A calendar month, `YYYY-MM` (a date would claim a day the figures do not have)."""

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m", **kwargs)


class IncidentStatsSerializer(serializers.Serializer):
    partner = serializers.UUIDField()
    month = MonthField(help_text="The month the incidents occurred in (YYYY-MM).")
    category = serializers.ChoiceField(choices=BoundaryRule.Category.choices)
    severity = serializers.ChoiceField(choices=BoundaryIncident.Severity.choices)
    count = serializers.IntegerField()
    review_due = serializers.IntegerField(
        help_text="Incidents whose review is due by now: reviewed, or past the deadline."
    )
    reviewed_on_time = serializers.IntegerField(help_text="Incidents reviewed within the policy's deadline.")
    reviewed_on_time_share = serializers.FloatField(
        allow_null=True, help_text="reviewed_on_time / review_due, between 0 and 1; null while nothing is due."
    )


class IncidentStatsFilter(filters.FilterSet):
    partner = filters.ModelChoiceFilter(queryset=Partner.objects.all())
    category = filters.ChoiceFilter(choices=BoundaryRule.Category.choices)
    severity = filters.ChoiceFilter(choices=BoundaryIncident.Severity.choices)
    occurred_after = filters.DateFilter(field_name="occurred_at", lookup_expr="date__gte")
    occurred_before = filters.DateFilter(field_name="occurred_at", lookup_expr="date__lt")

    class Meta:
        model = BoundaryIncident
        fields = ["partner", "category", "severity", "occurred_after", "occurred_before"]


class IncidentStatsViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Fidelity figures: incident counts per partner, month, category and severity, with the share reviewed
    within the policy's deadline. The licensor reads every partner's, a coordinator their partner's. Counts
    only: never a description, never a person."""

    queryset = BoundaryIncident.objects.none()
    serializer_class = IncidentStatsSerializer
    filter_backends = [ScopedFilterBackend]
    filterset_class = IncidentStatsFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return BoundaryIncident.objects.none()
        return stats_scope(self.request.user)

    def list(self, request, *args, **kwargs):
        rows = incident_stats(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
