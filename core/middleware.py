"""Request-wide rules: one notion of the client's address behind the proxy; staff need a sign-in with
a second factor for staff areas; times show in the viewer's timezone; public pages are kept a few
seconds for visitors who are not signed in."""

from __future__ import annotations

import hashlib
import ipaddress
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from core.moments import zone_of

PROTECTED_PREFIXES = ("/admin/", "/moderation/")


def client_address(request) -> str:
    """The address of the person at the other end of the request.

    Behind TRUSTED_PROXY_COUNT proxies that each append the address they saw to X-Forwarded-For,
    it is the entry the outermost trusted proxy wrote, counted from the right. Entries further left
    are whatever the client chose to send and are never believed. Without the header (no proxy, or
    a count of 0) it is the connection's own address. Every rate limit (allauth's, DRF's, ours)
    keys on this one answer."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",")]
    candidate = hops[-min(count, len(hops))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


class ClientAddressMiddleware:
    """Puts the client's address (see `client_address`) in REMOTE_ADDR before anything reads it, so
    code that reads REMOTE_ADDR agrees with the rate limits. The proxy's own address stays in
    PROXY_REMOTE_ADDR."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        address = client_address(request)
        if address != request.META.get("REMOTE_ADDR"):
            request.META["PROXY_REMOTE_ADDR"] = request.META.get("REMOTE_ADDR", "")
            request.META["REMOTE_ADDR"] = address
        return self.get_response(request)


def signed_in_with_second_factor(request) -> bool:
    """Whether this session's sign-in passed a two-factor challenge. allauth records every way the
    session authenticated; a code given only to re-authenticate does not count, since anyone
    holding the password can enrol an authenticator of their own and then "re-authenticate" with it."""
    return any(
        record.get("method") == "mfa" and not record.get("reauthenticated")
        for record in get_authentication_records(request, request.user)
    )


class StaffMFAMiddleware:
    """Staff areas open only to a session that signed in with a second factor. Staff without one
    are sent to set one up; with one but signed in by password alone (including a session that
    enrolled it), they are signed out and asked to sign in again with the code."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.is_staff
            and request.path.startswith(PROTECTED_PREFIXES)
            and not request.path.startswith("/admin/logout")
            and not signed_in_with_second_factor(request)
        ):
            if not is_mfa_enabled(user):
                messages.warning(
                    request,
                    "Staff areas need two-factor authentication. Set up an authenticator app, "
                    "then sign in again with a code from it.",
                )
                return redirect(reverse("mfa_activate_totp"))
            logout(request)
            messages.warning(request, "Staff areas need a sign-in with your authenticator code. Sign in again.")
            return redirect(f"{reverse('account_login')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class UserTimezoneMiddleware:
    """Times on every page are shown in the signed-in person's own timezone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        timezone.deactivate()
        if user is not None and user.is_authenticated:
            timezone.activate(zone_of(user))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class AnonymousPageCacheMiddleware:
    """Pages everyone sees alike (the project list and search, a project's page, the project API
    list) are kept for a few seconds for visitors who are not signed in: the same address gets the
    same bytes, so a crowd of visitors costs one render per address per interval.

    Only a GET from someone with no session (and no flash messages waiting) is served from or
    stored in the cache, and only a 200 whose rendering asked for no CSRF token and set no cookie.
    Nothing is invalidated: a page is at most ANONYMOUS_PAGE_CACHE_SECONDS old. Signed-in people
    always get a fresh page. 0 turns it off."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = self._key(request)
        if key is None:
            return self.get_response(request)
        cached = cache.get(key)
        if cached is not None:
            return cached
        response = self.get_response(request)
        if self._storable(request, response):
            cache.set(key, response, settings.ANONYMOUS_PAGE_CACHE_SECONDS)
        return response

    @staticmethod
    def _key(request) -> str | None:
        seconds = settings.ANONYMOUS_PAGE_CACHE_SECONDS
        if not seconds or request.method != "GET":
            return None
        if settings.SESSION_COOKIE_NAME in request.COOKIES or CookieStorage.cookie_name in request.COOKIES:
            return None
        if request.headers.get("Authorization") or getattr(request, "htmx", False):
            return None
        try:
            name = resolve(request.path_info).url_name
        except Resolver404:
            return None
        if name not in settings.ANONYMOUS_PAGE_CACHE_VIEWS:
            return None
        where = f"{request.get_host()}{request.get_full_path()}|{request.headers.get('Accept', '')}"
        return "anonymous-page:" + hashlib.sha256(where.encode()).hexdigest()

    @staticmethod
    def _storable(request, response) -> bool:
        user = getattr(request, "user", None)
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            and not (user is not None and user.is_authenticated)
        )


class SiteErrorPagesMiddleware:
    """The site's own pages where Django would answer with its technical or blank ones:

    - a page that is not found is templates/404.html with DEBUG on too (as under `make run`),
      where Django lists every URL pattern: an address no pattern matches (no `resolver_match`)
      and a view raising Http404 (an object that is not the person's). Without DEBUG, Django
      already renders that template;
    - an address that only takes a form, opened in the browser (a bookmarked or refreshed POST
      address), is templates/405.html instead of an empty 405.

    The API answers JSON itself (core.api)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        html = response.get("Content-Type", "").startswith("text/html")
        if settings.DEBUG and response.status_code == 404 and request.resolver_match is None and html:
            return render(request, "404.html", status=404)
        if (
            response.status_code == 405
            and not response.streaming
            and not response.content
            and not request.path.startswith("/api/")
        ):
            page = render(request, "405.html", status=405)
            page["Allow"] = response.get("Allow", "")
            return page
        return response

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return render(request, "404.html", status=404)
        return None
