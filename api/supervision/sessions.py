"""Peer groups, the toolkit, supervision sessions and series, agreed actions, compliance and calendar feeds over
HTTP.

Views validate shapes and call supervision.sessions.services; the rules live
there and in supervision.sessions.rules. People of another partner (members of
an external group) are referred to by id and checked by the services against
the group or session, never looked up through the caller's own people.
"""

import uuid

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET
from django_filters import rest_framework as filters
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from api.base import ScopedFilterBackend, ScopedViewSetMixin
from api.fields import BlankAsNullCharField, DateTimeField, TargetPartnerField, VisibleRelatedField
from api.schema import illegal_transition_response, unmet_response
from api.serializers import ListSerializer
from core.errors import NotFound
from core.tenancy import COORDINATOR, MENTOR, SUPERVISOR, access_for, feed_is_open
from franchise.models import Partner
from supervision.models import (
    GroupInvitation,
    GroupMembership,
    Person,
    SessionAction,
    SessionAttendance,
    SupervisionGroup,
    SupervisionSeries,
    SupervisionSession,
    ToolkitProcess,
)
from supervision.sessions import calendar, compliance, services

_UNMET = unmet_response(
    "Invalid input, or a rule of the owning partner's policy is not met (`unmet`: `group_too_small`, "
    "`group_too_large`, `trained_majority`, `not_equal_standing` naming the pair, …)."
)
_ILLEGAL = illegal_transition_response("Not allowed from the current status; `allowed` names the statuses that are.")
_PERSON_ID = OpenApiParameter("person_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The member.")
_CLASH = OpenApiResponse(
    description='Invalid input, or a clash: `{"attendees": ["<name> is already booked from … (session <id>)."]}`.'
)


class CreatorRoles(permissions.IsAuthenticated):
    """Creating needs one of the view's `create_roles` in some partner (or the licensor): a mentor's attempt is a
    403 before the body, with ids they cannot see, is read. The services still check the partner written to."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if getattr(view, "action", None) != "create":
            return True
        access = access_for(request.user)
        return access.is_licensor or bool(access.partner_ids(view.create_roles))


class _WriteViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    permission_classes = [CreatorRoles]
    create_roles = (COORDINATOR, SUPERVISOR)


# --- groups ---------------------------------------------------------------------------


AWAITING_CONSENT = "Awaiting their coordinator's consent"


class GroupMemberSerializer(serializers.ModelSerializer):
    person = serializers.UUIDField(
        source="person_id",
        read_only=True,
        allow_null=True,
        help_text="Null for a proposed guest member, to all but their own partner and the licensor, until consent.",
    )
    name = serializers.CharField(source="person.name", read_only=True)
    consented = serializers.BooleanField(
        read_only=True, help_text="False while the member's own coordinator has not consented (external groups)."
    )

    class Meta:
        model = GroupMembership
        fields = ["person", "name", "opted_in_at", "opt_in", "consented"]
        read_only_fields = fields
        extra_kwargs = {
            "opt_in": {
                "help_text": "`own`: they opted in themselves (an invitation accepted); `signed`: a "
                "coordinator recorded their signed opt-in, `opted_in_at` being the date it was signed."
            }
        }

    def to_representation(self, membership):
        data = super().to_representation(membership)
        if not membership.consented:
            # Proposed by the licensor, not yet put forward by their own partner: who they are is not yet the
            # owning partner's (or another guest's) to know.
            request = self.context.get("request")
            access = access_for(getattr(request, "user", None))
            if not (access.is_licensor or membership.person.partner_id in access.roles_by_partner):
                data["person"] = None
                data["name"] = AWAITING_CONSENT
        return data


class GroupInvitationSerializer(serializers.ModelSerializer):
    person = serializers.UUIDField(source="person_id", read_only=True)
    name = serializers.CharField(source="person.name", read_only=True)
    invited_at = DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = GroupInvitation
        fields = ["person", "name", "invited_at"]
        read_only_fields = fields


class SupervisionGroupSerializer(serializers.ModelSerializer):
    members = GroupMemberSerializer(many=True, read_only=True, source="memberships")
    invitations = serializers.SerializerMethodField(
        help_text="Pending invitations: every one to the coordinators of the invited person's partner and the "
        "licensor; to anyone else only their own."
    )
    guest_partners = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Partner.objects.exclude(status=Partner.Status.EXITED),
        help_text="External groups: partners whose coordinators may put their own people forward.",
    )
    calendar_url = serializers.SerializerMethodField(help_text="The group's secret iCalendar feed; no login needed.")

    class Meta:
        model = SupervisionGroup
        fields = [
            "id",
            "partner",
            "name",
            "kind",
            "status",
            "rrule",
            "guest_partners",
            "members",
            "invitations",
            "calendar_url",
            "activated_at",
            "closed_at",
        ]
        read_only_fields = ["partner", "kind", "status", "activated_at", "closed_at"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_calendar_url(self, group):
        return group_calendar_url(group)

    @extend_schema_field(GroupInvitationSerializer(many=True))
    def get_invitations(self, group):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        access = access_for(user)
        pending = getattr(group, "pending_invitations", None)
        if pending is None:
            pending = list(group.invitations.filter(status=GroupInvitation.Status.PENDING).select_related("person"))
        shown = [
            invitation
            for invitation in pending
            if access.is_licensor
            or access.has_role(invitation.person.partner_id, (COORDINATOR,))
            or invitation.person.user_id == getattr(user, "pk", None)
        ]
        return GroupInvitationSerializer(shown, many=True, context=self.context).data

    def to_representation(self, group):
        data = super().to_representation(group)
        request = self.context.get("request")
        access = access_for(getattr(request, "user", None))
        if not (access.is_licensor or group.partner_id in access.roles_by_partner):
            # A guest partner learns of no other guest partner than itself.
            data["guest_partners"] = [
                pid for pid in data["guest_partners"] if uuid.UUID(str(pid)) in access.roles_by_partner
            ]
        return data


class NewSupervisionGroupSerializer(SupervisionGroupSerializer):
    partner = TargetPartnerField(queryset=Partner.objects.all(), help_text="The owning partner.")
    kind = serializers.ChoiceField(choices=SupervisionGroup.Kind.choices, default=SupervisionGroup.Kind.INTERNAL)

    class Meta(SupervisionGroupSerializer.Meta):
        read_only_fields = ["status", "activated_at", "closed_at"]


class AddMemberSerializer(serializers.Serializer):
    person = VisibleRelatedField(
        queryset=Person.objects.all(), help_text="One of your own partner's people (your consent as their partner)."
    )
    opted_in_at = DateTimeField(required=False, help_text="The date their signed opt-in was signed; now when left out.")


class InviteSerializer(serializers.Serializer):
    person = VisibleRelatedField(
        queryset=Person.objects.all(), help_text="One of your own partner's people; they accept or decline."
    )


class SupervisionGroupFilter(filters.FilterSet):
    class Meta:
        model = SupervisionGroup
        fields = ["partner", "kind", "status"]


def group_calendar_url(group):
    from django.conf import settings

    return f"{settings.TANDEM_SITE_URL}/calendar/group/{group.calendar_secret}.ics"


class SupervisionGroupViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, _WriteViewSet):
    """Peer-supervision groups. The owning partner's coordinators create, change, activate and close them.

    Membership is voluntary. A coordinator of the person's own partner invites
    them (`invite/`) and they accept (`join/`) or decline (`decline/`)
    themselves, or the coordinator records their signed opt-in (`members/`);
    either is that partner's consent (for an external group each guest partner
    puts its own people forward). A member leaves when they wish (`leave/`).
    Members have equal standing: a group holding a person and someone they
    supervise one-to-one, or a coordinator of the owning partner, is refused
    (400, `unmet` code `not_equal_standing` naming the pair), at activation and
    at every new member; an active group also refuses a member change that
    would break the size or trained-majority rule of the owning partner's policy.
    """

    queryset = SupervisionGroup.objects.with_members()
    serializer_class = SupervisionGroupSerializer
    filterset_class = SupervisionGroupFilter
    create_roles = (COORDINATOR,)

    def get_serializer_class(self):
        return NewSupervisionGroupSerializer if self.action == "create" else SupervisionGroupSerializer

    def _fresh(self, group):
        return SupervisionGroup.objects.with_members().get(pk=group.pk)

    def _respond(self, group, code=status.HTTP_200_OK):
        return Response(
            SupervisionGroupSerializer(self._fresh(group), context=self.get_serializer_context()).data, code
        )

    def perform_create(self, serializer):
        group = services.create_group(by=self.request.user, **serializer.validated_data)
        serializer.instance = self._fresh(group)

    def perform_update(self, serializer):
        group = services.update_group(by=self.request.user, group=serializer.instance, **serializer.validated_data)
        serializer.instance = self._fresh(group)

    def _member(self, group, person_id):
        try:
            person_id = uuid.UUID(str(person_id))
        except ValueError:
            raise NotFound()
        membership = GroupMembership.objects.filter(group=group, person_id=person_id).select_related("person").first()
        if membership is None:
            raise NotFound("This person is not a member of the group.")
        return membership.person

    @extend_schema(request=AddMemberSerializer, responses={201: SupervisionGroupSerializer, 400: _UNMET})
    @action(detail=True, methods=["post"])
    def members(self, request, pk=None):
        group = self.get_object()
        body = AddMemberSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        services.add_member(by=request.user, group=group, **body.validated_data)
        return self._respond(group, status.HTTP_201_CREATED)

    @extend_schema(
        request=InviteSerializer,
        responses={201: SupervisionGroupSerializer, 400: _UNMET},
        description="A coordinator of the person's own partner invites them; they accept or decline themselves.",
    )
    @action(detail=True, methods=["post"])
    def invite(self, request, pk=None):
        group = self.get_object()
        body = InviteSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        services.invite_member(by=request.user, group=group, person=body.validated_data["person"])
        return self._respond(group, status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={200: SupervisionGroupSerializer, 400: _UNMET},
        description="The caller opts in themselves, accepting their invitation: their own Person becomes a member "
        "(400 `not_invited` without an invitation; `not_equal_standing` as for any new member).",
    )
    @action(detail=True, methods=["post"])
    def join(self, request, pk=None):
        group = self.get_object()
        services.join_group(by=request.user, group=group)
        return self._respond(group)

    # Declining and leaving answer 204: the caller may no longer see the group afterwards.
    @extend_schema(
        request=None,
        responses={204: None, 400: _UNMET},
        description="The caller declines their invitation to the group (400 `not_invited` without one).",
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        services.decline_invitation(by=request.user, group=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={204: None, 400: _UNMET},
        description="The caller leaves the group (400 `not_member` if they are not in it). An active group "
        "still keeps to its size and trained-majority rules.",
    )
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        services.leave_group(by=request.user, group=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: SupervisionGroupSerializer, 400: _UNMET}, parameters=[_PERSON_ID])
    @action(detail=True, methods=["delete"], url_path=r"members/(?P<person_id>[^/.]+)")
    def remove_member(self, request, pk=None, person_id=None):
        group = self.get_object()
        services.remove_member(by=request.user, group=group, person=self._member(group, person_id))
        return self._respond(group)

    @extend_schema(
        request=None,
        responses={200: SupervisionGroupSerializer, 400: _UNMET},
        description="A coordinator of the member's own partner consents to a membership a licensor admin proposed.",
        parameters=[_PERSON_ID],
    )
    @action(detail=True, methods=["post"], url_path=r"members/(?P<person_id>[^/.]+)/consent")
    def consent(self, request, pk=None, person_id=None):
        group = self.get_object()
        services.consent_member(by=request.user, group=group, person=self._member(group, person_id))
        return self._respond(group)

    @extend_schema(request=None, responses={200: SupervisionGroupSerializer, 400: _UNMET, 409: _ILLEGAL})
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return self._respond(services.activate_group(by=request.user, group=self.get_object()))

    @extend_schema(
        request=None,
        responses={200: SupervisionGroupSerializer, 409: _ILLEGAL},
        description="Close the group; its sessions still to come are cancelled.",
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._respond(services.close_group(by=request.user, group=self.get_object()))

    @extend_schema(request=None, responses={200: SupervisionGroupSerializer}, description="A new secret feed URL.")
    @action(detail=True, methods=["post"], url_path="calendar/regenerate")
    def regenerate_calendar(self, request, pk=None):
        return self._respond(services.regenerate_group_calendar(by=request.user, group=self.get_object()))


# --- the toolkit ----------------------------------------------------------------------


class ToolkitStepSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, help_text="What happens, e.g. “Silent reflection”.")
    minutes = serializers.IntegerField(min_value=1, max_value=services.MAX_STEP_MINUTES)


class ToolkitProcessSerializer(serializers.ModelSerializer):
    partner = TargetPartnerField(queryset=Partner.objects.all(), help_text="The partner whose toolkit this is.")
    steps = ToolkitStepSerializer(
        many=True, allow_empty=False, max_length=services.MAX_STEPS, help_text="In the order the group follows."
    )

    class Meta:
        model = ToolkitProcess
        fields = ["id", "partner", "name", "purpose", "steps"]
        # Names are checked (case-insensitively) by the service, which says which name is taken.
        validators = []
        extra_kwargs = {"purpose": {"required": False}}

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            fields["partner"].read_only = True
        return fields


class ToolkitProcessViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, _WriteViewSet):
    """The partner's peer-supervision toolkit: named processes of timed steps that group sessions follow.

    Every member of the partner reads it (facilitators rotate among members);
    its coordinators write it. A process sessions have named cannot be deleted
    (400 `process_in_use`), so that their records keep which process ran.
    """

    queryset = ToolkitProcess.objects.all()
    serializer_class = ToolkitProcessSerializer
    filterset_fields = ["partner"]
    create_roles = (COORDINATOR,)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.create_process(
            by=self.request.user,
            partner=data["partner"],
            name=data["name"],
            purpose=data.get("purpose", ""),
            steps=[dict(step) for step in data["steps"]],
        )

    def perform_update(self, serializer):
        changes = dict(serializer.validated_data)
        changes.pop("partner", None)
        if "steps" in changes:
            changes["steps"] = [dict(step) for step in changes["steps"]]
        serializer.instance = services.update_process(by=self.request.user, process=serializer.instance, **changes)

    def perform_destroy(self, instance):
        services.delete_process(by=self.request.user, process=instance)


# --- sessions -------------------------------------------------------------------------


class AttendeeSerializer(serializers.ModelSerializer):
    person = serializers.UUIDField(source="person_id", read_only=True)
    name = serializers.CharField(source="person.name", read_only=True)
    attendance = BlankAsNullCharField(
        read_only=True, allow_null=True, help_text="present, apologies or absent; null until recorded."
    )

    class Meta:
        model = SessionAttendance
        fields = ["person", "name", "attendance"]
        list_serializer_class = ListSerializer


class SupervisionSessionSerializer(serializers.ModelSerializer):
    attendees = AttendeeSerializer(many=True, read_only=True, source="attendances")
    notes = serializers.SerializerMethodField(help_text="Only for attendees and the partner's coordinators.")
    supervisee_comment = serializers.SerializerMethodField(help_text="As private as the notes.")

    class Meta:
        model = SupervisionSession
        fields = [
            "id",
            "partner",
            "kind",
            "group",
            "supervisor",
            "supervisee",
            "facilitator",
            "series",
            "starts_at",
            "ends_at",
            "location",
            "status",
            "sequence",
            "attendees",
            "process",
            "toolkit_process",
            "notes",
            "recorded_at",
            "confirmed_at",
            "supervisee_comment",
            "cancelled_at",
            "cancel_reason",
            "updated_at",
        ]
        read_only_fields = fields
        list_serializer_class = ListSerializer

    def _private(self, session, value):
        # Decided in the list's own query (with_notes_visibility), so no query per row.
        return value if getattr(session, "notes_visible", False) else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_notes(self, session):
        return self._private(session, session.notes)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_supervisee_comment(self, session):
        return self._private(session, session.supervisee_comment)


class SessionPartiesSerializer(serializers.Serializer):
    partner = TargetPartnerField(queryset=Partner.objects.all())
    kind = serializers.ChoiceField(choices=SupervisionSession.Kind.choices)
    group = VisibleRelatedField(queryset=SupervisionGroup.objects.all(), required=False, allow_null=True, default=None)
    supervisor = VisibleRelatedField(queryset=Person.objects.all(), required=False, allow_null=True, default=None)
    supervisee = VisibleRelatedField(queryset=Person.objects.all(), required=False, allow_null=True, default=None)
    starts_at = DateTimeField()
    ends_at = DateTimeField()
    location = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    process = VisibleRelatedField(
        queryset=ToolkitProcess.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The process of the partner's toolkit the session is to follow.",
    )


class ChooseProcessSerializer(serializers.Serializer):
    process = VisibleRelatedField(
        queryset=ToolkitProcess.objects.all(),
        allow_null=True,
        help_text="A process of the partner's toolkit; null: none.",
    )


class RescheduleSerializer(serializers.Serializer):
    starts_at = DateTimeField(required=False)
    ends_at = DateTimeField(required=False)
    location = serializers.CharField(max_length=300, required=False, allow_blank=True)
    scope = serializers.ChoiceField(
        choices=[services.THIS, services.FOLLOWING],
        default=services.THIS,
        help_text="`following`: this occurrence and the following ones of its series, moved by the same "
        "wall-clock change.",
    )


class CancelSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=[services.THIS, services.FOLLOWING], default=services.THIS)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class AttendanceInputSerializer(serializers.Serializer):
    person = serializers.UUIDField()
    attendance = serializers.ChoiceField(choices=SessionAttendance.Attendance.choices)


class ActionInputSerializer(serializers.Serializer):
    owner = serializers.UUIDField(help_text="One of the session's invitees.")
    description = serializers.CharField()
    due_on = serializers.DateField()


class RecordSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[SupervisionSession.Status.HELD, SupervisionSession.Status.MISSED])
    attendance = AttendanceInputSerializer(
        many=True, required=False, default=list, help_text="Invitees left out: present if held, absent if missed."
    )
    notes = serializers.CharField(required=False, allow_blank=True)
    process = VisibleRelatedField(
        queryset=ToolkitProcess.objects.all(),
        required=False,
        help_text="The process of the partner's toolkit that ran; the record keeps it and its name.",
    )
    toolkit_process = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="A process outside the toolkit, by name."
    )
    actions = ActionInputSerializer(many=True, required=False, default=list)


class ConfirmSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class SupervisionSessionFilter(filters.FilterSet):
    person = filters.UUIDFilter(field_name="attendances__person", help_text="Sessions this person is invited to.")
    starts_after = filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = SupervisionSession
        fields = ["partner", "kind", "status", "group", "series"]


class SupervisionSessionViewSet(mixins.CreateModelMixin, _WriteViewSet):
    """1:1 and group supervision sessions.

    Coordinators and supervisors schedule, move (PATCH, `scope` this|following
    for a series) and cancel them; a person cannot be booked into overlapping
    sessions (400 naming the person and the other session). The supervisor of a
    1:1, the facilitator of a group session or a coordinator records it; the
    supervisee of a 1:1 confirms the record. Notes are shown only to attendees
    and the owning partner's coordinators (null for everyone else).
    """

    queryset = SupervisionSession.objects.with_parties()
    list_queryset = SupervisionSession.objects.for_listing()
    serializer_class = SupervisionSessionSerializer
    filterset_class = SupervisionSessionFilter

    def get_queryset(self):
        return super().get_queryset().with_notes_visibility(self.request.user)

    def _respond(self, session, code=status.HTTP_200_OK):
        fresh = SupervisionSession.objects.with_parties().with_notes_visibility(self.request.user).get(pk=session.pk)
        return Response(self.get_serializer(fresh).data, code)

    @extend_schema(request=SessionPartiesSerializer, responses={201: SupervisionSessionSerializer, 400: _CLASH})
    def create(self, request, *args, **kwargs):
        body = SessionPartiesSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        session = services.schedule_session(by=request.user, **body.validated_data)
        return self._respond(session, status.HTTP_201_CREATED)

    @extend_schema(request=RescheduleSerializer, responses={200: SupervisionSessionSerializer, 400: _CLASH})
    def partial_update(self, request, *args, **kwargs):
        session = self.get_object()
        body = RescheduleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        session = services.reschedule_session(by=request.user, session=session, **body.validated_data)
        return self._respond(session)

    @extend_schema(request=RecordSerializer, responses={200: SupervisionSessionSerializer, 409: _ILLEGAL})
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        session = self.get_object()
        body = RecordSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        session = services.record_session(by=request.user, session=session, **body.validated_data)
        return self._respond(session)

    @extend_schema(
        request=ChooseProcessSerializer,
        responses={200: SupervisionSessionSerializer},
        description="Name the toolkit process a scheduled session is to follow: its facilitator (a group "
        "session), its supervisor (a 1:1) or a coordinator.",
    )
    @action(detail=True, methods=["post"])
    def process(self, request, pk=None):
        session = self.get_object()
        body = ChooseProcessSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        session = services.choose_process(by=request.user, session=session, process=body.validated_data["process"])
        return self._respond(session)

    @extend_schema(request=CancelSerializer, responses={200: SupervisionSessionSerializer, 409: _ILLEGAL})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        session = self.get_object()
        body = CancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        session = services.cancel_session(by=request.user, session=session, **body.validated_data)
        return self._respond(session)

    @extend_schema(request=ConfirmSerializer, responses={200: SupervisionSessionSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        session = self.get_object()
        body = ConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        session = services.confirm_session(by=request.user, session=session, **body.validated_data)
        return self._respond(session)


# --- series ---------------------------------------------------------------------------


class SeriesInputSerializer(SessionPartiesSerializer):
    rrule = serializers.CharField(
        max_length=500,
        help_text="An RFC 5545 RRULE (FREQ=WEEKLY;BYDAY=TU;COUNT=6); DTSTART is `starts_at` in the partner's "
        "time zone. At most 104 occurrences are created.",
    )


class SupervisionSeriesSerializer(serializers.ModelSerializer):
    sessions = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = SupervisionSeries
        fields = ["id", "partner", "rrule", "dtstart", "time_zone", "duration", "capped", "sessions"]
        read_only_fields = fields


class SupervisionSeriesViewSet(mixins.CreateModelMixin, _WriteViewSet):
    """Sessions created from a recurrence rule. Each occurrence is a stored session: move or cancel one through
    /supervision-sessions/{id}/ (scope `this` or `following`)."""

    queryset = SupervisionSeries.objects.prefetch_related("sessions")
    serializer_class = SupervisionSeriesSerializer
    filterset_fields = ["partner"]
    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(request=SeriesInputSerializer, responses={201: SupervisionSeriesSerializer, 400: _CLASH})
    def create(self, request, *args, **kwargs):
        body = SeriesInputSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        series, _sessions = services.schedule_series(by=request.user, **body.validated_data)
        fresh = SupervisionSeries.objects.prefetch_related("sessions").get(pk=series.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)


# --- actions --------------------------------------------------------------------------


class SessionActionSerializer(serializers.ModelSerializer):
    session = VisibleRelatedField(queryset=SupervisionSession.objects.all())
    owner = serializers.UUIDField(source="owner_id", help_text="One of the session's invitees.")

    class Meta:
        model = SessionAction
        fields = ["id", "session", "owner", "description", "due_on", "done_at"]
        read_only_fields = ["done_at"]


class DoneSerializer(serializers.Serializer):
    done = serializers.BooleanField(default=True)


class SessionActionViewSet(mixins.CreateModelMixin, _WriteViewSet):
    """Actions agreed in a session: owner (an invitee), description, due date. Seen by those who may read the
    session's notes and by the owner; the owner or the session's recorder marks them done."""

    queryset = SessionAction.objects.all()
    serializer_class = SessionActionSerializer
    # A mentor facilitating a group session agrees its actions too; the service decides per session.
    create_roles = (COORDINATOR, SUPERVISOR, MENTOR)
    filterset_fields = ["partner", "session", "owner"]
    http_method_names = ["get", "post", "head", "options"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.add_action(
            by=self.request.user,
            session=data["session"],
            owner=data["owner_id"],
            description=data["description"],
            due_on=data["due_on"],
        )

    @extend_schema(request=DoneSerializer, responses={200: SessionActionSerializer})
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        item = self.get_object()
        body = DoneSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = services.complete_action(by=request.user, action=item, done=body.validated_data["done"])
        return Response(self.get_serializer(item).data)


# --- compliance -----------------------------------------------------------------------


class ComplianceSerializer(serializers.Serializer):
    person = serializers.UUIDField(source="pk")
    name = serializers.CharField()
    partner = serializers.UUIDField(source="partner_id")
    last_supervised_on = serializers.DateField(allow_null=True)
    next_due_on = serializers.DateField()
    state = serializers.ChoiceField(choices=compliance.State.choices)
    interval_days = serializers.IntegerField(help_text="supervision_interval_days of the policy in force.")
    policy_version = serializers.UUIDField(allow_null=True, help_text="The policy version the interval comes from.")
    unconfirmed_records = serializers.IntegerField(
        help_text="Held 1:1 records older than 7 days the mentor has not yet confirmed."
    )


class ComplianceFilter(filters.FilterSet):
    partner = filters.ModelChoiceFilter(queryset=Partner.objects.all())
    # A state is known only once the facts are computed: SupervisionComplianceView applies it to the rows.
    state = filters.ChoiceFilter(choices=compliance.State.choices)


class SupervisionComplianceView(ListAPIView):
    """Every active mentor: last supervision, next due date and state (ok, due_soon within 7 days, overdue),
    from each partner's own interval. One query for the rows. The licensor and the partner's coordinators and
    supervisors see the partner's mentors; a mentor sees their own row."""

    serializer_class = ComplianceSerializer
    filter_backends = [ScopedFilterBackend]
    filterset_class = ComplianceFilter

    def get_queryset(self):
        return Person.objects.all()

    def filter_queryset(self, queryset):
        # The FilterSet answers a bad ?partner= or ?state= with a 400 naming it; the domain then narrows the
        # people to the caller's and the partner's before computing their facts, and the rows to the state.
        wanted = {}
        if any(name in self.request.query_params for name in ComplianceFilter.base_filters):
            filterset = ScopedFilterBackend().get_filterset(self.request, queryset, self)
            if not filterset.is_valid():
                raise translate_validation(filterset.errors)
            wanted = filterset.form.cleaned_data
        return compliance.compliance_rows(
            self.request.user, partner=wanted.get("partner"), state=wanted.get("state") or None
        )


# --- calendar feeds (no login: the secret in the URL is the key) -----------------------


def _ics(content, filename):
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def person_calendar(request, secret):
    person = Person.objects.filter(calendar_secret=secret).select_related("partner", "user").first()
    # A person who has exited, or whose login holds no membership of their partner any more, has no feed.
    if person is None or not feed_is_open(person):
        raise Http404("No such calendar.")
    return _ics(calendar.person_feed(person), "supervision.ics")


@require_GET
def group_calendar(request, secret):
    group = SupervisionGroup.objects.filter(calendar_secret=secret).first()
    if group is None:
        raise Http404("No such calendar.")
    return _ics(calendar.group_feed(group), "peer-supervision.ics")
