"""Sign-up does the same work whether or not the email has an account: the password is hashed in
both cases and the one email goes to the worker after commit, never from the request."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class CountingHasher(MD5PasswordHasher):
    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):
        type(self).calls += 1
        return super().encode(password, salt)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher", "django.contrib.auth.hashers.MD5PasswordHasher"]
    CountingHasher.calls = 0
    return CountingHasher


@pytest.mark.parametrize("registered", [True, False], ids=["email-with-account", "new-email"])
def test_sign_up_hashes_the_password_and_queues_the_email_either_way(
    registered, counting_hasher, mailoutbox, django_capture_on_commit_callbacks
):
    email = "someone@example.com"
    if registered:
        UserFactory(email=email)
    counting_hasher.calls = 0
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = Client().post(
            reverse("account_signup"),
            {"email": email, "password1": "a-long-new-passphrase", "password2": "a-long-new-passphrase"},
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert counting_hasher.calls == 1
    assert mailoutbox == []  # nothing was sent while the visitor waited

    for callback in queued:
        callback()
    assert [message.to for message in mailoutbox] == [[email]]
    assert User.objects.filter(email=email).count() == 1
    if registered:
        assert "already" in mailoutbox[0].body.lower()
    else:
        assert "/accounts/confirm-email/" in mailoutbox[0].body
