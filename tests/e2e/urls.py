"""The site's URLs plus uploaded media, so browser tests can see avatars.

With DEBUG off (as in tests/settings.py) the app does not serve MEDIA_URL itself; in
production the web server does. The live server has no web server in front, so the e2e
tests point ROOT_URLCONF here. MEDIA_ROOT is read per request because each test has its own.
"""

from django.conf import settings
from django.urls import include, path, re_path
from django.views.static import serve


def serve_media(request, path):
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [
    re_path(r"^media/(?P<path>.*)$", serve_media),
    path("", include("marketplace.urls")),
]
