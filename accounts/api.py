"""Accounts over the REST API: tokens for scripts, and the signed-in person's own record."""

from __future__ import annotations

import zoneinfo

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.mfa.base.forms import AuthenticateForm
from allauth.mfa.utils import is_mfa_enabled
from django.core.exceptions import ValidationError
from django_countries.serializers import CountryFieldMixin
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import services
from accounts.authentication import ApiTokenAuthentication
from accounts.models import User
from accounts.tokens import api_token_issue, api_token_revoke
from core.middleware import client_address
from core.serializers import RejectUnknownFieldsMixin
from core.text import single_line


class TokenRequestSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    code = serializers.CharField(
        required=False, allow_blank=True, help_text="Authenticator or recovery code, for accounts with two-factor on."
    )
    name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="A label for the token on your settings page, e.g. the script that uses it. "
        "Defaults to the client's User-Agent.",
    )


class ClientAddressThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, keyed on the one client address every limit uses."""

    def get_ident(self, request) -> str:
        return client_address(request)


TOO_MANY_ATTEMPTS = "Too many failed attempts. Wait a few minutes before you try again."


def _too_many_attempts() -> Response:
    return Response({"detail": TOO_MANY_ATTEMPTS}, status=status.HTTP_429_TOO_MANY_REQUESTS)


def _check_second_factor(user: User, code: str) -> str | None:
    """None when the code is good; else the reason. allauth's own form checks it, so wrong codes
    here and on the web's two-factor page count against the same per-person limit."""
    form = AuthenticateForm(user=user, data={"code": code})
    if form.is_valid():
        form.authenticator.record_usage()
        return None
    return form.errors.as_data()["code"][0].code


class TokenView(APIView):
    """API tokens: sign in for a new one (POST), or revoke the one you call with (DELETE)."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [ClientAddressThrottle]
    throttle_scope = "auth_token"

    def get_authenticators(self):
        # Signing in takes no credentials but the body's; revoking takes the token being revoked.
        if getattr(self, "request", None) is not None and self.request.method == "DELETE":
            return [ApiTokenAuthentication()]
        return []

    def get_permissions(self):
        if self.request.method == "DELETE":
            return [permissions.IsAuthenticated()]
        return super().get_permissions()

    def get_throttles(self):
        return super().get_throttles() if self.request.method == "POST" else []

    @extend_schema(
        summary="Sign in for an API token",
        description=(
            "Exchange email and password (and a `code` from the authenticator app when two-factor is "
            "on) for a new API token; send it as `Authorization: Token <token>`. Each call issues a "
            "new token, shown only in this response (the server keeps only its SHA-256 digest). A "
            "token works until `expires_at`, a fixed time from issue (API_TOKEN_LIFETIME_DAYS, 30 "
            "days by default) that use does not extend, and stops working sooner when it is revoked "
            "(DELETE on this path, or on the settings page), the password is changed or reset, or "
            "two-factor is turned on. Failed passwords and codes count against the same per-account "
            "limits as the web sign-in: a locked account gets 429 here too."
        ),
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer(
                "TokenResponse",
                {
                    "token": serializers.CharField(help_text="The key; shown once."),
                    "expires_at": serializers.DateTimeField(help_text="When the token stops working."),
                },
            )
        },
        auth=[],
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"].lower()
        # allauth's sign-in check: a failure counts against the address and the account in the
        # same buckets as the web sign-in form, and a locked account stays locked here too.
        try:
            user = get_adapter(request).authenticate(request, email=email, password=data.validated_data["password"])
        except ValidationError:
            return _too_many_attempts()
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
            problem = _check_second_factor(user, code)
            if problem == "too_many_login_attempts":
                return _too_many_attempts()
            if problem is not None:
                return Response({"code": ["This code is not valid."]}, status=status.HTTP_400_BAD_REQUEST)
        name = (data.validated_data.get("name") or "").strip() or request.headers.get("User-Agent", "")
        token, key = api_token_issue(user=user, name=name)
        return Response({"token": key, "expires_at": token.expires_at})

    @extend_schema(
        summary="Revoke this token",
        description="Revokes the token the request is authenticated with: it stops working at once.",
        request=None,
        responses={204: None},
    )
    def delete(self, request):
        api_token_revoke(user=request.user, token_id=request.auth.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
