"""The REST API's token authentication, over hashed, expiring tokens (accounts.tokens)."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from accounts.tokens import api_token_authenticate


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, as before; the key is looked up by its digest and must not
    have expired or been revoked. `request.auth` is the ApiToken row."""

    keyword = "Token"

    def authenticate_credentials(self, key):
        token = api_token_authenticate(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or expired token. Sign in again for a new one.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return token.user, token
