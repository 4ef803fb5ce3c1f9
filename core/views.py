"""Infrastructure views that are not part of any product feature."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.static import serve as static_serve

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request):
    """Liveness and readiness for container health checks: 200 "ok" once the database answers.

    The database error is logged, never shown: the endpoint is public and needs no login.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check failed: the database did not answer SELECT 1")
        return HttpResponse("database unavailable", status=503, content_type="text/plain; charset=utf-8")
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (the admin, files opened directly)."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


@require_safe
def serve_media(request, path: str):
    """Uploaded files from MEDIA_ROOT. Images were decoded and re-encoded on upload, and
    `nosniff` stops a browser from reading them as anything but their stated type."""
    response = static_serve(request, path, document_root=settings.MEDIA_ROOT)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=86400"
    return response
