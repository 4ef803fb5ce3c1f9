"""What a signed-in person is shown stays out of shared caches (proxies, CDNs) and the browser's
disk: every response to them says `Cache-Control: private, no-store` unless it chose its own."""

from __future__ import annotations

from django.utils.cache import patch_cache_control


class PrivateResponsesMiddleware:
    """Sits outside the server-side page caches (core.middleware, core.viewer_cache), so a page
    served from them to a signed-in person carries the header too, and an anonymous page keeps
    its caching. Token callers count as signed in: DRF sets request.user once it has read the
    token, and a request that sends credentials is private whatever the answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and _signed_in(request):
            patch_cache_control(response, private=True, no_store=True)
        return response


def _signed_in(request) -> bool:
    if request.headers.get("Authorization"):
        return True
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated
