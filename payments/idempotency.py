"""Idempotency-Key for money-moving API requests: a retried request answers what the first one
answered, and the money moves once.

How a request with the header runs (`@idempotent` on a DRF view method):

1. The key is scoped to the signed-in user; the request's fingerprint is a hash of its method,
   path, query and body (canonical JSON, or sorted form fields and file digests).
2. In one transaction: claim the (user, key) row of `IdempotentRequest` (UNIQUE), run the view,
   store its status and body. The money and the stored answer commit together or not at all.
3. A row for the key with the same fingerprint and a stored answer is replayed: the same status
   and body, plus `Idempotent-Replayed: true`. The same key with another fingerprint is refused
   (422). A row without an answer yet means the first request is still running (409).

Races: on PostgreSQL a transaction-scoped advisory lock on (user, key) is tried first, so a
second request with a key that is still running gets 409 at once instead of queueing behind the
first; SQLite runs write transactions one at a time (`transaction_mode` IMMEDIATE), so the second
one waits and then finds the stored answer. Either way the UNIQUE (user, key) row is the last
guard: whoever loses the insert gets the replay or 409, never a second run of the view.

A request that fails (the view raises: a refused transition, a declined card, bad input) stores
nothing and moves nothing, so retrying it with the same key runs it again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils.datastructures import MultiValueDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from payments.models import IdempotentRequest

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Visible ASCII only, as long as the column: a UUID fits, and so does any sane client's scheme.
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,200}")

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string up to 200 visible characters (a UUID is ideal). Retrying with the same key "
        "returns the first response (with `Idempotent-Replayed: true`) and moves money once; the same key "
        "with a different request is refused with 422, and while the first request is still running, 409."
    ),
)


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was used with a different request."
    default_code = "idempotency_key_reused"


class IdempotentRequestRunning(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A request with this Idempotency-Key is still running. Retry in a moment to get its response."
    default_code = "idempotent_request_running"


def idempotency_key(request: Request) -> str | None:
    """The request's Idempotency-Key, checked, or None when it has none."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not KEY_PATTERN.fullmatch(key):
        raise ValidationError({HEADER: ["Send 1 to 200 visible ASCII characters without spaces, such as a UUID."]})
    return key


def _file_digest(upload: UploadedFile) -> dict:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return {"name": upload.name, "size": upload.size, "sha256": digest.hexdigest()}


def _canonical(value):
    if isinstance(value, UploadedFile):
        return _file_digest(value)
    if isinstance(value, MultiValueDict):  # form and multipart bodies: every value of every field
        return {key: [_canonical(item) for item in value.getlist(key)] for key in sorted(value.keys())}
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    return value


def request_fingerprint(request: Request) -> str:
    """A hash of what the request asks for: method, path, query and body, independent of key order."""
    query = _canonical(request.query_params)
    payload = {
        "method": request.method,
        "path": request.path,
        "query": query,
        "body": _canonical(request.data),
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _advisory_lock_id(user_id: int, key: str) -> int:
    digest = hashlib.sha256(f"idempotency:{user_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _claim_or_refuse(user_id: int, key: str) -> None:
    """PostgreSQL: refuse at once (409) while another transaction runs a request with this key."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_advisory_lock_id(user_id, key)])
        (locked,) = cursor.fetchone()
    if not locked:
        raise IdempotentRequestRunning()


def _replay(record: IdempotentRequest, fingerprint: str) -> Response:
    if record.request_hash != fingerprint:
        raise IdempotencyKeyReused()
    if record.status_code is None:
        raise IdempotentRequestRunning()
    return Response(record.response_body, status=record.status_code, headers={REPLAYED_HEADER: "true"})


def _stored_body(response: Response):
    """The body as JSON values (dates and decimals as the renderer wrote them), so a replay is identical."""
    if response.data is None:
        return None
    return json.loads(JSONRenderer().render(response.data))


def request_intent(request: Request) -> str:
    """The intent a money service keys its ledger posting by, from the caller's Idempotency-Key:
    the same key from the same person names the same move, below the stored answer too. Empty
    without the header (the service then treats the call as a request of its own)."""
    key = idempotency_key(request)
    if key is None or not request.user.is_authenticated:
        return ""
    return "api-" + hashlib.sha256(f"{request.user.pk}:{key}".encode()).hexdigest()[:40]


def idempotent(view_method: Callable) -> Callable:
    """Make a DRF view method honour the Idempotency-Key header (see the module docstring).

    Without the header the view runs as usual. Put it innermost, under @action and @extend_schema,
    and add IDEMPOTENCY_KEY_PARAMETER to the schema's parameters.
    """

    @functools.wraps(view_method)
    def wrapper(view, request: Request, *args, **kwargs):
        key = idempotency_key(request)
        if key is None or not request.user.is_authenticated:
            return view_method(view, request, *args, **kwargs)
        fingerprint = request_fingerprint(request)
        user = request.user
        with transaction.atomic():
            _claim_or_refuse(user.pk, key)
            existing = IdempotentRequest.objects.filter(user=user, key=key).first()
            if existing is not None:
                return _replay(existing, fingerprint)
            try:
                with transaction.atomic():
                    record = IdempotentRequest.objects.create(
                        user=user, key=key, method=request.method, path=request.path[:300], request_hash=fingerprint
                    )
            except IntegrityError:
                # Another request with this key committed between the lookup and the insert.
                return _replay(IdempotentRequest.objects.get(user=user, key=key), fingerprint)
            response = view_method(view, request, *args, **kwargs)
            if response.status_code >= 500:
                transaction.set_rollback(True)  # nothing is kept from a failure, so a retry runs again
                return response
            IdempotentRequest.objects.filter(pk=record.pk).update(
                status_code=response.status_code, response_body=_stored_body(response)
            )
        return response

    return wrapper
