"""Who supervises whom 1:1 over HTTP. Views validate shapes and call supervision.sessions.assignments."""

from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.base import ScopedViewSetMixin
from api.fields import TargetPartnerField, VisibleRelatedField
from core.tenancy import COORDINATOR, access_for
from franchise.models import Partner
from supervision.models import Person, SupervisionAssignment
from supervision.sessions import assignments as services


class CoordinatorsCreate(permissions.IsAuthenticated):
    """Creating needs the coordinator role in some partner: anyone else's attempt is a 403 before the body is
    read. The service still checks the partner written to (and the licensor, who reads, is refused there)."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if getattr(view, "action", None) != "create":
            return True
        return bool(access_for(request.user).partner_ids([COORDINATOR]))


class SupervisionAssignmentSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField(help_text="The assignment holds today.")

    class Meta:
        model = SupervisionAssignment
        fields = ["id", "partner", "supervisor", "supervisee", "starts_on", "ends_on", "current", "created_by"]
        read_only_fields = fields

    def get_current(self, assignment) -> bool:
        return assignment.is_current()


class NewAssignmentSerializer(serializers.Serializer):
    partner = TargetPartnerField(queryset=Partner.objects.all())
    supervisor = VisibleRelatedField(queryset=Person.objects.all(), help_text="A person of the partner.")
    supervisee = VisibleRelatedField(queryset=Person.objects.all(), help_text="A person of the partner.")
    starts_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="Today when left out.")
    ends_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The first day it no longer holds; open-ended if left out.",
    )


class EndAssignmentSerializer(serializers.Serializer):
    ends_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The first day it no longer holds; today when left out.",
    )


class SupervisionAssignmentFilter(filters.FilterSet):
    current = filters.BooleanFilter(method="filter_current", help_text="Only the assignments holding today (or not).")

    class Meta:
        model = SupervisionAssignment
        fields = ["partner", "supervisor", "supervisee", "current"]

    def filter_current(self, queryset, name, value):
        current = SupervisionAssignment.objects.current(timezone.localdate()).values("pk")
        return queryset.filter(pk__in=current) if value else queryset.exclude(pk__in=current)


class SupervisionAssignmentViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Who supervises whom 1:1, from `starts_on` up to the day before `ends_on`.

    The partner's coordinators make assignments (here, or by scheduling a 1:1
    themselves) and end them; the licensor reads them; a supervisor and a
    supervisee read their own. A supervisor schedules 1:1s only with the
    supervisees currently assigned to them, and their rights over a mentor's
    incidents follow the current assignment.
    """

    queryset = SupervisionAssignment.objects.all()
    serializer_class = SupervisionAssignmentSerializer
    filterset_class = SupervisionAssignmentFilter
    permission_classes = [CoordinatorsCreate]
    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(request=NewAssignmentSerializer, responses={201: SupervisionAssignmentSerializer})
    def create(self, request, *args, **kwargs):
        body = NewAssignmentSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        assignment = services.assign_supervisor(by=request.user, **body.validated_data)
        return Response(self.get_serializer(assignment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EndAssignmentSerializer, responses={200: SupervisionAssignmentSerializer})
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        assignment = self.get_object()
        body = EndAssignmentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assignment = services.end_assignment(by=request.user, assignment=assignment, **body.validated_data)
        return Response(self.get_serializer(assignment).data)
