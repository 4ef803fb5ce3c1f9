"""Public pages are kept a few seconds for visitors who are not signed in, and only for them."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.helpers import text
from tests.marketplace.factories import ProjectFactory, new_freelancer

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_cache(settings):
    settings.ANONYMOUS_PAGE_CACHE_SECONDS = 30
    cache.clear()
    yield
    cache.clear()


def test_a_visitor_sees_the_list_as_it_was_until_the_interval_ends(client, page_cache):
    # given a visitor who saw the list with one project
    ProjectFactory(published=True, title="Clinic booking app")
    assert "Clinic booking app" in text(client.get(reverse("project_search")))
    # when another project is posted within the interval
    ProjectFactory(published=True, title="Warehouse scanner")
    # then visitors get the kept page, and a fresh one once it is dropped
    assert "Warehouse scanner" not in text(client.get(reverse("project_search")))
    cache.clear()
    assert "Warehouse scanner" in text(client.get(reverse("project_search")))


def test_each_address_is_kept_apart(client, page_cache):
    ProjectFactory(published=True, title="Clinic booking app")
    ProjectFactory(published=True, title="Warehouse scanner")
    assert "Clinic" in text(client.get(reverse("project_search"), {"q": "clinic"}))
    found = text(client.get(reverse("project_search"), {"q": "warehouse"}))
    assert "Warehouse scanner" in found
    assert "Clinic booking app" not in found


def test_signed_in_people_always_get_a_fresh_page(client, page_cache):
    freelancer = new_freelancer()
    client.force_login(freelancer)
    ProjectFactory(published=True, title="Clinic booking app")
    client.get(reverse("project_search"))
    ProjectFactory(published=True, title="Warehouse scanner")
    assert "Warehouse scanner" in text(client.get(reverse("project_search")))


def test_a_page_rendered_for_a_signed_in_person_is_never_served_to_a_visitor(client, page_cache):
    freelancer = new_freelancer(full_name="Ada Signedin")
    project = ProjectFactory(published=True, title="Clinic booking app")
    client.force_login(freelancer)
    assert client.get(reverse("project_detail", args=[project.pk])).status_code == 200
    client.logout()
    client.cookies.clear()
    assert "Ada Signedin" not in text(client.get(reverse("project_detail", args=[project.pk])))


def test_the_api_list_is_kept_for_callers_without_credentials_only(client, page_cache):
    ProjectFactory(published=True, title="Clinic booking app")
    first = client.get("/api/v1/projects/")
    assert first.status_code == 200
    ProjectFactory(published=True, title="Warehouse scanner")
    kept = client.get("/api/v1/projects/")
    assert kept.json() == first.json()
    # a caller who sends credentials is answered afresh (here: refused), never from the kept page
    assert client.get("/api/v1/projects/", HTTP_AUTHORIZATION="Token not-a-real-token").status_code == 401


def test_turned_off_with_zero(client, settings):
    settings.ANONYMOUS_PAGE_CACHE_SECONDS = 0
    cache.clear()
    ProjectFactory(published=True, title="Clinic booking app")
    client.get(reverse("project_search"))
    ProjectFactory(published=True, title="Warehouse scanner")
    assert "Warehouse scanner" in text(client.get(reverse("project_search")))
