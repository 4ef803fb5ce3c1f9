"""The deployment files agree with the settings: docker-compose.yml, .env.production.example, README.md
and the /healthz/ endpoint the container health check calls."""

from __future__ import annotations

import ast
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from unittest import mock
from urllib.parse import urlparse

import pytest
import yaml
from django.db import OperationalError

from config.settings import _DEV_SECRET_KEY
from core import views as core_views

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_PY = ROOT / "config" / "settings.py"
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.production.example"
README = ROOT / "README.md"

APP_SERVICES = ("migrate", "web", "worker", "beat")
# Variables reserved for an upcoming release: allowed in the example before the settings read them.
RESERVED_PREFIXES = ("STRIPE_",)
# What an operator's .env provides to docker compose for its ${...} values.
COMPOSE_INPUT = {
    "SECRET_KEY": "compose-test-" + "s" * 60,
    "POSTGRES_PASSWORD": "db-password",
    "ALLOWED_HOSTS": "proofwork.example.com",
    "SITE_URL": "https://proofwork.example.com",
}


# --- Reading the files ----------------------------------------------------------------------


def _is_os_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def settings_env_names() -> set[str]:
    """Names config/settings.py reads: os.environ.get/[...], os.getenv and the env_* helpers."""
    names = set()
    for node in ast.walk(ast.parse(SETTINGS_PY.read_text())):
        if isinstance(node, ast.Subscript) and _is_os_environ(node.value):
            key = node.slice
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            is_helper = isinstance(func, ast.Name) and func.id in {"env_bool", "env_int", "env_list"}
            is_environ_get = isinstance(func, ast.Attribute) and func.attr == "get" and _is_os_environ(func.value)
            is_getenv = (
                isinstance(func, ast.Attribute)
                and func.attr == "getenv"
                and isinstance(func.value, ast.Name)
                and func.value.id == "os"
            )
            if not (is_helper or is_environ_get or is_getenv):
                continue
            key = node.args[0]
        else:
            continue
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
    return names


@pytest.fixture(scope="module")
def setting_names() -> set[str]:
    names = settings_env_names()
    # Guard against a parser that finds nothing, which would make every subset check below pass.
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_FILE_PATH", "PORTFOLIO_MAX_ITEMS"} <= names
    return names


def parse_env_file(path: Path) -> tuple[dict[str, str], list[str]]:
    """The NAME=value lines of a shell env file, and the names not directly preceded by a comment."""
    env: dict[str, str] = {}
    uncommented: list[str] = []
    previous = ""
    for lineno, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            name, sep, value = line.partition("=")
            assert sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", name), f"{path.name}:{lineno} is not NAME=value: {raw!r}"
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            env[name] = value
            if not previous.startswith("#"):
                uncommented.append(name)
        previous = line
    return env, uncommented


def load_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


class MissingVariable(Exception):
    pass


_INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(value: str, variables: dict[str, str]) -> str:
    """docker compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error} and $$."""

    def substitute(match: re.Match) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        current = variables.get(name)
        if op in (":?", "?") and (current is None or (op == ":?" and current == "")):
            raise MissingVariable(f"{name}: {arg}")
        if op == ":-" and not current:
            return arg
        if op == "-" and current is None:
            return arg
        return current or ""

    return _INTERPOLATION.sub(substitute, value.replace("$$", "\0")).replace("\0", "$")


def raw_environment(service: dict) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return {name: str(value) for name, value in environment.items()}


def service_env(service: dict, variables: dict[str, str] = COMPOSE_INPUT) -> dict[str, str]:
    return {name: interpolate(value, variables) for name, value in raw_environment(service).items()}


def command(service: dict) -> list[str]:
    value = service.get("command")
    assert value, "the service must set its command explicitly"
    return shlex.split(value) if isinstance(value, str) else [str(part) for part in value]


def base_process_env() -> dict[str, str]:
    """A clean environment for manage.py: not this process's, which tests/settings.py gave a SECRET_KEY."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if key in os.environ}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return env


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )


# --- docker-compose.yml ---------------------------------------------------------------------


def test_compose_runs_the_whole_stack():
    services = load_compose()["services"]
    assert {"db", "redis", "migrate", "web", "worker", "beat"} <= set(services)
    assert services["db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")


def test_app_services_share_one_environment():
    services = load_compose()["services"]
    environments = {name: raw_environment(services[name]) for name in APP_SERVICES}
    assert environments["web"], "web has no environment"
    for name in APP_SERVICES:
        assert environments[name] == environments["web"], f"{name} and web get different environments"


@pytest.mark.parametrize("service_name", APP_SERVICES)
def test_app_service_reaches_the_db_and_redis_services(service_name):
    services = load_compose()["services"]
    env = service_env(services[service_name])

    database = urlparse(env["DATABASE_URL"])
    assert database.scheme in {"postgres", "postgresql"}
    assert database.hostname == "db"
    # The app logs in with the credentials the db service was initialised with.
    db_env = service_env(services["db"])
    assert database.username == db_env["POSTGRES_USER"]
    assert database.password == db_env["POSTGRES_PASSWORD"] == COMPOSE_INPUT["POSTGRES_PASSWORD"]
    assert database.path.lstrip("/") == db_env["POSTGRES_DB"]

    redis = urlparse(env["REDIS_URL"])
    assert redis.scheme == "redis"
    assert redis.hostname == "redis"


@pytest.mark.parametrize("service_name", APP_SERVICES)
def test_secret_key_must_come_from_the_operator(service_name):
    service = load_compose()["services"][service_name]
    without_key = {name: value for name, value in COMPOSE_INPUT.items() if name != "SECRET_KEY"}
    with pytest.raises(MissingVariable, match="SECRET_KEY"):
        service_env(service, without_key)
    assert service_env(service)["SECRET_KEY"] == COMPOSE_INPUT["SECRET_KEY"]


def test_services_run_the_right_programs():
    services = load_compose()["services"]
    web = command(services["web"])
    assert web[0] == "gunicorn"
    assert "config.wsgi:application" in web
    assert "0.0.0.0:8000" in web
    assert any(port.endswith(":8000") for port in map(str, services["web"]["ports"]))
    assert command(services["worker"])[:4] == ["celery", "-A", "config", "worker"]
    assert command(services["beat"])[:4] == ["celery", "-A", "config", "beat"]
    assert command(services["migrate"]) == ["python", "manage.py", "migrate", "--noinput"]


def test_services_start_in_order():
    services = load_compose()["services"]
    web = services["web"]["depends_on"]
    assert web["migrate"]["condition"] == "service_completed_successfully"
    assert web["db"]["condition"] == "service_healthy"
    assert web["redis"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_db_redis_and_web_have_health_checks():
    services = load_compose()["services"]
    assert "pg_isready" in services["db"]["healthcheck"]["test"]
    assert services["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
    assert "/healthz/" in " ".join(services["web"]["healthcheck"]["test"])


def web_healthcheck_request() -> tuple[str, dict[str, str]]:
    """The URL and headers of the urllib request in web's `python -c` health check."""
    test = load_compose()["services"]["web"]["healthcheck"]["test"]
    code = test[test.index("-c") + 1]
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Request":
            headers = next(ast.literal_eval(kw.value) for kw in node.keywords if kw.arg == "headers")
            return ast.literal_eval(node.args[0]), headers
    raise AssertionError("the web health check does not build a urllib Request")


@pytest.mark.django_db
def test_web_health_check_passes_the_production_https_redirect(client, settings):
    url, headers = web_healthcheck_request()
    parsed = urlparse(url)
    assert (parsed.hostname, parsed.port, parsed.path) == ("127.0.0.1", 8000, "/healthz/")

    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLOWED_HOSTS = service_env(load_compose()["services"]["web"])["ALLOWED_HOSTS"].split(",")

    response = client.get(parsed.path, headers=headers)
    assert response.status_code == 200
    assert response.content == b"ok"
    # Without the proxy's header the same request is redirected to HTTPS and the check would fail.
    plain = {name: value for name, value in headers.items() if name.lower() != "x-forwarded-proto"}
    assert client.get(parsed.path, headers=plain).status_code == 301


@pytest.mark.parametrize("service_name", APP_SERVICES)
def test_compose_only_sets_variables_the_settings_read(service_name, setting_names):
    env = raw_environment(load_compose()["services"][service_name])
    assert set(env) - setting_names == set()


# --- .env.production.example and README.md --------------------------------------------------


def test_env_example_only_has_variables_the_settings_read(setting_names):
    env, _ = parse_env_file(ENV_EXAMPLE)
    unknown = {name for name in env if name not in setting_names and not name.startswith(RESERVED_PREFIXES)}
    assert unknown == set()


def test_env_example_lists_every_variable_the_settings_read(setting_names):
    env, _ = parse_env_file(ENV_EXAMPLE)
    assert setting_names - set(env) == set()


def test_env_example_explains_every_variable():
    _, uncommented = parse_env_file(ENV_EXAMPLE)
    assert uncommented == [], "each variable needs a comment line right above it"


def test_readme_documents_every_variable_the_settings_read(setting_names):
    assert README.exists(), "README.md must document the environment variables"
    text = README.read_text()
    undocumented = {name for name in setting_names if not re.search(rf"(?<![A-Z0-9_]){name}(?![A-Z0-9_])", text)}
    assert undocumented == set()


def test_env_example_loads_in_bash_with_the_values_python_reads():
    expected, _ = parse_env_file(ENV_EXAMPLE)
    script = 'set -euo pipefail; set -a; . "$1"; set +a; env -0'
    result = subprocess.run(
        ["bash", "-c", script, "bash", str(ENV_EXAMPLE)],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    loaded = dict(item.split("=", 1) for item in result.stdout.split("\0") if "=" in item)
    assert {name: loaded.get(name) for name in expected} == expected


def test_env_example_passes_the_deploy_checks():
    # DATABASE_URL names a host that does not exist here: check --deploy must not need the database.
    example, _ = parse_env_file(ENV_EXAMPLE)
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env={**base_process_env(), **example})
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "secret_key",
    [None, "too-short-to-be-a-real-secret", _DEV_SECRET_KEY],
    ids=["unset", "short", "development-key"],
)
def test_production_refuses_to_start_without_a_real_secret_key(secret_key):
    example, _ = parse_env_file(ENV_EXAMPLE)
    env = {**base_process_env(), **example}
    del env["DEBUG"]
    del env["SECRET_KEY"]
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


# --- /healthz/ ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_answers_ok(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")


def test_healthz_answers_503_when_the_database_is_down(rf, caplog):
    broken = mock.Mock()
    broken.cursor.side_effect = OperationalError("connection refused")
    with mock.patch.object(core_views, "connection", broken):
        response = core_views.healthz(rf.get("/healthz/"))
    assert response.status_code == 503
    assert b"ok" not in response.content
    assert "Health check failed" in caplog.text


def test_the_image_copies_every_package_of_ours():
    # The Dockerfile lists code folders on purpose (no `COPY . .`); one missing is an app that
    # fails to import in production only.
    from django.conf import settings

    ours = {name.split(".")[0] for name in settings.INSTALLED_APPS if (ROOT / name.split(".")[0]).is_dir()}
    copied = set(re.findall(r"^COPY (\w+)/ \1/$", (ROOT / "Dockerfile").read_text(), flags=re.MULTILINE))
    assert ours, "no local apps found"
    assert ours <= copied, f"missing from the Dockerfile: {sorted(ours - copied)}"
