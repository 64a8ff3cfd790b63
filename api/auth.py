"""Signing in over HTTP beyond the login itself (api.core.TokenView): a user's own tokens (list, revoke,
sign out, sign out everywhere) and their two-factor devices."""

from base64 import b32encode

from django.contrib.auth import logout
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from api.throttles import SignedInPasswordThrottle
from core.errors import Invalid
from franchise import tokens, two_factor
from franchise.models import ApiToken


def _current_token(request):
    return request.auth if isinstance(request.auth, ApiToken) else None


# --- tokens -------------------------------------------------------------------------


class ApiTokenSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField(help_text="The token this request came with.")

    class Meta:
        model = ApiToken
        # Never the key, its first characters or its hash.
        fields = ["id", "created", "expiry", "last_used_at", "current"]
        read_only_fields = fields

    def get_current(self, token) -> bool:
        current = _current_token(self.context["request"])
        return current is not None and current.pk == token.pk


class ApiTokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Your own API tokens that still work, newest first: when each was issued, expires and was last used.
    Revoking one stops it at once. Nobody lists or revokes another user's tokens."""

    serializer_class = ApiTokenSerializer
    queryset = ApiToken.objects.none()  # the schema's model; requests use get_queryset

    def get_queryset(self):
        return tokens.tokens_of(self.request.user)

    @extend_schema(responses={204: None, 404: OpenApiResponse(description="Not one of your tokens.")})
    def destroy(self, request, *args, **kwargs):
        tokens.revoke_token(by=request.user, token_id=kwargs["pk"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class SignOutView(APIView):
    @extend_schema(request=None, responses={204: None}, description="The token this request came with stops working.")
    def post(self, request):
        current = _current_token(request)
        if current is not None:
            tokens.revoke_token(by=request.user, token_id=current.pk)
        else:
            logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SignOutEverywhereView(APIView):
    @extend_schema(
        request=None,
        responses={200: inline_serializer("SignedOut", {"revoked": serializers.IntegerField()})},
        description="Every one of your tokens stops working, this request's too.",
    )
    def post(self, request):
        return Response({"revoked": tokens.revoke_all(by=request.user)})


# --- two-factor devices -----------------------------------------------------------------


class TwoFactorDeviceSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True, help_text="Opaque, like every id.")
    name = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="e.g. 'Phone'; 'Authenticator app' when left out."
    )
    confirmed = serializers.BooleanField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    last_used_at = serializers.DateTimeField(read_only=True, allow_null=True)


class TwoFactorEnrolmentSerializer(TwoFactorDeviceSerializer):
    otpauth_url = serializers.CharField(
        read_only=True, help_text="Shown this once: give it to the authenticator app (as a QR code, say)."
    )
    secret = serializers.CharField(read_only=True, help_text="The same secret, base32, to type in by hand.")


class TwoFactorCodeSerializer(serializers.Serializer):
    otp = serializers.CharField(max_length=32, help_text="The code the authenticator app shows now.")


class TwoFactorConfirmedSerializer(TwoFactorDeviceSerializer):
    recovery_codes = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Shown this once. Each signs in once instead of an app's code; earlier codes stop working.",
    )


class TwoFactorRemoveSerializer(serializers.Serializer):
    otp = serializers.CharField(max_length=32, required=False, allow_blank=True)
    password = serializers.CharField(
        required=False, allow_blank=True, max_length=1024, trim_whitespace=False, style={"input_type": "password"}
    )


class TwoFactorDeviceViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your authenticator-app devices. Enrol one (its secret is answered once), confirm it with a code
    (answers recovery codes, once, and signs you out everywhere else), and from then on the token login asks
    for `otp`. Remove a device with a current code or your password."""

    serializer_class = TwoFactorDeviceSerializer
    queryset = TOTPDevice.objects.none()  # the schema's model; requests use get_queryset

    def get_queryset(self):
        return two_factor.devices_of(self.request.user)

    @extend_schema(request=TwoFactorDeviceSerializer, responses={201: TwoFactorEnrolmentSerializer})
    def create(self, request):
        body = TwoFactorDeviceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        device = two_factor.start_enrolment(user=request.user, name=body.validated_data.get("name", ""))
        data = TwoFactorEnrolmentSerializer(device).data
        data["otpauth_url"] = device.config_url
        data["secret"] = _base32(device)
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=TwoFactorCodeSerializer,
        responses={200: TwoFactorConfirmedSerializer, 400: OpenApiResponse(description='Wrong code: `{"otp": [...]}`')},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        device = two_factor.device_of(request.user, pk)
        body = TwoFactorCodeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        codes = two_factor.confirm_device(
            user=request.user, device=device, otp=body.validated_data["otp"], keep_token=_current_token(request)
        )
        device.refresh_from_db()
        return Response({**TwoFactorDeviceSerializer(device).data, "recovery_codes": codes})

    @extend_schema(
        request=TwoFactorRemoveSerializer,
        responses={204: None, 400: OpenApiResponse(description='Neither a current code nor the password: `{"otp"}`')},
    )
    @action(detail=True, methods=["post"], throttle_classes=[SignedInPasswordThrottle])
    def remove(self, request, pk=None):
        device = two_factor.device_of(request.user, pk)
        body = TwoFactorRemoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            two_factor.remove_device(user=request.user, device=device, **body.validated_data)
        except Invalid as error:
            if error.code == "proof_required":
                SignedInPasswordThrottle().record_failure(request, self)
            raise
        return Response(status=status.HTTP_204_NO_CONTENT)


def _base32(device):
    return b32encode(device.bin_key).decode()
