"""Test settings: the real settings with a throwaway media folder, fast hashing and eager tasks."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-" + "k" * 60)

from config.settings import *  # noqa: F403
from config.settings import CELERY_DATA_DIR

DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="proofwork-test-media-"))
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="proofwork-test-static-"))
PRIVATE_MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="proofwork-test-private-"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
# Tests create a project and read the list at once; the tests of the page cache turn it on.
ANONYMOUS_PAGE_CACHE_SECONDS = 0
VIEWER_PAGE_CACHE_SECONDS = 0
PUBLIC_LIST_CACHE_SECONDS = 0
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_DATA_DIR.mkdir(parents=True, exist_ok=True)
# Every test thread and live-server request closes its connection when done, so the many-thread
# races on PostgreSQL never run out of connection slots (max_connections is 100 by default).
for _database in DATABASES.values():  # noqa: F405
    _database["CONN_MAX_AGE"] = 0
