"""The Celery app. Tasks take ids, reload their rows, call a service and are safe to run twice."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("proofwork")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
