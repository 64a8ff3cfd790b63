"""Fidelity audits over HTTP: the licensor's templates, audits of partners with their answers, and the corrective
actions they raise. Views validate shapes and call supervision.fidelity.services; the services decide who may."""

from django.db.models import Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.base import LicensorWrites, ScopedViewSet, ScopedViewSetMixin
from api.fields import TargetPartnerField, VisibleRelatedField
from core.tenancy import access_for
from franchise.models import Criterion, Partner, Programme, Role, User
from franchise.policy_fields import POLICY_FIELDS
from supervision.fidelity import services as fidelity
from supervision.models import Audit, AuditAnswer, AuditQuestion, AuditSection, AuditTemplate, CorrectiveAction

_ILLEGAL = OpenApiResponse(description="The workflow does not allow this; `allowed` names the moves it does.")

# --- templates ------------------------------------------------------------------------


class AuditQuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditQuestion
        fields = ["id", "code", "text", "weight"]
        read_only_fields = fields


class AuditSectionSerializer(serializers.ModelSerializer):
    questions = AuditQuestionSerializer(many=True, read_only=True)

    class Meta:
        model = AuditSection
        fields = ["title", "questions"]
        read_only_fields = fields


class AuditTemplateSerializer(serializers.ModelSerializer):
    sections = AuditSectionSerializer(many=True, read_only=True)

    class Meta:
        model = AuditTemplate
        fields = ["id", "name", "sections"]
        read_only_fields = fields


class QuestionInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20, help_text="Unique within the template, e.g. SUP-1.")
    text = serializers.CharField()
    weight = serializers.IntegerField(min_value=1, max_value=100, default=1, help_text="How much it counts.")
    policy_field = serializers.ChoiceField(
        choices=[field.name for field in POLICY_FIELDS],
        required=False,
        allow_blank=True,
        default="",
        help_text="The policy rule the question checks, by its name.",
    )
    criterion = serializers.PrimaryKeyRelatedField(
        queryset=Criterion.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The programme criterion the question checks.",
    )


class SectionInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    questions = QuestionInputSerializer(many=True, allow_empty=False)


class AuditTemplateCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    programme = VisibleRelatedField(queryset=Programme.objects.all(), required=False, allow_null=True, default=None)
    sections = SectionInputSerializer(many=True, allow_empty=False)


class AuditTemplateUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)


_TEMPLATES = AuditTemplate.objects.prefetch_related(
    Prefetch("sections", queryset=AuditSection.objects.prefetch_related("questions"))
)


class AuditTemplateViewSet(ScopedViewSet):
    """What partners are audited against: sections of weighted questions. Every member reads the templates; the
    licensor writes them. A template's questions do not change once written (audits answer them): write a new
    template instead."""

    queryset = _TEMPLATES
    serializer_class = AuditTemplateSerializer
    permission_classes = [LicensorWrites]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def _shown(self, template):
        return AuditTemplateSerializer(_TEMPLATES.get(pk=template.pk), context=self.get_serializer_context()).data

    @extend_schema(request=AuditTemplateCreateSerializer, responses={201: AuditTemplateSerializer})
    def create(self, request, *args, **kwargs):
        """A new template; codes are unique within it (400 naming `sections` otherwise)."""
        body = AuditTemplateCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        template = fidelity.create_template(request.user, **body.validated_data)
        return Response(self._shown(template), status=status.HTTP_201_CREATED)

    @extend_schema(request=AuditTemplateUpdateSerializer, responses=AuditTemplateSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Rename a template."""
        template = self.get_object()
        body = AuditTemplateUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        template = fidelity.update_template(request.user, template, **body.validated_data)
        return Response(self._shown(template))


# --- audits ---------------------------------------------------------------------------


def _licensor_admins():
    return User.objects.filter(memberships__role=Role.LICENSOR_ADMIN).distinct()


class AuditSerializer(serializers.ModelSerializer):
    partner = TargetPartnerField(queryset=Partner.objects.all())
    template = VisibleRelatedField(queryset=AuditTemplate.objects.all())
    auditor = serializers.PrimaryKeyRelatedField(
        queryset=_licensor_admins(), required=False, allow_null=True, help_text="A licensor admin."
    )

    class Meta:
        model = Audit
        fields = ["id", "partner", "template", "scheduled_on", "held_on", "auditor", "mode", "status", "score"]
        read_only_fields = ["id", "held_on", "status", "score"]


class AuditUpdateSerializer(AuditSerializer):
    partner = serializers.PrimaryKeyRelatedField(read_only=True)
    template = serializers.PrimaryKeyRelatedField(read_only=True)


class AnswerSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditAnswer
        fields = ["question", "answer", "evidence"]
        read_only_fields = fields


class AnswerInputSerializer(serializers.Serializer):
    question = serializers.UUIDField(help_text="A question of the audit's template.")
    answer = serializers.ChoiceField(choices=AuditAnswer.Answer.choices)
    evidence = serializers.CharField(required=False, allow_blank=True, default="", help_text="What the auditor saw.")


class AnswersSerializer(serializers.Serializer):
    answers = AnswerInputSerializer(many=True, allow_empty=False)


class CompleteSerializer(serializers.Serializer):
    held_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="Today if left out.")


class AuditFilter(filters.FilterSet):
    class Meta:
        model = Audit
        fields = ["partner", "template", "status", "mode"]


class AuditViewSet(ScopedViewSet):
    """Audits of partners against a template. The licensor schedules, answers and completes them; the audited
    partner's coordinators read their own (and their answers). Audits are records and are never deleted."""

    queryset = Audit.objects.all()
    serializer_class = AuditSerializer
    permission_classes = [LicensorWrites]
    filterset_class = AuditFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return AuditUpdateSerializer if self.action == "partial_update" else AuditSerializer

    def perform_create(self, serializer):
        serializer.instance = fidelity.schedule_audit(self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = fidelity.update_audit(self.request.user, serializer.instance, **serializer.validated_data)

    def _answers(self, audit):
        answers = AuditAnswer.objects.filter(audit=audit)
        return Response(AnswerSerializer(answers, many=True).data)

    @extend_schema(methods=["get"], request=None, responses=AnswerSerializer(many=True))
    @extend_schema(
        methods=["post"], request=AnswersSerializer, responses={200: AnswerSerializer(many=True), 409: _ILLEGAL}
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filterset_class=None)
    def answers(self, request, pk=None):
        """GET: the audit's answers so far. POST (the licensor): record or correct answers, one per question of
        the audit's template; the first put a scheduled audit in progress; a completed audit's answers no longer
        change (409). Answers the audit's answers as now stored."""
        audit = self.get_object()
        if request.method == "POST":
            body = AnswersSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            audit = fidelity.record_answers(request.user, audit, body.validated_data["answers"])
        return self._answers(audit)

    @extend_schema(request=CompleteSerializer, responses={200: AuditSerializer, 409: _ILLEGAL})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Compute the score and raise a corrective action for each `partly` or `not_met` answer, once. Every
        question must be answered (400 with `unmet` naming the others)."""
        audit = self.get_object()
        body = CompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        audit = fidelity.complete_audit(request.user, audit, **body.validated_data)
        return Response(AuditSerializer(audit, context=self.get_serializer_context()).data)


# --- corrective actions ---------------------------------------------------------------


class PartnerMemberField(serializers.PrimaryKeyRelatedField):
    """A user by id, among the members of the partners the caller reaches: a user elsewhere reads as one that
    does not exist."""

    def get_queryset(self):
        request = self.context.get("request")
        access = access_for(request.user if request else None)
        users = User.objects.filter(memberships__partner__isnull=False)
        if not access.is_licensor:
            users = users.filter(memberships__partner_id__in=access.partner_ids())
        return users.distinct()


class CorrectiveActionSerializer(serializers.ModelSerializer):
    owner = PartnerMemberField(
        allow_null=True, required=False, help_text="Who at the partner sees it through (named by its coordinators)."
    )

    class Meta:
        model = CorrectiveAction
        fields = ["id", "audit", "partner", "question", "description", "owner", "due_on", "status", "evidence"]
        read_only_fields = ["id", "audit", "partner", "question", "status", "evidence"]


class EvidenceSerializer(serializers.Serializer):
    evidence = serializers.CharField(help_text="What was done, and how it shows.")


class ReviewSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReopenSerializer(serializers.Serializer):
    note = serializers.CharField(allow_blank=True, help_text="Why the action goes back to the partner.")


class CorrectiveActionFilter(filters.FilterSet):
    class Meta:
        model = CorrectiveAction
        fields = ["partner", "audit", "status"]


class CorrectiveActionViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """What partners put right after an audit. The audited partner's coordinators read their own, name the owner
    (PATCH `owner`) and submit evidence; the licensor may change the description and the due date, and accepts or
    reopens a submitted action. Raised by completing an audit, never created here."""

    queryset = CorrectiveAction.objects.all()
    serializer_class = CorrectiveActionSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = CorrectiveActionFilter
    http_method_names = ["get", "patch", "post", "head", "options"]

    def perform_update(self, serializer):
        serializer.instance = fidelity.update_action(
            self.request.user, serializer.instance, **serializer.validated_data
        )

    def _act(self, request, service, body_class):
        item = self.get_object()
        body = body_class(data=request.data)
        body.is_valid(raise_exception=True)
        item = service(request.user, item, **body.validated_data)
        return Response(CorrectiveActionSerializer(item, context=self.get_serializer_context()).data)

    @extend_schema(request=EvidenceSerializer, responses={200: CorrectiveActionSerializer, 409: _ILLEGAL})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """The partner's coordinator submits the evidence: open → submitted."""
        return self._act(request, fidelity.submit_action, EvidenceSerializer)

    @extend_schema(request=ReviewSerializer, responses={200: CorrectiveActionSerializer, 409: _ILLEGAL})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """The licensor accepts the submitted evidence: submitted → accepted."""
        return self._act(request, fidelity.accept_action, ReviewSerializer)

    @extend_schema(request=ReopenSerializer, responses={200: CorrectiveActionSerializer, 409: _ILLEGAL})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """The licensor sends a submitted or accepted action back, with a note saying why: → open."""
        return self._act(request, fidelity.reopen_action, ReopenSerializer)
