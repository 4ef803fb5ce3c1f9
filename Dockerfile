# syntax=docker/dockerfile:1
# Proofwork production image: gunicorn serves config.wsgi on port 8000 as a non-root user.
# The same image runs the Celery worker and beat and the one-off migration (see docker-compose.yml).
# Expects a TLS-terminating proxy in front: with DEBUG off, plain-HTTP requests without
# "X-Forwarded-Proto: https" are redirected to HTTPS.
FROM python:3.11-slim

# gunicorn reads WEB_CONCURRENCY as its number of workers; override it per host (about 2 x CPUs + 1).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/media \
    CELERY_DATA_DIR=/app/var/celery \
    WEB_CONCURRENCY=3

RUN groupadd --system --gid 10001 proofwork \
    && useradd --system --uid 10001 --gid proofwork --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin proofwork

WORKDIR /app

COPY requirements.txt ./
RUN pip install -r requirements.txt

# Application code only, listed on purpose: a plain `COPY . .` would also bake .env files,
# the local .venv, var/ (SQLite, media) and .git into the image. A new Django app must be added
# here; the collectstatic step below fails the build if one is missing.
COPY manage.py ./
COPY config/ config/
COPY marketplace/ marketplace/
COPY core/ core/
COPY accounts/ accounts/
COPY notifications/ notifications/
COPY messaging/ messaging/
COPY payments/ payments/
COPY contracts/ contracts/
COPY reviews/ reviews/
COPY templates/ templates/
COPY static/ static/

# Code and static files stay owned by root, so the app cannot rewrite them; only media and
# Celery's local data folder are writable by the app user. SECRET_KEY here is a build-only dummy
# (settings refuse to import without one when DEBUG is off); DEBUG stays unset so WhiteNoise's
# compressed manifest storage is what gets built.
RUN SECRET_KEY="build-only-collectstatic-key-not-used-at-runtime-0123456789abcdefghij" \
        python manage.py collectstatic --noinput \
    && mkdir -p "$MEDIA_ROOT" "$CELERY_DATA_DIR" /app/var/private \
    && chown -R proofwork:proofwork "$MEDIA_ROOT" /app/var

USER proofwork

EXPOSE 8000

CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--timeout", "60"]
