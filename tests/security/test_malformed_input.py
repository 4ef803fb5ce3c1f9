"""Malformed bodies sent to every write endpoint of the API, as its client, its freelancer and an
outsider: each is refused with a 4xx in JSON, never a 500.

The endpoints come from the OpenAPI schema (every POST, PUT and PATCH that takes a body), so an
endpoint added later is tried too. Bodies are sent as raw JSON (so NaN, 1e400 and lone surrogates
reach the parser exactly as an attacker writes them) and as form posts."""

from __future__ import annotations

import functools
import json
import re
from urllib.parse import urlencode

import pytest
from drf_spectacular.generators import SchemaGenerator

from messaging.models import Participant
from tests.contracts.factories import active_contract, hire_offer, milestone_of
from tests.helpers import api_for
from tests.marketplace.factories import InterviewFactory, InvitationFactory, draft_project, new_freelancer

pytestmark = pytest.mark.django_db

DEEP = 1000  # about 2 KB of brackets: enough to overflow a recursive parser


@functools.cache
def write_endpoints() -> list[tuple[str, str, dict]]:
    """(method, path template, {property: its schema}) of every write that takes a body."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody") if method in ("post", "put", "patch") else None
            if not body:
                continue
            content = body["content"]
            shape = (content.get("application/json") or next(iter(content.values())))["schema"]
            properties = components.get(shape.get("$ref", "").rsplit("/", 1)[-1], {}).get("properties", {})
            for name, prop in properties.items():  # nested objects: their own properties, for the item cases
                ref = prop.get("items", {}).get("$ref")
                if ref:
                    prop["item_properties"] = components[ref.rsplit("/", 1)[-1]].get("properties", {})
            found.append((method, path, properties))
    return found


def test_the_schema_lists_the_write_endpoints_these_tests_walk():
    paths = {(method, path) for method, path, _ in write_endpoints()}
    assert ("patch", "/api/v1/proposals/{id}/") in paths
    assert ("post", "/api/v1/projects/") in paths
    assert ("patch", "/api/v1/me/") in paths
    assert len(paths) >= 25


@pytest.fixture
def world(db):
    """A client and a freelancer with something of every kind between them: an active contract
    with milestones, an offer out, an open project with an editable proposal, an interview, an
    invitation and a conversation; and a draft of the client's."""
    contract = active_contract()
    client, freelancer = contract.client, contract.freelancer
    offer = hire_offer(client=client, freelancer=freelancer)
    interview = InterviewFactory(proposal__freelancer=freelancer, proposal__project__client=client)
    invitation = InvitationFactory(project__client=client, freelancer=freelancer)
    conversation = Participant.objects.filter(user=freelancer).values_list("conversation_id", flat=True).first()
    ids = {
        "contracts": contract.pk,
        "milestones": milestone_of(contract).pk,
        "offers": offer.pk,
        "proposals": interview.proposal.pk,
        "projects": interview.proposal.project.pk,
        "draft": draft_project(client=client).pk,
        "interviews": interview.pk,
        "invitations": invitation.pk,
        "conversations": conversation,
    }
    return {"client": client, "freelancer": freelancer, "outsider": new_freelancer()}, ids


def _url(method: str, template: str, ids: dict) -> str:
    def fill(match: re.Match) -> str:
        collection = template[: match.start()].rstrip("/").rsplit("/", 1)[-1]
        if collection == "projects" and method in ("patch", "put"):
            collection = "draft"  # only a draft can be edited: reach the input checks
        return str(ids.get(collection, 1))

    return re.sub(r"\{[^}]+\}", fill, template)


# Whole bodies no parser should pass on: each must be a 400 whatever the endpoint.
RAW_BODIES = {
    "deep-array": "[" * DEEP + "]" * DEEP,
    "deep-object": '{"a":' * DEEP + "1" + "}" * DEEP,
    "deep-in-a-field": '{"title":' + "[" * DEEP + "]" * DEEP + "}",
    "lone-surrogate-key": '{"\\ud800": 1}',
    "lone-surrogate-value": '{"title": "a\\udfffb", "reason": "\\ud800", "status": "\\udbff"}',
    "nan": '{"amount_cents": NaN}',
    "infinity": '{"amount_cents": Infinity}',
    "minus-infinity": '{"amount_cents": -Infinity}',
    "overflow-to-infinity": '{"proposal": 1e400, "amount_cents": 1e400, "category": 1e400, "skills": [1e400]}',
    "digits-past-any-integer": '{"amount_cents": ' + "9" * 5000 + "}",
    "not-json": '{"title": "a",',
    "not-utf8": b'{"title": "\xff\xfe"}',
    "array": "[]",
    "string": '"hello"',
}

# A value for a property of one schema type that its field must refuse (not round, not read as ASCII).
WRONG_FOR = {
    "float-for-integer": ("integer", 1.5),
    "float-string-for-integer": ("integer", "1.5"),
    "negative-zero-float-for-integer": ("integer", -0.0),
    "boolean-for-integer": ("integer", True),
    "arabic-indic-digits-for-integer": ("integer", "١٤"),
    "huge-integer": ("integer", 10**30),
    "object-for-list": ("array", {}),
    "string-for-list": ("array", "1,2"),
    "number-for-list": ("array", 7),
    "object-for-string": ("string", {"a": 1}),
    "list-for-string": ("string", ["a"]),
}


def _check(response, what: str, problems: list[str], *, lowest: int = 400, names=()) -> None:
    """A JSON answer in [lowest, 500); a 400 about fields (not a refusal of the caller or the state,
    which come as `detail`) names every field in `names`."""
    content_type = response.get("Content-Type", "")
    if not (lowest <= response.status_code < 500 and content_type.startswith("application/json")):
        problems.append(f"{what}: {response.status_code} {content_type} {response.content[:200]!r}")
        return
    errors = response.json()
    if response.status_code == 400 and isinstance(errors, dict) and "detail" not in errors:
        unnamed = set(names) - set(errors)
        if unnamed:
            problems.append(f"{what}: accepted {sorted(unnamed)}: {errors}")


def _send_raw(api, method: str, url: str, body) -> object:
    return getattr(api, method)(url, data=body, content_type="application/json")


@pytest.mark.parametrize("role", ["client", "freelancer", "outsider"])
@pytest.mark.parametrize("case", list(RAW_BODIES))
def test_a_malformed_json_body_is_a_json_4xx_on_every_write_endpoint(world, role, case):
    users, ids = world
    api = api_for(users[role])
    api.raise_request_exception = False
    problems: list[str] = []
    for method, template, _ in write_endpoints():
        url = _url(method, template, ids)
        _check(_send_raw(api, method, url, RAW_BODIES[case]), f"{method.upper()} {url}", problems)
    assert problems == []


@pytest.mark.parametrize("role", ["client", "freelancer", "outsider"])
@pytest.mark.parametrize("case", list(WRONG_FOR))
def test_a_value_of_the_wrong_type_is_refused_on_every_write_endpoint(world, role, case):
    """Every property of the type is sent the wrong value, at the top level and inside nested items;
    the request is refused (and never half-read into a 500)."""
    users, ids = world
    api = api_for(users[role])
    api.raise_request_exception = False
    kind, value = WRONG_FOR[case]
    problems: list[str] = []
    for method, template, properties in write_endpoints():
        url = _url(method, template, ids)
        body = {name: value for name, prop in properties.items() if prop.get("type") == kind}
        nested = {
            name: [{item: value for item, sub in prop["item_properties"].items() if sub.get("type") == kind}]
            for name, prop in properties.items()
            if any(sub.get("type") == kind for sub in prop.get("item_properties", {}).values())
        }
        for sent in (body, nested):
            if sent:
                response = _send_raw(api, method, url, json.dumps(sent))
                names = () if case == "huge-integer" else sent  # past a field's range may be a rule's to refuse
                _check(response, f"{method.upper()} {url} {sent}", problems, names=names)
    assert problems == []


@pytest.mark.parametrize("role", ["client", "freelancer"])
def test_a_nested_item_sent_in_part_is_refused_not_half_read(world, role):
    """A PATCH is partial at the top level only: one milestone or answer with a field left out is
    read whole (its defaults filled in, a required field missing refused), never half-read into a
    KeyError or TypeError."""
    users, ids = world
    api = api_for(users[role])
    api.raise_request_exception = False
    problems: list[str] = []
    for method, template, properties in write_endpoints():
        url = _url(method, template, ids)
        for name, prop in properties.items():
            items = prop.get("item_properties")
            for item in items or ():
                sample = {"integer": 2, "string": "a", "boolean": True}.get(items[item].get("type"), "a")
                response = _send_raw(api, method, url, json.dumps({name: [{item: sample}]}))
                _check(response, f"{method.upper()} {url} {name}[{item}]", problems, lowest=200)
    assert problems == []


FORM_VALUES = ["1e400", "NaN", "Infinity", "-Infinity", "1.5", "١٤", "٣", "9" * 40, "0x10", " 1 2 "]


@pytest.mark.parametrize("role", ["client", "freelancer", "outsider"])
@pytest.mark.parametrize("encoding", ["form", "multipart"])
def test_a_form_post_of_a_number_that_is_not_a_whole_ascii_number_is_refused(world, role, encoding):
    users, ids = world
    api = api_for(users[role])
    api.raise_request_exception = False
    problems: list[str] = []
    for method, template, properties in write_endpoints():
        url = _url(method, template, ids)
        integers = [name for name, prop in properties.items() if prop.get("type") == "integer"]
        if not integers:
            continue
        for value in FORM_VALUES:
            data = {name: value for name in integers}
            if encoding == "form":
                response = api.generic(
                    method.upper(), url, data=urlencode(data), content_type="application/x-www-form-urlencoded"
                )
            else:
                response = getattr(api, method)(url, data=data, format="multipart")
            _check(response, f"{method.upper()} {url} {data}", problems, names=data)
    assert problems == []
