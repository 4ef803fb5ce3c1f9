"""The OpenAPI schema describes what the API really answers, failures included, and the API reads
its query parameters as strictly as the schema says."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from contracts.models import Contract
from marketplace.models import Project
from tests.contracts.factories import active_contract
from tests.helpers import api_for
from tests.marketplace.factories import ProjectFactory, new_freelancer

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


def test_every_operation_documents_the_errors_it_can_answer(schema):
    missing = []
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        wanted = {"401", "403", "429"}
        if "{" in path:
            wanted.add("404")
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            wanted.add("409")
        if method in ("POST", "PUT", "PATCH") or any(p["in"] == "query" for p in operation.get("parameters", [])):
            wanted.add("400")
        if any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in operation.get("parameters", [])):
            wanted.add("422")  # the key was used with another request
        if wanted - codes:
            missing.append((method, path, sorted(wanted - codes)))
    assert missing == []


def test_request_bodies_say_they_refuse_unknown_keys(schema):
    bodies = {name: c for name, c in schema["components"]["schemas"].items() if name.endswith("Request")}
    assert bodies
    assert [
        name for name, c in bodies.items() if "properties" in c and c.get("additionalProperties") is not False
    ] == []


def test_file_downloads_declare_any_media_type(schema):
    downloads = [
        op["responses"]["200"]["content"]
        for path, method, op in operations(schema)
        if "attachment" in path or "file" in path
        if method == "GET" and "200" in op["responses"] and "content" in op["responses"]["200"]
    ]
    assert downloads
    assert all(set(content) == {"*/*"} for content in downloads)


def test_an_open_contract_reports_an_empty_end_reason_the_schema_allows(schema):
    contract = active_contract()
    body = api_for(contract.client).get(f"/api/v1/contracts/{contract.pk}/").json()
    assert body["end_reason"] == ""
    field = schema["components"]["schemas"]["Contract"]["properties"]["end_reason"]
    allowed = set()
    for option in field.get("oneOf", [field]):
        ref = option.get("$ref", "").rsplit("/", 1)[-1]
        allowed |= set(schema["components"]["schemas"][ref]["enum"] if ref else option.get("enum", []))
    assert "" in allowed and set(Contract.EndReason.values) <= allowed


def test_an_open_contract_reports_an_empty_reason_detail_the_schema_allows(schema):
    contract = active_contract()
    body = api_for(contract.client).get(f"/api/v1/contracts/{contract.pk}/").json()
    assert body["end_reason_detail"] == ""
    field = schema["components"]["schemas"]["Contract"]["properties"]["end_reason_detail"]
    ref = field["allOf"][0]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][ref]["enum"]) == {"", *Contract.EndReasonDetail.values}


def test_a_draft_project_reports_an_empty_close_reason_the_schema_allows(schema):
    project = ProjectFactory(status=Project.Status.DRAFT)
    body = api_for(project.client).get(f"/api/v1/projects/{project.pk}/").json()
    assert body["close_reason"] == ""
    field = schema["components"]["schemas"]["ProjectDetail"]["properties"]["close_reason"]
    refs = {o["$ref"].rsplit("/", 1)[-1] for o in field["oneOf"]}
    assert "BlankEnum" in refs


@pytest.mark.parametrize(
    "path, component",
    [("/api/v1/users/{user_pk}/reputation/", "Reputation"), ("/api/v1/me/balance/", "Balance")],
)
def test_a_one_object_answer_is_documented_as_that_object_not_an_array(schema, path, component):
    """Both answer one object although the router serves them as `list` routes."""
    person = new_freelancer()
    documented = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert documented == {"$ref": f"#/components/schemas/{component}"}
    body = api_for(person).get(path.replace("{user_pk}", str(person.pk))).json()
    assert isinstance(body, dict)
    assert set(body) == set(schema["components"]["schemas"][component]["properties"])


@pytest.mark.parametrize(
    "query, field",
    [
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=1.5", "page"),
        ("page=%D9%A1", "page"),  # an Arabic-Indic one
        ("page=1&page=2", "page"),
        ("sort=", "sort"),
        ("category=", "category"),
        ("sort=newest&sort=relevance", "sort"),
    ],
)
def test_a_malformed_list_parameter_is_a_400_that_names_it(query, field):
    ProjectFactory(published=True)
    response = api_for(new_freelancer()).get(f"/api/v1/projects/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_a_page_past_the_last_is_a_404_and_the_last_page_can_be_asked_for_by_name():
    ProjectFactory(published=True, title="Clinic booking app")
    api = api_for(None)
    assert api.get("/api/v1/projects/?page=2").status_code == 404
    assert [p["title"] for p in api.get("/api/v1/projects/?page=last").json()["results"]] == ["Clinic booking app"]


@pytest.mark.parametrize("field", ["timezone", "full_name"])
def test_a_form_body_field_sent_empty_is_refused_not_taken_as_left_out(field):
    freelancer = new_freelancer(full_name="Ada Lovelace")
    before = api_for(freelancer).get("/api/v1/me/").json()
    response = api_for(freelancer).patch("/api/v1/me/", {field: ""}, format="multipart")
    assert response.status_code == 400
    assert field in response.json()
    assert api_for(freelancer).get("/api/v1/me/").json() == before


@pytest.mark.parametrize("query", ["status=", "project=", "project=abc", "status=lost", "project=1&project=2"])
def test_your_proposals_refuse_a_malformed_filter(query):
    response = api_for(new_freelancer()).get(f"/api/v1/proposals/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


@pytest.mark.parametrize("value", [0, 1.5, True, ["a"], {"a": 1}])
def test_a_text_field_sent_as_another_json_type_is_refused(value):
    freelancer = new_freelancer(full_name="Ada Lovelace")
    response = api_for(freelancer).patch("/api/v1/me/", {"full_name": value}, format="json")
    assert response.status_code == 400
    assert "full_name" in response.json()
    assert api_for(freelancer).get("/api/v1/me/").json()["full_name"] == "Ada Lovelace"
