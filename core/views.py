"""Infrastructure views that are not part of any product feature."""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

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
