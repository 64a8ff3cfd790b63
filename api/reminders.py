"""Reminders over HTTP: the reminders addressed to the caller (coordinators: also their partner's),
and the caller's choice of which kinds to receive."""

from django.contrib.contenttypes.models import ContentType
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from api.base import ScopedReadOnlyViewSet
from reminders import services
from reminders.models import Kind, Reminder


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "type": {"type": "string", "example": "franchise.licence"},
            "id": {"type": "string", "format": "uuid"},
        },
        "required": ["type", "id"],
    }
)
class SubjectField(serializers.Field):
    """The object a reminder is about: its type ("franchise.licence") and id."""

    def __init__(self, **kwargs):
        kwargs.update(read_only=True, source="*")
        super().__init__(**kwargs)

    def to_representation(self, reminder):
        # get_for_id reads Django's content-type cache: no query per row.
        content_type = ContentType.objects.get_for_id(reminder.subject_type_id)
        return {"type": f"{content_type.app_label}.{content_type.model}", "id": str(reminder.subject_id)}


class ReminderSerializer(serializers.ModelSerializer):
    subject = SubjectField()
    recipient = serializers.SerializerMethodField(help_text="The address the reminder is (or was) sent to.")

    class Meta:
        model = Reminder
        fields = ["id", "kind", "subject", "recipient", "due_at", "status", "sent_at"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.EMAIL)
    def get_recipient(self, reminder):
        return reminder.recipient_address


class ReminderFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=Kind.choices)
    status = filters.ChoiceFilter(choices=Reminder.Status.choices)
    due_after = filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")
    due_before = filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")

    class Meta:
        model = Reminder
        fields = ["kind", "status", "due_after", "due_before"]


class ReminderPreferenceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    label = serializers.CharField(read_only=True)
    essential = serializers.BooleanField(
        read_only=True, help_text="Safeguarding and critical-incident notifications cannot be switched off."
    )
    enabled = serializers.BooleanField()


class ReminderViewSet(ScopedReadOnlyViewSet):
    """The reminders addressed to the caller; a coordinator also sees their partner's, a licensor admin
    those addressed to the licensing organisation. Filters: `?kind=`, `?status=`, `?due_after=`, `?due_before=`."""

    queryset = Reminder.objects.select_related("recipient_user").order_by("-due_at", "pk")
    serializer_class = ReminderSerializer
    filterset_class = ReminderFilter

    @extend_schema(methods=["GET"], responses=ReminderPreferenceSerializer(many=True), filters=False)
    @extend_schema(methods=["PATCH"], request=ReminderPreferenceSerializer, responses=ReminderPreferenceSerializer)
    @action(
        detail=False,
        methods=["get", "patch"],
        url_path="preferences",
        pagination_class=None,
        filter_backends=[],
        serializer_class=ReminderPreferenceSerializer,
    )
    def preferences(self, request):
        """Which kinds of reminder the caller receives. PATCH `{"kind", "enabled"}` switches one kind on or off;
        switching off an essential kind is a 400."""
        if request.method == "GET":
            return Response(ReminderPreferenceSerializer(services.preferences_for(request.user), many=True).data)
        serializer = ReminderPreferenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        preference = services.set_preference(user=request.user, **serializer.validated_data)
        return Response(ReminderPreferenceSerializer(preference).data)
