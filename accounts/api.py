"""Accounts over the REST API: tokens for scripts, and the signed-in person's own record."""

from __future__ import annotations

import zoneinfo

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth import authenticate
from django_countries.serializers import CountryFieldMixin
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import services
from accounts.models import User
from core.serializers import RejectUnknownFieldsMixin
from core.text import single_line


class TokenRequestSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    code = serializers.CharField(
        required=False, allow_blank=True, help_text="Authenticator or recovery code, for accounts with two-factor on."
    )


def _mfa_code_is_valid(user: User, code: str) -> bool:
    for authenticator in Authenticator.objects.filter(user=user):
        if authenticator.type == Authenticator.Type.TOTP and TOTP(authenticator).validate_code(code):
            return True
        if authenticator.type == Authenticator.Type.RECOVERY_CODES and RecoveryCodes(authenticator).validate_code(code):
            return True
    return False


class TokenView(APIView):
    """Exchange email and password (and a two-factor code when on) for an API token."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth_token"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
        auth=[],
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"].lower()
        user = authenticate(request, email=email, password=data.validated_data["password"])
        # One message for a wrong password and an unknown email, so the endpoint reveals no accounts.
        invalid = Response({"detail": "Email or password is not correct."}, status=status.HTTP_400_BAD_REQUEST)
        if user is None:
            return invalid
        if not EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists():
            return Response(
                {"detail": "Confirm your email address first; the link is in the email we sent."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if is_mfa_enabled(user):
            code = (data.validated_data.get("code") or "").strip()
            if not code:
                return Response(
                    {"code": ["This account uses two-factor authentication: send a code from your app."]},
                    status=status.HTTP_400_BAD_REQUEST,
                )
            if not _mfa_code_is_valid(user, code):
                return Response({"code": ["This code is not valid."]}, status=status.HTTP_400_BAD_REQUEST)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MeSerializer(RejectUnknownFieldsMixin, CountryFieldMixin, serializers.ModelSerializer):
    is_suspended = serializers.BooleanField(read_only=True)
    freelancer_profile_url = serializers.SerializerMethodField()
    client_profile_url = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "full_name",
            "country",
            "timezone",
            "is_client",
            "is_freelancer",
            "is_suspended",
            "date_joined",
            "freelancer_profile_url",
            "client_profile_url",
        ]
        read_only_fields = ["id", "email", "is_client", "is_freelancer", "date_joined"]
        # The name is required and on one line, as on the account page.
        extra_kwargs = {"full_name": {"allow_blank": False, "validators": [single_line]}}

    def get_freelancer_profile_url(self, user: User) -> str | None:
        profile = getattr(user, "freelancer_profile", None)
        return profile.get_absolute_url() if user.is_freelancer and profile else None

    def get_client_profile_url(self, user: User) -> str | None:
        profile = getattr(user, "client_profile", None)
        return profile.get_absolute_url() if user.is_client and profile else None

    def validate_timezone(self, value: str) -> str:
        if value not in zoneinfo.available_timezones():
            raise serializers.ValidationError("Choose a timezone such as Europe/Berlin.")
        return value


class MeView(APIView):
    """The signed-in person's account."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)

    @extend_schema(request=MeSerializer, responses=MeSerializer)
    def patch(self, request):
        serializer = MeSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(user=request.user, **serializer.validated_data)
        return Response(MeSerializer(user).data)
