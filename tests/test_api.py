import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.urls import path
from rest_framework.test import APIClient
from rest_framework.views import APIView

from core.exceptions import DomainError, InvalidTransition
from tests.factories import PASSWORD, FreelancerProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_token_for_email_and_password_opens_me(api):
    user = FreelancerProfileFactory().user
    response = api.post("/api/v1/auth/token/", {"email": user.email.upper(), "password": PASSWORD}, format="json")
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = api.get("/api/v1/me/").json()
    assert me["email"] == user.email
    assert me["freelancer_profile_url"] == f"/freelancers/{user.pk}/"


def test_wrong_password_and_unknown_email_get_the_same_answer(api):
    UserFactory(email="known@example.com")
    wrong = api.post("/api/v1/auth/token/", {"email": "known@example.com", "password": "nope"}, format="json")
    unknown = api.post("/api/v1/auth/token/", {"email": "ghost@example.com", "password": "nope"}, format="json")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()


def test_unconfirmed_email_gets_no_token(api):
    user = UserFactory(verified=False)
    response = api.post("/api/v1/auth/token/", {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert "Confirm your email" in response.json()["detail"]


def test_two_factor_accounts_need_a_code_for_a_token(api):
    user = UserFactory()
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    body = {"email": user.email, "password": PASSWORD}
    assert "code" in api.post("/api/v1/auth/token/", body, format="json").json()
    assert api.post("/api/v1/auth/token/", {**body, "code": "000000"}, format="json").status_code == 400
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    assert api.post("/api/v1/auth/token/", {**body, "code": code}, format="json").status_code == 200
    assert Authenticator.objects.filter(user=user).count() == 1


def test_token_endpoint_is_throttled(api, settings):
    UserFactory(email="target@example.com")
    statuses = [
        api.post("/api/v1/auth/token/", {"email": "target@example.com", "password": "guess"}, format="json").status_code
        for _ in range(12)
    ]
    assert statuses[0] == 400
    assert statuses[-1] == 429


def test_me_requires_authentication(api):
    # no credentials, or a token that is not one: 401 and how to authenticate, as JSON
    for headers in ({}, {"HTTP_AUTHORIZATION": "Token not-a-real-token"}):
        response = api.get("/api/v1/me/", **headers)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert "detail" in response.json()


def test_an_address_the_api_does_not_have_is_a_json_404(api):
    for address in ("/api/v1/nothing-here/", "/api/v1/projects/12/nothing/", "/api/v1/me/extra/"):
        response = api.get(address)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert "/api/v1/docs/" in response.json()["detail"]


def test_me_patch_validates_timezone_and_changes_nothing_on_error(api):
    user = UserFactory(timezone="UTC")
    api.force_authenticate(user)
    response = api.patch("/api/v1/me/", {"timezone": "Mars/Olympus"}, format="json")
    assert response.status_code == 400 and "timezone" in response.json()
    user.refresh_from_db()
    assert user.timezone == "UTC"
    # email changes go through confirmation, not the API: refused, like every field that cannot be set
    response = api.patch("/api/v1/me/", {"timezone": "Europe/Berlin", "email": "new@example.com"}, format="json")
    assert response.status_code == 400 and "email" in response.json()
    user.refresh_from_db()
    assert user.timezone == "UTC" and user.email != "new@example.com"
    response = api.patch("/api/v1/me/", {"timezone": "Europe/Berlin"}, format="json")
    user.refresh_from_db()
    assert user.timezone == "Europe/Berlin"


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/auth/token/" in schema.content and b"/api/v1/me/" in schema.content
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()


class Raises(APIView):
    permission_classes: list = []
    error: Exception | None = None

    def get(self, request):
        raise self.error


urlpatterns = [
    path("transition/", Raises.as_view(error=InvalidTransition("This milestone is already funded."))),
    path("rule/", Raises.as_view(error=DomainError("Amount must be positive.", field="amount"))),
]


@pytest.mark.urls(__name__)
def test_domain_errors_become_clear_json(api):
    conflict = api.get("/transition/")
    assert conflict.status_code == 409
    assert conflict.json() == {"detail": "This milestone is already funded."}
    rule = api.get("/rule/")
    assert rule.status_code == 400
    assert rule.json() == {"amount": ["Amount must be positive."]}
