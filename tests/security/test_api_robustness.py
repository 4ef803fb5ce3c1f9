"""What outside testers found the API doing with odd input, each fixed where it is caused: partial
nested objects, closing a draft, unknown paths, names on two lines, caching of private answers,
fields that cannot be set, lenient numbers and ids."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core import mail
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import get_resolver, resolve, reverse
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField
from rest_framework.test import APIClient

from accounts.forms import UserDetailsForm
from accounts.tokens import api_token_issue
from config import urls
from core.api import not_found, server_error
from core.privacy import PrivateResponsesMiddleware
from core.serializers import RejectUnknownFieldsMixin
from core.text import one_line
from marketplace.forms import ProjectForm
from marketplace.models import Project, Proposal
from notifications.models import Notification
from notifications.services import notify
from notifications.tasks import send_notification_email
from tests.contracts.factories import active_contract
from tests.factories import UserFactory
from tests.helpers import api_for, browser_for, row
from tests.marketplace.factories import (
    draft_project,
    new_client,
    open_project,
    project_data,
    submit_proposal,
    web_category,
)

pytestmark = pytest.mark.django_db


def is_json(response) -> bool:
    return response["Content-Type"].startswith("application/json")


# --- 6. A PATCH with part of a nested object; closing a draft --------------------------------


@pytest.fixture
def proposal_with_question():
    project = open_project(questions=[{"text": "Which payment providers have you used?", "required": False}])
    return submit_proposal(project=project)


@pytest.mark.parametrize(
    ("body", "missing"),
    [({"answers": [{"question": 2}]}, "text"), ({"milestones": [{"title": "a"}]}, "amount_cents")],
)
def test_a_nested_item_sent_in_part_is_a_400_naming_what_is_missing(proposal_with_question, body, missing):
    proposal = proposal_with_question
    before = row(proposal)
    response = api_for(proposal.freelancer).patch(f"/api/v1/proposals/{proposal.pk}/", body, format="json")
    assert response.status_code == 400 and is_json(response)
    field = next(iter(body))
    assert missing in response.json()[field]["0"]
    assert row(proposal) == before


@pytest.mark.parametrize("body", [{"answers": [{"question": 2}]}, {"milestones": [{"title": "a"}]}, {"x": 1}])
def test_the_client_editing_a_freelancers_proposal_is_refused_before_the_input_is_read(proposal_with_question, body):
    proposal = proposal_with_question
    response = api_for(proposal.project.client).patch(f"/api/v1/proposals/{proposal.pk}/", body, format="json")
    assert response.status_code == 403 and is_json(response)
    assert "Only the freelancer" in response.json()["detail"]


def test_a_withdrawn_proposal_is_refused_before_the_input_is_read(proposal_with_question):
    proposal = proposal_with_question
    api = api_for(proposal.freelancer)
    api.post(f"/api/v1/proposals/{proposal.pk}/withdraw/")
    response = api.patch(f"/api/v1/proposals/{proposal.pk}/", {"milestones": [{"title": "a"}]}, format="json")
    assert response.status_code == 400 and "withdrawn" in response.json()["detail"]


def test_someone_elses_draft_cannot_be_patched_whatever_the_body(db):
    draft = draft_project()
    other = new_client()
    response = api_for(draft.client).patch(
        f"/api/v1/projects/{draft.pk}/", {"questions": [{"text": "Why?"}]}, format="json"
    )
    assert response.status_code == 200 and [q["text"] for q in response.json()["questions"]] == ["Why?"]
    assert response.json()["questions"][0]["required"] is True  # the item's default, though the PATCH is partial
    published = open_project(client=other)
    response = api_for(draft.client).patch(f"/api/v1/projects/{published.pk}/", {"skills": {}}, format="json")
    assert response.status_code == 403 and is_json(response)


def test_closing_a_draft_by_api_discards_it_and_answers_in_json(db):
    draft = draft_project()
    api = api_for(draft.client)
    response = api.post(f"/api/v1/projects/{draft.pk}/close/")
    assert response.status_code == 200 and is_json(response)
    assert response.json()["status"] == "closed"
    assert Project.objects.get(pk=draft.pk).status == Project.Status.CLOSED
    assert api.get(f"/api/v1/projects/{draft.pk}/").status_code == 404  # discarded: gone from then on
    again = api.post(f"/api/v1/projects/{draft.pk}/close/")
    assert again.status_code == 404 and is_json(again)


# --- 7. Unknown paths under /api/v1/ ---------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_an_unsafe_method_on_an_unknown_api_path_is_a_json_404(method, freelancer):
    anonymous = Client(enforce_csrf_checks=True)
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(freelancer)
    for browser in (anonymous, signed_in):
        for path in ("/api/v1/nope/", "/api/v1/projects/1/nope/", "/api/v1/projects/abc/"):
            response = getattr(browser, method)(path, data="{}", content_type="application/json")
            assert response.status_code == 404 and is_json(response), (path, response.content[:100])


def test_an_unhandled_error_under_the_api_is_a_json_500_and_is_logged(monkeypatch, freelancer, caplog):
    def broken(self, request):
        raise RuntimeError("something broke")

    monkeypatch.setattr("accounts.api.MeView.get", broken)
    api = api_for(freelancer)
    api.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = api.get("/api/v1/me/")
    assert response.status_code == 500 and is_json(response)
    assert "something broke" not in response.content.decode()
    assert any(record.exc_info and "something broke" in str(record.exc_info[1]) for record in caplog.records)


def test_a_form_post_django_refuses_to_read_is_a_json_400_under_the_api(freelancer):
    api = api_for(freelancer)
    api.raise_request_exception = False
    fields = urlencode({f"field{i}": "1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)})
    response = api.generic("POST", "/api/v1/payouts/", fields, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and is_json(response)
    assert urls.handler400 == "core.api.bad_request"


def test_an_unhandled_error_on_a_page_still_gets_the_html_error_page(freelancer):
    request = RequestFactory().get("/dashboard/")
    response = server_error(request)
    assert response.status_code == 500 and not response["Content-Type"].startswith("application/json")
    assert urls.handler500 == "core.api.server_error"


# --- 8. Line breaks in names and titles ------------------------------------------------------


def test_a_notification_title_with_line_breaks_is_still_emailed_on_one_line(freelancer):
    notification = notify(recipient=freelancer, kind="proposal.declined", title="“Shop\r\nBcc: x@evil.test” closed")
    Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
    mail.outbox.clear()
    send_notification_email.apply(args=[notification.pk])
    assert len(mail.outbox) == 1
    subject = mail.outbox[0].subject
    assert "\n" not in subject and "\r" not in subject and subject.endswith("“Shop Bcc: x@evil.test” closed")


def test_one_line_replaces_every_control_character():
    assert one_line("a\tb\x00c\u2028d\x85e\n\n f") == "a b c d e f"
    assert len(one_line("x" * 500, max_length=200)) == 200


@pytest.mark.parametrize("name", ["Ann\nLee", "Ann\rLee", "Ann\tLee", "Ann\x00Lee", "Ann\u2028Lee", "Ann\x1bLee"])
def test_a_name_with_a_control_character_is_refused_by_the_api_and_the_form(name):
    user = UserFactory(full_name="Ann Lee")
    response = api_for(user).patch("/api/v1/me/", {"full_name": name}, format="json")
    assert response.status_code == 400 and "full_name" in response.json()
    form = UserDetailsForm(data={"full_name": name, "country": "DE", "timezone": "UTC"}, instance=user)
    assert not form.is_valid() and "full_name" in form.errors
    user.refresh_from_db()
    assert user.full_name == "Ann Lee"


def test_a_project_title_with_a_line_break_is_refused_by_the_api_and_the_form(client_user):
    data = project_data(title="Shop\nrefunds")
    data["category"] = web_category().pk
    response = api_for(client_user).post("/api/v1/projects/", data, format="json")
    assert response.status_code == 400 and "title" in response.json()
    form = ProjectForm(data={"title": "Shop\r\nrefunds"}, kind=Project.Kind.STANDARD)
    assert not form.is_valid() and "title" in form.errors
    assert not Project.objects.filter(client=client_user).exists()


def test_a_milestone_title_with_a_line_break_is_refused(proposal_with_question):
    proposal = proposal_with_question
    milestones = [
        {"title": "One\nTwo", "amount_cents": proposal.bid_cents, "due_date": "2099-01-01"},
    ]
    response = api_for(proposal.freelancer).patch(
        f"/api/v1/proposals/{proposal.pk}/", {"milestones": milestones}, format="json"
    )
    assert response.status_code == 400 and "title" in response.json()["milestones"]["0"]
    contract = active_contract()
    response = api_for(contract.client).post(
        f"/api/v1/contracts/{contract.pk}/milestones/",
        {"title": "More\rwork", "amount_cents": 100_00, "due_date": "2099-01-01"},
        format="json",
    )
    assert response.status_code == 400 and "title" in response.json()


# --- 9. Cache-Control for the signed in; one rule for fields that cannot be set ---------------


@pytest.mark.parametrize("path", ["/api/v1/me/", "/api/v1/me/balance/", "/api/v1/conversations/", "/dashboard/"])
def test_every_answer_to_a_signed_in_person_is_private_and_not_stored(path, freelancer):
    browser = browser_for(freelancer)
    assert browser.get(path)["Cache-Control"] == "private, no-store"
    _token, key = api_token_issue(user=freelancer, name="a script")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    if path.startswith("/api/"):
        assert api.get(path)["Cache-Control"] == "private, no-store"


def test_a_page_kept_in_the_viewer_cache_is_still_private(settings, freelancer):
    settings.VIEWER_PAGE_CACHE_SECONDS = 30
    browser = browser_for(freelancer)
    browser.get("/dashboard/")
    second = browser.get("/dashboard/")
    assert second.status_code == 200 and second["Cache-Control"] == "private, no-store"


def test_anonymous_public_pages_keep_their_caching(settings, db):
    settings.ANONYMOUS_PAGE_CACHE_SECONDS = 30
    project = open_project()
    for path in ("/projects/", f"/projects/{project.pk}/", "/api/v1/projects/"):
        response = Client().get(path)
        assert response.status_code == 200 and "no-store" not in response.get("Cache-Control", "")


def test_a_response_that_sets_its_own_cache_control_keeps_it(freelancer):
    request = RequestFactory().get("/anything/")
    request.user = freelancer
    own = HttpResponse("kept")
    own["Cache-Control"] = "private, max-age=60"
    assert PrivateResponsesMiddleware(lambda request: own)(request)["Cache-Control"] == "private, max-age=60"
    plain = PrivateResponsesMiddleware(lambda request: HttpResponse("fresh"))(request)
    assert plain["Cache-Control"] == "private, no-store"


def test_the_name_cannot_be_blanked_by_the_api(freelancer):
    name = freelancer.full_name
    for blank in ("", "   "):
        response = api_for(freelancer).patch("/api/v1/me/", {"full_name": blank}, format="json")
        assert response.status_code == 400 and "full_name" in response.json()
    freelancer.refresh_from_db()
    assert freelancer.full_name == name


@pytest.mark.parametrize(
    ("path", "body", "refused"),
    [
        ("/api/v1/me/", {"timezone": "UTC", "favourite_colour": "blue"}, "favourite_colour"),
        ("/api/v1/me/", {"is_staff": True}, "is_staff"),
        ("/api/v1/me/", {"email": "new@example.com"}, "email"),
        ("/api/v1/me/", {"is_suspended": False}, "is_suspended"),
        ("/api/v1/payouts/", {"amount_cents": 100, "currency": "EUR"}, "currency"),
        ("/api/v1/auth/token/", {"email": "a@example.com", "password": "x", "remember": True}, "remember"),
    ],
)
def test_a_field_that_cannot_be_set_is_refused_everywhere(freelancer, path, body, refused):
    method = "patch" if path.endswith("/me/") else "post"
    before = row(freelancer)
    response = getattr(api_for(freelancer), method)(path, body, format="json")
    assert response.status_code == 400 and refused in response.json(), response.json()
    assert row(freelancer) == before


# --- 14. Strict numbers, ids and lists -------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": 1.5}, "category"),
        ({"category": "1.5"}, "category"),
        ({"category": "١"}, "category"),
        ({"category": True}, "category"),
        ({"skills": {}}, "skills"),
        ({"skills": "1"}, "skills"),
        ({"skills": [1.5]}, "skills"),
        ({"duration_days": 30.0}, "duration_days"),
        ({"duration_days": "٣٠"}, "duration_days"),
    ],
)
def test_numbers_ids_and_lists_are_strict(client_user, change, field):
    draft = draft_project(client=client_user)
    before = row(draft)
    response = api_for(client_user).patch(f"/api/v1/projects/{draft.pk}/", change, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert row(draft) == before


def test_ids_in_form_posts_are_ascii_digits(client_user):
    draft = draft_project(client=client_user)
    category = web_category().pk
    api = api_for(client_user)
    assert api.patch(f"/api/v1/projects/{draft.pk}/", {"category": str(category)}).status_code == 200
    for wrong in ("1.0", "1e0", "١", " ", "0x1"):
        assert api.patch(f"/api/v1/projects/{draft.pk}/", {"category": wrong}).status_code == 400


def test_an_id_in_other_digits_is_not_an_address():
    contract = active_contract()
    api = api_for(contract.client)
    arabic = str(contract.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert api.get(f"/api/v1/contracts/{contract.pk}/").status_code == 200
    response = api.get(f"/api/v1/contracts/{arabic}/")
    assert response.status_code == 404 and is_json(response)
    assert browser_for(contract.client).get(f"/contracts/{arabic}/").status_code == 404


def _routes_with_ids():
    """Every named route of the site with an id in it, with its parameters."""
    resolver = get_resolver()
    for name, possibilities in resolver.reverse_dict.lists():
        if not isinstance(name, str):
            continue
        for _bits, pattern, _defaults, _converters in possibilities:
            params = re.findall(r"\(\?P<(\w+)>", pattern) + re.findall(r"<(?:\w+:)?(\w+)>", pattern)
            params = [p for p in params if p == "pk" or p.endswith(("_pk", "_id")) or p == "id"]
            if params and "format" not in pattern:
                yield name, params


@pytest.mark.parametrize("digits", ["٣", "۳", "३", "３"])
def test_no_route_of_the_site_takes_an_id_in_other_digits(digits):
    checked = 0
    for name, params in _routes_with_ids():
        url = reverse(name, kwargs=dict.fromkeys(params, 3))
        assert "3" in url
        other = url.replace("3", digits)
        try:
            match = resolve(other)
        except Exception:  # Resolver404: not an address
            checked += 1
            continue
        assert match.func is not_found or match.url_name != name, f"{name} resolves {other}"
        checked += 1
    assert checked > 40  # the walk found the site's id routes


def test_a_proposal_list_filter_by_project_takes_ascii_digits_only(freelancer):
    response = api_for(freelancer).get("/api/v1/proposals/", {"project": "١"})
    assert response.status_code == 400


def test_a_proposal_that_could_be_edited_still_is(proposal_with_question):
    proposal = proposal_with_question
    response = api_for(proposal.freelancer).patch(
        f"/api/v1/proposals/{proposal.pk}/", {"cover_letter": "A better letter, still mine."}, format="json"
    )
    assert response.status_code == 200
    assert Proposal.objects.get(pk=proposal.pk).cover_letter == "A better letter, still mine."


# --- One rule for every serializer that accepts input ----------------------------------------

QUERY_PARAMETER_SERIALIZERS = {
    "ProposalListParamsSerializer",
    "ProjectSearchSerializer",
    "InvitationListParamsSerializer",
    "SkillSearchSerializer",
}  # unknown params pass


APPS = {"accounts", "contracts", "core", "marketplace", "messaging", "notifications", "payments", "reviews"}


def _our_serializers() -> list[type]:
    import config.api_urls  # noqa: F401  (every API module, so every serializer class, is loaded)

    found, pending = set(), [serializers.BaseSerializer]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if sub.__module__.split(".")[0] in APPS:
                found.add(sub)
    return sorted(found, key=lambda cls: (cls.__module__, cls.__name__))


def _writable_fields(serializer, where: str):
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        yield f"{where}.{name}", field
        child = getattr(field, "child", None)
        if isinstance(child, serializers.BaseSerializer):
            yield from _writable_fields(child, f"{where}.{name}[]")
        elif isinstance(field, serializers.BaseSerializer) and not isinstance(field, serializers.ListSerializer):
            yield from _writable_fields(field, f"{where}.{name}")


def test_every_serializer_that_takes_input_refuses_unknown_fields_and_reads_numbers_strictly():
    checked, lenient, open_ended = 0, [], []
    for cls in _our_serializers():
        if cls.__name__.startswith("_") or (getattr(cls, "Meta", None) and getattr(cls.Meta, "abstract", False)):
            continue
        try:
            instance = cls()
            fields = list(_writable_fields(instance, cls.__name__))
        except Exception:
            continue
        if not fields:
            continue
        checked += 1
        if not isinstance(instance, RejectUnknownFieldsMixin) and cls.__name__ not in QUERY_PARAMETER_SERIALIZERS:
            open_ended.append(cls.__name__)
        for where, field in fields:
            if type(field) in (serializers.IntegerField, serializers.PrimaryKeyRelatedField, ManyRelatedField):
                lenient.append(where)
    assert checked >= 20
    assert open_ended == [], "input serializers without RejectUnknownFieldsMixin"
    assert lenient == [], "use StrictIntegerField / StrictPrimaryKeyRelatedField for input"
