"""Reads of the market's search and list pages go to a PostgreSQL read replica, when there is one.

Only with DATABASE_REPLICA_URL set; otherwise every query goes to the primary, as before. A replica
lags its primary by a fraction of a second (more under load), so the replica is opt-in, not opt-out:
- only the search and list pages named in REPLICA_VIEWS, for GET and HEAD, read from it, and only
  the models in REPLICA_MODELS (projects, skills, freelancer profiles); a detail page, a download,
  a dashboard, the money, an access check, a task, a command: all on the primary;
- every read inside a transaction stays on the primary (a service checks what it is about to change);
- for REPLICA_PIN_SECONDS after a person writes anything (a cookie set on every POST, PUT, PATCH and
  DELETE), their list pages read from the primary too: the project a client has just posted is in
  their list on the next page even while the replica lags.
See docs/scaling.md.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
PIN_COOKIE = "pw_primary"
# URL names of the pages and API lists whose reads may lag by a second: search and browsing.
REPLICA_VIEWS = frozenset({"project_search", "freelancer_search", "project-list", "home"})
# The rows behind them.
REPLICA_MODELS = frozenset(
    {
        ("marketplace", "project"),
        ("marketplace", "project_skills"),
        ("accounts", "skill"),
        ("accounts", "skillcategory"),
        ("accounts", "freelancerprofile"),
        ("accounts", "freelancerprofile_skills"),
    }
)
SAFE_METHODS = frozenset({"GET", "HEAD"})

_replica_allowed: ContextVar[bool] = ContextVar("replica_allowed", default=False)


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str | None:
        if not (settings.DATABASE_REPLICA_URL and _replica_allowed.get()):
            return None
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return None
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return instance._state.db  # related rows come from where their parent came from
        if (model._meta.app_label, model._meta.model_name) in REPLICA_MODELS:
            return REPLICA
        return None

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # The replica holds the primary's rows: a row read from either may point at a row from the other.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool | None:
        return False if db == REPLICA else None


class ReplicaPinMiddleware:
    """Lets the search and list pages read from the replica, except for a person who has just written."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _replica_allowed.set(False)
        try:
            response = self.get_response(request)
        finally:
            _replica_allowed.reset(token)
        if request.method not in SAFE_METHODS and request.method != "OPTIONS":
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.REPLICA_PIN_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        _replica_allowed.set(
            request.method in SAFE_METHODS
            and PIN_COOKIE not in request.COOKIES
            and match is not None
            and match.view_name in REPLICA_VIEWS
        )
