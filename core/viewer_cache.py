"""Pages a signed-in person reloads (their dashboard, a contract, a project) are kept a few seconds
for that person alone, in that browser alone.

What a cached page may be:
- **Never older than what the person did.** Every write they send (any POST, PUT, PATCH or
  DELETE) gives them a new generation once it is answered; a page is stored under the generation
  it was rendered in, so the next page after their own action is always rendered afresh.
- **Never older than what they were told.** A notification to someone (the other party funded,
  submitted, approved, wrote) gives them a new generation once it commits.
- **At most VIEWER_PAGE_CACHE_SECONDS old** for anything else (another person's change that told
  nobody, a clock that moved on).

Only a 200 to a GET of a view named in VIEWER_PAGE_CACHE_VIEWS, with no flash message waiting or
shown, that set no cookie, is stored. The key holds the person, their generation, their session
and CSRF cookies, the host and the full path, so nobody else, and no other browser, ever gets it.

A money form carries a key made when it is shown (core.forms.IntentField): the keys a render made
are stored with it and replaced by new ones each time the page is served from the cache, so two
showings of a form are still two intents."""

from __future__ import annotations

import contextvars
import hashlib
import uuid

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.urls import Resolver404, resolve

_GENERATION = "viewer-gen:{}"
_PAGE = "viewer-page:"
# A generation outlives every page stored under it by far; when it expires the next one is new.
_GENERATION_SECONDS = 24 * 3600

_rendered_keys: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("rendered_keys", default=None)


def new_form_key() -> str:
    """A fresh key for a form that must not be posted twice; noted if a cacheable page is rendering."""
    key = uuid.uuid4().hex
    rendered = _rendered_keys.get()
    if rendered is not None:
        rendered.append(key)
    return key


def viewer_changed(*user_ids: int, now: bool = False) -> None:
    """These people's cached pages are out of date once the current transaction commits (`now`:
    at once, for a request whose work is done)."""
    ids = [pk for pk in user_ids if pk]
    if not ids or not settings.VIEWER_PAGE_CACHE_SECONDS:
        return

    def bump():
        cache.set_many({_GENERATION.format(pk): uuid.uuid4().hex for pk in ids}, _GENERATION_SECONDS)

    if now:
        bump()
    else:
        transaction.on_commit(bump)


def _generation(user_id: int) -> str:
    return cache.get(_GENERATION.format(user_id)) or "0"


def _has_messages(request) -> bool:
    storage = getattr(request, "_messages", None)
    if storage is not None and len(storage):
        return True
    if request.COOKIES.get(CookieStorage.cookie_name):
        return True
    session = getattr(request, "session", None)
    return bool(session is not None and session.get("_messages"))


def _csrf_cookie_kept(request) -> bool:
    """The page's CSRF tokens belong to the cookie the browser sent (Django renews a cookie that is
    used, which needs no new page; a new or rotated one does)."""
    if not request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return True
    sent = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    return bool(sent) and request.META.get("CSRF_COOKIE") == sent


class ViewerPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if not settings.VIEWER_PAGE_CACHE_SECONDS or user is None or not user.is_authenticated:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            try:
                return self.get_response(request)
            finally:
                viewer_changed(user.pk, now=True)
        key = self._key(request, user)
        if key is None:
            return self.get_response(request)
        stored = cache.get(key)
        if stored is not None:
            return self._serve(*stored)
        token = _rendered_keys.set([])
        try:
            response = self.get_response(request)
            rendered = _rendered_keys.get()
        finally:
            _rendered_keys.reset(token)
        if self._storable(request, response):
            cache.set(key, (response, rendered), settings.VIEWER_PAGE_CACHE_SECONDS)
        return response

    @staticmethod
    def _key(request, user) -> str | None:
        if request.method != "GET" or getattr(request, "htmx", False) or request.headers.get("Authorization"):
            return None
        try:
            name = resolve(request.path_info).url_name
        except Resolver404:
            return None
        if name not in settings.VIEWER_PAGE_CACHE_VIEWS or _has_messages(request):
            return None
        where = "|".join(
            [
                str(user.pk),
                _generation(user.pk),
                request.COOKIES.get(settings.SESSION_COOKIE_NAME, ""),
                request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""),
                request.get_host(),
                request.get_full_path(),
                request.headers.get("Accept", ""),
            ]
        )
        return _PAGE + hashlib.sha256(where.encode()).hexdigest()

    @staticmethod
    def _storable(request, response) -> bool:
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and _csrf_cookie_kept(request)
            and not _has_messages(request)
        )

    @staticmethod
    def _serve(response, rendered: list[str]):
        if rendered:
            content = response.content
            for old in rendered:
                content = content.replace(old.encode(), uuid.uuid4().hex.encode())
            response.content = content
        return response
