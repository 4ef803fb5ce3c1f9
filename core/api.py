"""One exception handler for the whole API: domain errors become clear JSON with the right status."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import DomainError, InvalidTransition, NotAllowed, RateLimited


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This action is not possible in the object's current state."
    default_code = "invalid_transition"


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, RateLimited):
        exc = exceptions.Throttled(detail=exc.message)
    elif isinstance(exc, InvalidTransition):
        exc = Conflict(detail=exc.message)
    elif isinstance(exc, NotAllowed):
        exc = exceptions.PermissionDenied(detail=exc.message)
    elif isinstance(exc, DomainError):
        detail = {exc.field: [exc.message]} if exc.field else {"detail": exc.message}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(detail=str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


# Object ids in addresses are ASCII digits: Python's \d and int() also take other scripts' digits
# ("١٤" would find object 14), and DRF's default lookup takes anything up to a slash or a dot.
ID_REGEX = "[0-9]+"


class IdRouter(DefaultRouter):
    """The API's router: an object's address holds its id as ASCII digits, unless the viewset says otherwise."""

    def get_lookup_regex(self, viewset, lookup_prefix: str = "") -> str:
        lookup_url_kwarg = getattr(viewset, "lookup_url_kwarg", None) or getattr(viewset, "lookup_field", "pk")
        value = getattr(viewset, "lookup_value_regex", ID_REGEX)
        return f"(?P<{lookup_prefix}{lookup_url_kwarg}>{value})"


@csrf_exempt  # nothing is done here, so there is nothing to protect: any method gets the same JSON 404
def not_found(request, *args, **kwargs) -> JsonResponse:
    """An API address that does not exist answers in JSON like every other API error."""
    return JsonResponse({"detail": "Not found. Every path of the API is listed at /api/v1/docs/."}, status=404)


def _under_api(request) -> bool:
    return request.path.startswith("/api/")


def server_error(request) -> HttpResponse:
    """The site's 500 handler (Django has logged the error by now): JSON under /api/, the page elsewhere."""
    if _under_api(request):
        return JsonResponse(
            {"detail": "Something went wrong on our side. It has been logged; please try again later."}, status=500
        )
    return defaults.server_error(request)


def bad_request(request, exception) -> HttpResponse:
    """A request Django refuses before any view reads it (too many form fields, a suspicious
    header): JSON under /api/, the page elsewhere."""
    if _under_api(request):
        return JsonResponse({"detail": "The request could not be read."}, status=400)
    return defaults.bad_request(request, exception)
