"""API tokens: issued for a sign-in, stored as a digest, revoked by their owner or by a change to
how the owner signs in (password, two-factor)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, User

# Active tokens one person may hold; issuing one more retires the oldest, so a script that signs
# in on every run cannot pile up keys.
MAX_ACTIVE_TOKENS = 20
# Last use is written at most this often per token, not on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def active_tokens(user: User):
    """The person's tokens that still work, newest first."""
    return ApiToken.objects.filter(user=user, expires_at__gt=timezone.now())


@transaction.atomic
def api_token_issue(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token for the person, valid API_TOKEN_LIFETIME from now. Returns the row and the key;
    the key is not stored and cannot be shown again."""
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        digest=token_digest(key),
        name=name[:100],
        created_at=now,
        expires_at=now + settings.API_TOKEN_LIFETIME,
    )
    ApiToken.objects.filter(user=user, expires_at__lte=now).delete()
    surplus = list(active_tokens(user).values_list("pk", flat=True)[MAX_ACTIVE_TOKENS:])
    if surplus:
        ApiToken.objects.filter(pk__in=surplus).delete()
    return token, key


def api_token_authenticate(key: str) -> ApiToken | None:
    """The token this key opens, with its user, if it has not expired or been revoked."""
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user").filter(digest=token_digest(key), expires_at__gt=now).first()
        if key
        else None
    )
    if token is not None and (token.last_used_at is None or token.last_used_at < now - LAST_USED_PRECISION):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_token_revoke(*, user: User, token_id: int) -> bool:
    """The person revokes one of their own tokens. False when they have no such token."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return bool(deleted)


def api_tokens_revoke_all(*, user: User) -> int:
    """Every token of the person stops working: their password changed or two-factor was turned on,
    so keys issued under the old way of signing in must not outlive it."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


def api_tokens_purge_expired(*, now=None) -> int:
    """Delete every token past its expiry (they no longer open anything); returns how many."""
    deleted, _ = ApiToken.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
