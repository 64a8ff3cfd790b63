"""Training over HTTP: courses and sessions, enrolments and attendance, assessments and verification,
certificates (with public verification and a printable page), and the train-the-trainer records.

Views validate shapes and call training.services; the rules live there and in training.rules.
"""

from django.http import HttpResponse
from django.template.loader import render_to_string
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer, StaticHTMLRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api.base import ScopedListDestroyViewSet, ScopedReadOnlyViewSet, ScopedViewSet
from api.fields import VisibleRelatedField
from api.schema import illegal_transition_response, unmet_response
from api.throttles import CertificateVerifyThrottle
from core.errors import Invalid, NotFound
from franchise.models import Criterion, Programme, Unit
from supervision.models import Person
from training import badges, rules, services
from training.models import (
    Certificate,
    Course,
    CourseAttendance,
    CourseSession,
    CPDRecord,
    CriterionAssessment,
    Enrolment,
    TeachingRecord,
    TrainerAccreditation,
)

_UNMET = unmet_response("Invalid input, or a business rule is not met: every unmet requirement, each with a code.")
_ILLEGAL = illegal_transition_response()


class CourseTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=Course.Status.choices)


class EnrolmentTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=Enrolment.Status.choices)


# --- courses --------------------------------------------------------------------------------


class CourseSerializer(serializers.ModelSerializer):
    programme = VisibleRelatedField(queryset=Programme.objects.all())
    lead_trainer = VisibleRelatedField(
        queryset=Person.objects.all(),
        help_text="A person holding an active accredited_trainer (or higher) accreditation for the programme; "
        "the course belongs to their partner.",
    )
    co_trainers = VisibleRelatedField(
        queryset=Person.objects.all(),
        many=True,
        required=False,
        help_text="People holding at least the co_trainer stage for the programme.",
    )
    capacity = serializers.IntegerField(min_value=1, max_value=500)
    places_taken = serializers.IntegerField(read_only=True, help_text="Enrolments holding a place (not withdrawn).")

    class Meta:
        model = Course
        fields = [
            "id",
            "partner",
            "programme",
            "title",
            "starts_on",
            "ends_on",
            "capacity",
            "places_taken",
            "mode",
            "venue",
            "status",
            "lead_trainer",
            "co_trainers",
        ]
        read_only_fields = ["id", "partner", "status"]


class CourseFilter(filters.FilterSet):
    starts_after = filters.DateFilter(field_name="starts_on", lookup_expr="gte")
    starts_before = filters.DateFilter(field_name="starts_on", lookup_expr="lte")

    class Meta:
        model = Course
        fields = ["partner", "programme", "status", "mode", "lead_trainer"]


class CourseViewSet(ScopedViewSet):
    """Courses (cohorts). Coordinators schedule and manage their partner's courses; a trainer schedules and
    manages a course they lead. Trainers see the courses they teach, learners the course they are on.

    A course needs an active licence for the programme on all its dates (400 on `programme`) and a lead
    trainer accredited for the programme through its end (400 on `lead_trainer`). Courses are not deleted:
    cancel one with …/transition/.
    """

    queryset = Course.objects.prefetch_related("co_trainers").with_places_taken()
    serializer_class = CourseSerializer
    filterset_class = CourseFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer):
        course = services.create_course(by=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=course.pk)

    def perform_update(self, serializer):
        course = services.update_course(by=self.request.user, course=serializer.instance, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=course.pk)

    @extend_schema(
        request=CourseTransitionSerializer,
        responses={200: CourseSerializer, 409: _ILLEGAL},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """planned → open → running → completed, or cancelled. Completing a course completes its
        non-accredited learners whose attendance is complete."""
        course = self.get_object()
        body = CourseTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        course = services.transition_course(by=request.user, course=course, to=body.validated_data["to"])
        return Response(self.get_serializer(self.get_queryset().get(pk=course.pk)).data)


# --- sessions and attendance -------------------------------------------------------------------


class CourseSessionSerializer(serializers.ModelSerializer):
    course = VisibleRelatedField(queryset=Course.objects.all())
    units = VisibleRelatedField(queryset=Unit.objects.all(), many=True, required=False)

    class Meta:
        model = CourseSession
        fields = ["id", "course", "date", "starts_at", "ends_at", "topic", "units"]


class AttendanceSerializer(serializers.ModelSerializer):
    learner = serializers.UUIDField(source="enrolment.learner_id", read_only=True)

    class Meta:
        model = CourseAttendance
        fields = ["enrolment", "learner", "status"]
        read_only_fields = ["enrolment"]


class AttendanceEntrySerializer(serializers.Serializer):
    enrolment = VisibleRelatedField(queryset=Enrolment.objects.select_related("learner"))
    status = serializers.ChoiceField(choices=CourseAttendance.Status.choices)


class AttendanceRequestSerializer(serializers.Serializer):
    attendance = AttendanceEntrySerializer(many=True, allow_empty=False)


class CourseSessionFilter(filters.FilterSet):
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = CourseSession
        fields = ["course"]


class CourseSessionViewSet(ScopedViewSet):
    """The taught sessions of a course. The course's managers add and change them; attendance is taken by the
    course's trainers and the partner's coordinators at …/attendance/."""

    queryset = CourseSession.objects.select_related("course").prefetch_related("units")
    serializer_class = CourseSessionSerializer
    filterset_class = CourseSessionFilter

    def perform_create(self, serializer):
        session = services.create_session(by=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=session.pk)

    def perform_update(self, serializer):
        session = services.update_session(
            by=self.request.user, session=serializer.instance, **serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=session.pk)

    def perform_destroy(self, instance):
        services.delete_session(by=self.request.user, session=instance)

    @extend_schema(
        methods=["GET"], request=None, responses=AttendanceSerializer(many=True), summary="The session's attendance"
    )
    @extend_schema(
        methods=["POST"],
        request=AttendanceRequestSerializer,
        responses=AttendanceSerializer(many=True),
        summary="Record attendance (a second record for a learner replaces the first)",
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def attendance(self, request, pk=None):
        session = self.get_object()
        if request.method == "POST":
            body = AttendanceRequestSerializer(data=request.data, context=self.get_serializer_context())
            body.is_valid(raise_exception=True)
            entries = [(entry["enrolment"], entry["status"]) for entry in body.validated_data["attendance"]]
            rows = services.record_attendance(by=request.user, session=session, entries=entries)
        else:
            rows = (
                CourseAttendance.objects.visible_to(request.user)
                .filter(session=session)
                .select_related("enrolment")
                .order_by("enrolment__created_at")
            )
        return Response(AttendanceSerializer(rows, many=True).data)


# --- enrolments and assessment -------------------------------------------------------------------


class NestedAssessmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = CriterionAssessment
        fields = ["id", "criterion", "decision", "evidence", "assessor", "assessed_on"]
        read_only_fields = fields


class EnrolmentSerializer(serializers.ModelSerializer):
    course = VisibleRelatedField(queryset=Course.objects.all())
    learner = VisibleRelatedField(queryset=Person.objects.all(), help_text="A person of the course's partner.")
    assessments = NestedAssessmentSerializer(many=True, read_only=True)
    certificate = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Enrolment
        fields = [
            "id",
            "partner",
            "course",
            "learner",
            "track",
            "status",
            "verified_by",
            "verified_at",
            "certificate",
            "assessments",
        ]
        read_only_fields = ["id", "partner", "status", "verified_by", "verified_at"]
        validators = []  # one enrolment per learner and course: the service says so in words


class VerifiedSerializer(serializers.Serializer):
    enrolment = EnrolmentSerializer()
    certificate = serializers.SerializerMethodField()

    def get_certificate(self, data) -> dict:
        return CertificateSerializer(data["certificate"]).data


class EnrolmentFilter(filters.FilterSet):
    class Meta:
        model = Enrolment
        fields = ["partner", "course", "learner", "track", "status"]


class EnrolmentViewSet(ScopedViewSet):
    """Learners on courses, with their assessments. Coordinators and a course's lead trainer enrol; learners
    see their own enrolment. Withdraw, refer or (non-accredited learners, on full attendance) complete with
    …/transition/; a qualification learner passes through …/verify/."""

    queryset = Enrolment.objects.select_related("certificate").prefetch_related("assessments")
    serializer_class = EnrolmentSerializer
    filterset_class = EnrolmentFilter
    http_method_names = ["get", "post", "head", "options"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        enrolment = services.enrol(
            by=self.request.user,
            course=data["course"],
            learner=data["learner"],
            track=data.get("track", Enrolment.Track.QUALIFICATION),
        )
        serializer.instance = self.get_queryset().get(pk=enrolment.pk)

    @extend_schema(
        request=EnrolmentTransitionSerializer,
        responses={200: EnrolmentSerializer, 400: _UNMET, 409: _ILLEGAL},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        enrolment = self.get_object()
        body = EnrolmentTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.transition_enrolment(by=request.user, enrolment=enrolment, to=body.validated_data["to"])
        return Response(self.get_serializer(self.get_queryset().get(pk=enrolment.pk)).data)

    @extend_schema(
        request=None,
        responses={
            200: VerifiedSerializer,
            400: _UNMET,
            403: OpenApiResponse(description="Not an accredited trainer, or assessed most criteria themselves."),
        },
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """Internal verification by a second accredited trainer: passes the enrolment when every criterion of
        the programme is met and issues its certificate; else 400 with `unmet` listing the criteria not yet met."""
        enrolment = self.get_object()
        enrolment, certificate = services.verify_enrolment(by=request.user, enrolment=enrolment)
        enrolment = self.get_queryset().get(pk=enrolment.pk)
        return Response(
            VerifiedSerializer(
                {"enrolment": enrolment, "certificate": certificate}, context=self.get_serializer_context()
            ).data
        )


class AssessmentSerializer(serializers.ModelSerializer):
    enrolment = VisibleRelatedField(queryset=Enrolment.objects.select_related("course"))
    criterion = VisibleRelatedField(queryset=Criterion.objects.select_related("unit"))
    assessed_on = serializers.DateField(required=False, help_text="Today when left out.")

    class Meta:
        model = CriterionAssessment
        fields = ["id", "enrolment", "criterion", "evidence", "decision", "assessor", "assessed_on"]
        read_only_fields = ["id", "assessor"]
        extra_kwargs = {"evidence": {"required": False, "allow_blank": True}}
        validators = []


class AssessmentFilter(filters.FilterSet):
    class Meta:
        model = CriterionAssessment
        fields = ["enrolment", "criterion", "decision"]


class AssessmentViewSet(ScopedViewSet):
    """Decisions on criteria, one per enrolment and criterion. Only the course's trainers (lead or co) assess;
    revising a decision (PATCH) makes the reviser its assessor."""

    queryset = CriterionAssessment.objects.all()
    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.assess(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_assessment(
            by=self.request.user, assessment=serializer.instance, **serializer.validated_data
        )


# --- certificates ----------------------------------------------------------------------------


class CertificateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Certificate
        fields = ["id", "enrolment", "code", "holder_name", "issued_on", "status", "revoked_at"]
        read_only_fields = fields


class PublicCertificateSerializer(serializers.Serializer):
    """What anyone holding the code may learn, and nothing more."""

    holder = serializers.CharField(source="holder_name")
    programme = serializers.CharField(source="enrolment.course.programme.name")
    issued_on = serializers.DateField()
    partner = serializers.CharField(source="partner.name")
    status = serializers.ChoiceField(choices=Certificate.Status.choices)


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class CertificateFilter(filters.FilterSet):
    class Meta:
        model = Certificate
        fields = ["partner", "enrolment", "status"]


class CertificateViewSet(ScopedReadOnlyViewSet):
    """Certificates, issued when a qualification enrolment passes. The learner sees their own; the partner's
    coordinators and the course's trainers see and print them; the licensor revokes them.

    …/verify/{code}/ needs no login and answers only holder, programme, issued_on, partner and status.
    """

    queryset = Certificate.objects.all()
    serializer_class = CertificateSerializer
    filterset_class = CertificateFilter
    throttle_scope = None  # set on the public verify action only

    @extend_schema(request=RevokeSerializer, responses=CertificateSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """The licensor withdraws a certificate; public verification then answers `revoked`."""
        certificate = self.get_object()
        body = RevokeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        certificate = services.revoke_certificate(
            by=request.user, certificate=certificate, reason=body.validated_data["reason"]
        )
        return Response(self.get_serializer(certificate).data)

    @extend_schema(
        request=None,
        responses={(200, "text/html"): OpenApiTypes.STR},
        summary="The certificate as an HTML page styled for print",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="print",
        url_name="print",
        renderer_classes=[JSONRenderer, StaticHTMLRenderer],
    )
    def print_page(self, request, pk=None):
        """For the learner's coordinators and the course's trainers. A revoked certificate is not printed."""
        certificate = self.get_object()
        services.require_certificate_printer(request.user, certificate)
        if certificate.status != Certificate.Status.VALID:
            raise Invalid("A revoked certificate is not printed.", code="certificate_revoked")
        certificate = Certificate.objects.select_related(
            "partner", "enrolment__course__programme", "enrolment__verified_by"
        ).get(pk=certificate.pk)
        html = render_to_string(
            "training/certificate.html",
            {"certificate": certificate, "verify_url": services.verification_url(certificate)},
            request=request,
        )
        return HttpResponse(html, content_type="text/html; charset=utf-8")

    @extend_schema(
        request=None,
        responses={200: PublicCertificateSerializer, 404: OpenApiResponse(description="No certificate has this code.")},
        auth=[],
    )
    @action(
        detail=False,
        methods=["get"],
        url_path=r"verify/(?P<code>[A-Za-z0-9_-]{1,64})",
        permission_classes=[AllowAny],
        authentication_classes=[],
        throttle_classes=[CertificateVerifyThrottle],
        throttle_scope="certificate_verify",
        filter_backends=[],
        pagination_class=None,
    )
    def verify(self, request, code=None):
        """Check a certificate is genuine, without a login. Unknown codes are a 404; the rate is limited per
        client so that codes cannot be guessed by trying."""
        certificate = Certificate.objects.by_code(code)
        if certificate is None:
            raise NotFound("No certificate has this code.")
        return Response(PublicCertificateSerializer(certificate).data)

    @extend_schema(
        request=None,
        responses={
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="A signed Open Badges 3.0 OpenBadgeCredential."
            ),
            404: OpenApiResponse(description="No certificate has this code."),
        },
        auth=[],
        summary="The certificate as a signed Open Badges 3.0 credential",
    )
    @action(
        detail=False,
        methods=["get"],
        url_path=r"verify/(?P<code>[A-Za-z0-9_-]{1,64})/badge",
        url_name="badge",
        permission_classes=[AllowAny],
        authentication_classes=[],
        throttle_classes=[CertificateVerifyThrottle],
        throttle_scope="certificate_verify",
        filter_backends=[],
        pagination_class=None,
    )
    def badge(self, request, code=None):
        """The certificate as an OpenBadgeCredential (W3C Verifiable Credential) signed by its issuing partner
        (DataIntegrityProof, eddsa-jcs-2022), for the holder's wallet; a revoked one is still served, and its
        `credentialStatus` list says it is revoked. The same rate per client as the verification."""
        certificate = Certificate.objects.by_code(code)
        if certificate is None:
            raise NotFound("No certificate has this code.")
        response = Response(badges.credential(certificate))
        response["Content-Disposition"] = f'inline; filename="certificate-{certificate.issued_on.isoformat()}.json"'
        return response


class _PublicBadgeView(APIView):
    """The public documents a verifier of a credential reads: no login, nothing beyond what the credentials say."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []


class BadgeIssuerView(_PublicBadgeView):
    @extend_schema(
        responses={200: OpenApiTypes.OBJECT, 404: OpenApiResponse(description="No issuer has this address.")},
        auth=[],
        summary="An issuing partner's Open Badges profile, with the key that verifies its credentials",
    )
    def get(self, request, slug):
        return Response(badges.issuer_profile(_issuing_partner(slug)))


class BadgeRevocationListView(_PublicBadgeView):
    @extend_schema(
        responses={200: OpenApiTypes.OBJECT, 404: OpenApiResponse(description="No issuer has this address.")},
        auth=[],
        summary="An issuing partner's 1EdTech revocation list: its revoked credentials, by id",
    )
    def get(self, request, slug):
        return Response(badges.revocation_list(_issuing_partner(slug)))


class BadgeAchievementView(_PublicBadgeView):
    @extend_schema(
        responses={200: OpenApiTypes.OBJECT, 404: OpenApiResponse(description="No such achievement.")},
        auth=[],
        summary="A programme as an Open Badges achievement, aligned to its units and criteria",
    )
    def get(self, request, pk):
        programme = Programme.objects.filter(pk=pk).first()
        if programme is None:
            raise NotFound("No such achievement.")
        return Response(badges.achievement(programme))


def _issuing_partner(slug):
    partner = badges.issuing_partner(slug)
    if partner is None:
        raise NotFound("No issuer has this address.")
    return partner


# --- accreditations ---------------------------------------------------------------------------


class AccreditationSerializer(serializers.ModelSerializer):
    person = VisibleRelatedField(queryset=Person.objects.all())
    programme = VisibleRelatedField(queryset=Programme.objects.all())
    granted_on = serializers.DateField(required=False, help_text="Today when left out.")

    class Meta:
        model = TrainerAccreditation
        fields = [
            "id",
            "partner",
            "person",
            "programme",
            "stage",
            "status",
            "granted_on",
            "period_starts_on",
            "expires_on",
            "granted_by",
        ]
        read_only_fields = ["id", "partner", "status", "period_starts_on", "expires_on", "granted_by"]
        validators = []


class AccreditationNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text="Why, for the record.")


class AccreditationTransitionSerializer(AccreditationNoteSerializer):
    to = serializers.ChoiceField(choices=TrainerAccreditation.Status.choices)


class AccreditationEventSerializer(serializers.Serializer):
    kind = serializers.CharField()
    stage = serializers.CharField()
    status = serializers.CharField()
    expires_on = serializers.DateField()
    at = serializers.DateTimeField()
    by = serializers.UUIDField(source="by_id", allow_null=True)
    note = serializers.CharField()


class StandingSerializer(serializers.Serializer):
    period_starts_on = serializers.DateField()
    period_ends_on = serializers.DateField()
    deliveries = serializers.IntegerField(help_text="Completed courses of the programme led or co-taught.")
    deliveries_required = serializers.IntegerField()
    cpd_hours = serializers.DecimalField(max_digits=7, decimal_places=2, coerce_to_string=False)
    cpd_hours_required = serializers.IntegerField()
    applies = serializers.BooleanField(help_text="False below accredited_trainer: the requirement is not theirs yet.")
    met = serializers.BooleanField()
    missing = serializers.SerializerMethodField()

    def get_missing(self, standing) -> list[dict]:
        return [item.as_dict() for item in standing.missing]


class AccreditationFilter(filters.FilterSet):
    expiring_within = filters.NumberFilter(
        method="filter_expiring_within", min_value=0, max_value=3650, label="Active and expiring within N days"
    )

    class Meta:
        model = TrainerAccreditation
        fields = ["partner", "person", "programme", "stage", "status"]

    def filter_expiring_within(self, queryset, name, value):
        return queryset.expiring_within(int(value))


class AccreditationViewSet(ScopedViewSet):
    """Trainer accreditations (train-the-trainer). The licensor grants any stage (POST), suspends, reinstates
    and revokes; coordinators and the licensor promote on evidence and renew on standing. Trainers see their
    own; coordinators their partner's; the licensor all."""

    queryset = TrainerAccreditation.objects.all()
    serializer_class = AccreditationSerializer
    filterset_class = AccreditationFilter
    http_method_names = ["get", "post", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.grant_accreditation(by=self.request.user, **serializer.validated_data)

    def _respond(self, accreditation):
        return Response(self.get_serializer(accreditation).data)

    @extend_schema(request=AccreditationNoteSerializer, responses={200: AccreditationSerializer, 400: _UNMET})
    @action(detail=True, methods=["post"])
    def promote(self, request, pk=None):
        """One stage up when the evidence is there, else 400 with `unmet`. trainer_of_trainers: licensor only."""
        accreditation = self.get_object()
        body = AccreditationNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(
            services.promote_accreditation(by=request.user, accreditation=accreditation, **body.validated_data)
        )

    @extend_schema(request=AccreditationNoteSerializer, responses={200: AccreditationSerializer, 400: _UNMET})
    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None):
        """Extend expires_on by the validity period when the standing is met, else 400 with `unmet`."""
        accreditation = self.get_object()
        body = AccreditationNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(
            services.renew_accreditation(by=request.user, accreditation=accreditation, **body.validated_data)
        )

    @extend_schema(request=AccreditationTransitionSerializer, responses={200: AccreditationSerializer, 409: _ILLEGAL})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """The licensor suspends, reinstates (to active) or revokes."""
        accreditation = self.get_object()
        body = AccreditationTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(
            services.set_accreditation_status(by=request.user, accreditation=accreditation, **body.validated_data)
        )

    @extend_schema(request=None, responses=StandingSerializer)
    @action(detail=True, methods=["get"], pagination_class=None)
    def standing(self, request, pk=None):
        """Deliveries and CPD hours in the current validity period against the licensor's requirement,
        and what is missing."""
        accreditation = self.get_object()
        return Response(StandingSerializer(rules.standing(accreditation)).data)

    @extend_schema(request=None, responses=AccreditationEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def events(self, request, pk=None):
        """Grants, promotions, renewals, lapses and status changes, oldest first."""
        accreditation = self.get_object()
        return Response(AccreditationEventSerializer(accreditation.events.all(), many=True).data)


# --- teaching and CPD records --------------------------------------------------------------------


class TeachingRecordSerializer(serializers.ModelSerializer):
    person = VisibleRelatedField(
        queryset=Person.objects.all(), required=False, help_text="Yourself when left out (coordinators: anyone)."
    )
    session = VisibleRelatedField(queryset=CourseSession.objects.select_related("course"))

    class Meta:
        model = TeachingRecord
        fields = ["id", "person", "session", "role", "observed", "note", "signed_off_by", "signed_off_at"]
        read_only_fields = ["id", "role", "signed_off_by", "signed_off_at"]
        validators = []


class TeachingRecordFilter(filters.FilterSet):
    signed_off = filters.BooleanFilter(field_name="signed_off_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = TeachingRecord
        fields = ["person", "session", "role", "observed"]


class TeachingRecordViewSet(ScopedViewSet):
    """A trainer's part in a course session (role from the course team). An accredited trainer signs off a
    co-taught session, a trainer of trainers an observed delivery (…/sign-off/); signed-off records are kept."""

    queryset = TeachingRecord.objects.all()
    serializer_class = TeachingRecordSerializer
    filterset_class = TeachingRecordFilter
    http_method_names = ["get", "post", "delete", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.log_teaching(by=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.delete_teaching_record(by=self.request.user, record=instance)

    @extend_schema(request=None, responses=TeachingRecordSerializer)
    @action(detail=True, methods=["post"], url_path="sign-off", url_name="sign-off")
    def sign_off(self, request, pk=None):
        record = self.get_object()
        return Response(self.get_serializer(services.sign_off_teaching(by=request.user, record=record)).data)


class CPDRecordSerializer(serializers.ModelSerializer):
    person = VisibleRelatedField(
        queryset=Person.objects.all(), required=False, help_text="Yourself when left out (coordinators: anyone)."
    )
    hours = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=False)

    class Meta:
        model = CPDRecord
        fields = ["id", "person", "date", "hours", "activity"]
        read_only_fields = ["id"]


class CPDRecordFilter(filters.FilterSet):
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = CPDRecord
        fields = ["person"]


class CPDRecordViewSet(mixins.CreateModelMixin, ScopedListDestroyViewSet):
    """Continuing professional development. Trainers log their own; coordinators anyone's of their partner."""

    queryset = CPDRecord.objects.all()
    serializer_class = CPDRecordSerializer
    filterset_class = CPDRecordFilter

    def perform_create(self, serializer):
        serializer.instance = services.log_cpd(by=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.delete_cpd(by=self.request.user, record=instance)
