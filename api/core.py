"""Accounts and tenancy over HTTP: token, me, invitations, memberships, partners."""

import zoneinfo

from django.contrib.auth import authenticate
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.base import LicensorWrites, ScopedListDestroyViewSet, ScopedViewSet
from api.fields import TargetPartnerField, VisibleRelatedField
from api.throttles import FailedLoginThrottle, InvitationPasswordThrottle
from core.errors import Invalid
from franchise import services, tokens, two_factor
from franchise.models import Invitation, Membership, Partner, Role
from supervision.models import Person

# --- auth and me ----------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    # Bounded as an email address is: the account is looked up case-insensitively (a LIKE on SQLite, which
    # refuses a pattern of 50,000 characters with a 500).
    username = serializers.CharField(max_length=254, help_text="The user's email address.")
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False, max_length=4096)
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=32,
        help_text="With two-factor sign-in: the code the authenticator app shows, or an unused recovery code.",
    )


class TokenView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [FailedLoginThrottle]

    def get_authenticate_header(self, request):
        # Wrong credentials are a 401 (API.md), which DRF only sends with a challenge.
        return "Token"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer(
                "TokenResponse",
                {
                    "token": serializers.CharField(help_text="Shown this once: only a hash of it is stored."),
                    "expiry": serializers.DateTimeField(help_text="When the token stops working."),
                },
            ),
            400: OpenApiResponse(description='Invalid input, or a two-factor code missing or wrong: `{"otp": [...]}`'),
        },
        auth=[],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request, username=serializer.validated_data["username"], password=serializer.validated_data["password"]
        )
        if user is None:
            FailedLoginThrottle().record_failure(request, self)
            raise AuthenticationFailed("Unable to log in with these credentials.")
        try:
            two_factor.check_sign_in(user, serializer.validated_data.get("otp", ""))
        except Invalid as exc:
            # A missing code is the first step of a two-step client; a wrong one is a guess.
            if exc.code == "otp_invalid":
                FailedLoginThrottle().record_failure(request, self)
            raise
        token, key = tokens.issue_token(user)
        FailedLoginThrottle().record_success(request, self)
        return Response({"token": key, "expiry": token.expiry})


class MembershipSummarySerializer(serializers.ModelSerializer):
    partner_name = serializers.CharField(source="partner.name", default=None, allow_null=True, read_only=True)

    class Meta:
        model = Membership
        fields = ["partner", "partner_name", "role"]


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    name = serializers.CharField()
    is_licensor = serializers.BooleanField()
    memberships = MembershipSummarySerializer(many=True)


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(me_payload(request.user))


# --- partners -------------------------------------------------------------------


class PartnerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Partner
        fields = ["id", "name", "slug", "status", "time_zone"]

    def validate_time_zone(self, value):
        if value not in zoneinfo.available_timezones():
            raise serializers.ValidationError(f"{value!r} is not a time zone name such as Europe/London.")
        return value


class PartnerFilter(filters.FilterSet):
    class Meta:
        model = Partner
        fields = ["status", "slug"]


class PartnerViewSet(ScopedViewSet):
    """Partners: the licensing organisation writes; everyone else reads the partners they belong to.

    Partners are never deleted (their records are kept): set the status to `exited`.
    """

    queryset = Partner.objects.all()
    serializer_class = PartnerSerializer
    filterset_class = PartnerFilter
    permission_classes = [LicensorWrites]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.create_partner(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_partner(
            by=self.request.user, partner=serializer.instance, **serializer.validated_data
        )


# --- memberships ----------------------------------------------------------------


class MembershipSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.CharField(source="user.name", read_only=True)
    partner_name = serializers.CharField(source="partner.name", default=None, allow_null=True, read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "email", "name", "partner", "partner_name", "role", "created_at"]
        read_only_fields = fields


class MembershipFilter(filters.FilterSet):
    # By id, not a choice among all users: whether a user exists is not the caller's to learn.
    user = filters.UUIDFilter(field_name="user_id")

    class Meta:
        model = Membership
        fields = ["partner", "role", "user"]


class MembershipViewSet(ScopedListDestroyViewSet):
    """Roles held by users. Coordinators see and remove their partner's; others see their own."""

    queryset = Membership.objects.select_related("user", "partner")
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter

    def perform_destroy(self, instance):
        services.remove_membership(by=self.request.user, membership=instance)


# --- invitations ----------------------------------------------------------------


class InvitationSerializer(serializers.ModelSerializer):
    partner = TargetPartnerField(
        queryset=Partner.objects.all(),
        allow_null=True,
        required=False,
        help_text="The partner the person joins; null with the licensor_admin role.",
    )
    role = serializers.ChoiceField(choices=Role.choices)
    person = VisibleRelatedField(
        queryset=Person.objects.all(),
        allow_null=True,
        required=False,
        help_text="The person of the partner the invitation is for (no login yet): it goes to their address, and "
        "accepting it gives their profile the login. `email` may then be left out.",
    )

    class Meta:
        model = Invitation
        fields = ["id", "partner", "email", "role", "person", "created_at", "expires_at", "accepted_at"]
        read_only_fields = ["id", "created_at", "expires_at", "accepted_at"]
        extra_kwargs = {"email": {"required": False, "allow_blank": True}}


class AcceptInvitationSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False, max_length=4096)


class InvitationViewSet(ScopedViewSet):
    """Invitations to take a role. Coordinators invite to their own partner; licensor admins to any.

    The token travels only in the emailed link; it is never returned by the API.
    """

    queryset = Invitation.objects.select_related("partner")
    serializer_class = InvitationSerializer
    filterset_fields = ["partner", "role"]
    http_method_names = ["get", "post", "delete", "head", "options"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance, _ = services.invite(
            by=self.request.user,
            partner=data.get("partner"),
            email=data.get("email", ""),
            role=data["role"],
            person=data.get("person"),
        )

    def perform_destroy(self, instance):
        services.revoke_invitation(by=self.request.user, invitation=instance)

    @extend_schema(
        request=AcceptInvitationSerializer,
        responses={
            201: MeSerializer,
            400: OpenApiResponse(description="Invalid, used or expired token"),
            429: OpenApiResponse(description="Too many failed sign-ins; try again after Retry-After seconds"),
        },
        auth=[],
    )
    # Accepting is done by someone who may have no account yet and proves
    # themselves with the token alone: no session, so no CSRF check either.
    @action(
        detail=False,
        methods=["post"],
        permission_classes=[AllowAny],
        authentication_classes=[],
        throttle_classes=[InvitationPasswordThrottle],
    )
    def accept(self, request):
        serializer = AcceptInvitationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = services.accept_invitation(**serializer.validated_data)
        except Invalid as exc:
            # An existing account's password is checked here too: a wrong one is a failed sign-in.
            if exc.code == "password_mismatch":
                InvitationPasswordThrottle().record_failure(request, self)
            raise
        InvitationPasswordThrottle().record_success(request, self)
        return Response(me_payload(user), status=status.HTTP_201_CREATED)


def me_payload(user):
    memberships = list(user.memberships.select_related("partner").order_by("created_at"))
    return MeSerializer(
        {
            "id": user.pk,
            "email": user.email,
            "name": user.name,
            "is_licensor": any(m.role == Role.LICENSOR_ADMIN for m in memberships),
            "memberships": memberships,
        }
    ).data
