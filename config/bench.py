"""What the benchmark needs from the app, on only when BENCH_BARE_VIEW=1 (never in production):
a bare view to compare every page with, and a count of the queries each request ran."""

from __future__ import annotations

from django.db import connections
from django.http import HttpRequest, HttpResponse


def bare(request: HttpRequest) -> HttpResponse:
    """The floor every page is measured against: Django's request cycle, no database, no template."""
    return HttpResponse(b"ok", content_type="text/plain")


class QueryCountMiddleware:
    """Adds X-Query-Count: the queries this request ran on every database, sessions and auth included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        wrappers = [connection.execute_wrapper(counter) for connection in connections.all()]
        for wrapper in wrappers:
            wrapper.__enter__()
        try:
            response = self.get_response(request)
        finally:
            for wrapper in reversed(wrappers):
                wrapper.__exit__(None, None, None)
        response["X-Query-Count"] = str(count)
        return response
