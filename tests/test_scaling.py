"""Past one machine: media on S3-compatible storage, the read-replica router and Celery's queues by kind."""

from __future__ import annotations

import re
import runpy
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import ResolverMatch, reverse
from storages.backends.s3 import S3Storage

from accounts.models import FreelancerProfile, Skill, User
from config.celery import app as celery_app
from config.db_router import PIN_COOKIE, REPLICA, REPLICA_VIEWS, ReplicaPinMiddleware, ReplicaRouter, _replica_allowed
from contracts.models import Contract, Milestone
from marketplace.models import Project, Proposal
from payments.models import LedgerEntry
from tests.test_deploy import command, load_compose

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_PY = ROOT / "config" / "settings.py"
S3_ENV = {
    "AWS_STORAGE_BUCKET_NAME": "pw-media",
    "AWS_PRIVATE_STORAGE_BUCKET_NAME": "pw-private",
    "AWS_S3_ENDPOINT_URL": "https://s3.example.com",
    "AWS_S3_REGION_NAME": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "secret-example",
}


def load_settings(**env: str) -> dict:
    """config/settings.py as a fresh module run with `env` on top of this process's environment."""
    names = [*S3_ENV, "AWS_S3_CUSTOM_DOMAIN", "DATABASE_REPLICA_URL", "SERVE_MEDIA"]
    with mock.patch.dict("os.environ", {name: "" for name in names}), mock.patch.dict("os.environ", env):
        return runpy.run_path(str(SETTINGS_PY))


# --- Media ----------------------------------------------------------------------------------


def test_media_stays_on_the_local_disk_by_default():
    loaded = load_settings()
    assert loaded["STORAGES"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert loaded["STORAGES"]["private"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert loaded["SERVE_MEDIA"] is True
    assert loaded["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"] == ["'self'", "data:"]


def test_a_bucket_in_the_environment_puts_media_on_s3():
    loaded = load_settings(**S3_ENV)
    storages = loaded["STORAGES"]
    assert storages["default"]["BACKEND"] == storages["private"]["BACKEND"] == "storages.backends.s3.S3Storage"
    public, private = storages["default"]["OPTIONS"], storages["private"]["OPTIONS"]
    assert (public["bucket_name"], public["location"]) == ("pw-media", "media")
    assert (private["bucket_name"], private["location"]) == ("pw-private", "private")
    for options in (public, private):
        assert options["endpoint_url"] == "https://s3.example.com"
        assert options["region_name"] == "eu-west-1"
        assert (options["access_key"], options["secret_key"]) == ("AKIDEXAMPLE", "secret-example")
        assert options["file_overwrite"] is False
    # the app no longer serves /media/ itself, and pages may show images from the bucket's endpoint
    assert loaded["SERVE_MEDIA"] is False
    assert "https://s3.example.com" in loaded["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"]


def test_public_images_get_plain_urls_and_attachments_only_short_signed_ones():
    # Building a URL needs no network: boto3 signs locally.
    storages = load_settings(**S3_ENV)["STORAGES"]
    public = S3Storage(**storages["default"]["OPTIONS"])
    private = S3Storage(**storages["private"]["OPTIONS"])

    image = urlsplit(public.url("avatars/ab12.png"))
    assert (image.scheme, image.netloc, image.path) == ("https", "s3.example.com", "/pw-media/media/avatars/ab12.png")
    assert image.query == ""

    attachment = urlsplit(private.url("marketplace/projectattachment/ab12"))
    assert attachment.path == "/pw-private/private/marketplace/projectattachment/ab12"
    query = parse_qs(attachment.query)
    assert "Signature" in query or "X-Amz-Signature" in query, "an attachment URL without a signature is public"
    assert private.querystring_expire == 60


def test_attachments_share_the_media_bucket_under_their_own_prefix_when_no_private_bucket_is_named():
    env = {**S3_ENV, "AWS_PRIVATE_STORAGE_BUCKET_NAME": ""}
    private = load_settings(**env)["STORAGES"]["private"]["OPTIONS"]
    assert (private["bucket_name"], private["location"], private["querystring_auth"]) == ("pw-media", "private", True)


@pytest.mark.parametrize(
    ("env", "origins"),
    [
        ({"AWS_S3_CUSTOM_DOMAIN": "media.proofwork.example.com"}, ["https://media.proofwork.example.com"]),
        (
            {"AWS_S3_ENDPOINT_URL": ""},
            ["https://pw-media.s3.amazonaws.com", "https://pw-media.s3.eu-west-1.amazonaws.com"],
        ),
    ],
    ids=["cdn", "aws"],
)
def test_images_may_load_from_where_their_urls_point(env, origins):
    loaded = load_settings(**{**S3_ENV, **env})
    url = urlsplit(S3Storage(**loaded["STORAGES"]["default"]["OPTIONS"]).url("avatars/ab12.png"))
    assert f"{url.scheme}://{url.netloc}" in origins
    assert loaded["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"] == ["'self'", "data:", *origins]


# --- The read replica -----------------------------------------------------------------------


def test_the_replica_url_adds_a_mirrored_alias_and_the_pin_middleware():
    assert "replica" not in load_settings()["DATABASES"]
    loaded = load_settings(DATABASE_REPLICA_URL="postgres://reader@replica.internal:5432/proofwork")
    replica = loaded["DATABASES"]["replica"]
    assert (replica["HOST"], replica["USER"], replica["NAME"]) == ("replica.internal", "reader", "proofwork")
    assert replica["TEST"] == {"MIRROR": "default"}
    assert "config.db_router.ReplicaPinMiddleware" in loaded["MIDDLEWARE"]


LISTED = [Project, Skill, FreelancerProfile, Project.skills.through]
NOT_LISTED = [User, Proposal, Contract, Milestone, LedgerEntry]


@pytest.fixture
def with_replica(settings):
    settings.DATABASE_REPLICA_URL = "postgres://reader@replica.internal:5432/proofwork"
    settings.REPLICA_PIN_SECONDS = 10
    return ReplicaRouter()


@pytest.fixture
def on_a_list_page(with_replica):
    token = _replica_allowed.set(True)
    yield with_replica
    _replica_allowed.reset(token)


@pytest.mark.parametrize("model", LISTED + NOT_LISTED)
def test_without_a_replica_every_read_goes_to_the_primary(model, settings):
    settings.DATABASE_REPLICA_URL = ""
    token = _replica_allowed.set(True)
    try:
        assert ReplicaRouter().db_for_read(model) is None
    finally:
        _replica_allowed.reset(token)
    assert ReplicaRouter().db_for_write(model) == "default"


@pytest.mark.parametrize("model", LISTED)
def test_list_pages_read_their_models_from_the_replica(model, on_a_list_page):
    assert on_a_list_page.db_for_read(model) == REPLICA
    assert on_a_list_page.db_for_write(model) == "default"


@pytest.mark.parametrize("model", NOT_LISTED)
def test_money_deals_and_accounts_stay_on_the_primary_even_on_a_list_page(model, on_a_list_page):
    assert on_a_list_page.db_for_read(model) is None


@pytest.mark.parametrize("model", LISTED)
def test_outside_a_list_page_everything_reads_from_the_primary(model, with_replica):
    # a detail page, a download, a task, a command
    assert with_replica.db_for_read(model) is None


@pytest.mark.django_db
def test_reads_inside_a_transaction_stay_on_the_primary(on_a_list_page):
    # a service checks what it is about to change: a lagging copy must not answer
    with transaction.atomic():
        assert on_a_list_page.db_for_read(Project) is None


def test_related_rows_come_from_where_their_parent_came_from(on_a_list_page):
    user = User(email="someone@example.com")
    user._state.db = "default"
    assert on_a_list_page.db_for_read(Project, instance=user) == "default"
    project = Project()
    project._state.db = REPLICA
    assert on_a_list_page.db_for_read(User, instance=project) == REPLICA


def test_the_replica_is_never_migrated(with_replica):
    assert with_replica.allow_migrate(REPLICA, "marketplace") is False
    assert with_replica.allow_migrate("default", "marketplace") is None


def _serve(request, view_name: str) -> tuple[HttpResponse, str | None]:
    """Run the request through the middleware to a view that reports where a project would be read from."""
    seen: list[str | None] = []

    def view(request):
        seen.append(ReplicaRouter().db_for_read(Project))
        return HttpResponse("ok")

    request.resolver_match = ResolverMatch(view, (), {}, url_name=view_name)
    middleware = ReplicaPinMiddleware(lambda request: middleware.process_view(request, view, (), {}) or view(request))
    response = middleware(request)
    return response, seen[0]


def test_a_person_who_just_posted_reads_the_lists_from_the_primary_for_a_few_seconds(with_replica):
    factory = RequestFactory()
    # a stranger searching reads from the replica; the same stranger on a project page does not
    response, database = _serve(factory.get("/projects/?q=django"), "project_search")
    assert database == REPLICA
    assert PIN_COOKIE not in response.cookies
    assert _serve(factory.get("/projects/1/"), "project_detail")[1] is None
    # the client posting a project writes and reads on the primary, and is pinned there...
    response, database = _serve(factory.post("/projects/new/"), "project_create")
    assert database is None
    cookie = response.cookies[PIN_COOKIE]
    assert cookie["max-age"] == 10 and cookie["httponly"]
    # ...so their list of projects on the next page comes from the primary too, lag or not
    pinned = factory.get("/projects/")
    pinned.COOKIES[PIN_COOKIE] = "1"
    assert _serve(pinned, "project_search")[1] is None
    # and once the request is done nothing outside a request reads from the replica
    assert ReplicaRouter().db_for_read(Project) is None


@pytest.mark.django_db
def test_every_replica_view_name_is_a_real_page(client):
    for name in REPLICA_VIEWS:
        assert reverse(name)


# --- Celery queues --------------------------------------------------------------------------


def _queue(task_name: str) -> str:
    return celery_app.amqp.router.route({}, task_name)["queue"].name


def _registered_tasks() -> set[str]:
    celery_app.loader.import_default_modules()
    return {name for name in celery_app.tasks if not name.startswith("celery.")}


def test_tasks_go_to_a_queue_by_their_kind():
    assert _queue("notifications.tasks.send_notification_email") == "email"
    assert _queue("contracts.tasks.auto_release_milestones") == "money"
    assert _queue("payments.tasks.clear_released_money") == "money"
    for name in (
        "marketplace.tasks.expire_projects",
        "contracts.tasks.expire_offers",
        "contracts.tasks.send_review_reminders",
    ):
        assert _queue(name) == "default"


def test_every_route_names_a_task_that_exists_and_a_declared_queue(settings):
    declared = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert set(settings.CELERY_TASK_ROUTES) <= _registered_tasks()
    assert {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {"default"} <= declared


def _consumed_queues(args: list[str]) -> set[str]:
    for index, arg in enumerate(args):
        if arg in ("-Q", "--queues"):
            return set(args[index + 1].split(","))
        if arg.startswith("--queues="):
            return set(arg.split("=", 1)[1].split(","))
    return {queue.name for queue in celery_app.conf.task_queues}  # no -Q: every declared queue


def test_make_run_and_compose_workers_consume_every_queue(settings):
    declared = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert _consumed_queues(command(load_compose()["services"]["worker"])) >= declared
    run_sh = (ROOT / "scripts" / "run.sh").read_text().replace("\\\n", " ")
    worker_line = next(line for line in run_sh.splitlines() if re.search(r"celery\"? -A config worker", line))
    assert _consumed_queues(worker_line.split()) >= declared
