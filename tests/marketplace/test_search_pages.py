"""The project list, search and the API list as the market grows: counts that stop at a window and
say so, pages that stop there too, and the same few queries whatever the number of projects."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace import search
from tests.helpers import text
from tests.marketplace.factories import ProjectFactory, skills_named

pytestmark = pytest.mark.django_db


def projects(count: int, *, title: str = "Clinic booking app") -> None:
    skills = skills_named("Django", "React")
    for i in range(count):
        ProjectFactory(published=True, title=f"{title} {i}", skills=skills)


@pytest.fixture
def window_of_three(monkeypatch):
    monkeypatch.setattr(search, "SEARCH_WINDOW", 3)


def test_a_list_longer_than_the_window_says_more_than_and_stops_there(client, window_of_three):
    # given five open projects and a window of three
    projects(5)
    # when anyone opens the list, with or without words
    for params in ({}, {"q": "clinic"}):
        page = text(client.get(reverse("project_search"), params))
        # then the count says "more than", not a number that would cost a full count
        assert "More than 3 open projects" in page, params
    # and a page far past the window shows the last one, which says why the list stops
    response = client.get(reverse("project_search"), {"page": "200"})
    assert response.status_code == 200
    page = text(response)
    assert page.count("Clinic booking app") == 3  # the window's projects, none beyond it
    assert "The list stops after 3 projects. Add words or filters to see others." in page


def test_a_list_inside_the_window_counts_exactly(client, window_of_three):
    projects(2)
    page = text(client.get(reverse("project_search"), {"q": "clinic"}))
    assert "2 open projects" in page and "More than" not in page and "The list stops" not in page


def test_the_api_list_says_when_its_count_is_capped(client, window_of_three):
    projects(5)
    body = client.get("/api/v1/projects/").json()
    assert (body["count"], body["count_is_capped"], len(body["results"])) == (3, True, 3)
    body = client.get("/api/v1/projects/", {"q": "clinic"}).json()
    assert (body["count"], body["count_is_capped"]) == (3, True)
    # a page past the window is not found, as any page past the end
    assert client.get("/api/v1/projects/", {"page": "2"}).status_code == 404
    body = client.get("/api/v1/projects/", {"q": "nothing-like-this"}).json()
    assert (body["count"], body["count_is_capped"], body["results"]) == (0, False, [])


@pytest.mark.parametrize(
    "path, params",
    [
        ("project_search", {}),
        ("project_search", {"q": "clinic booking"}),
        ("project_search", {"q": "clinic", "sort": "budget_high"}),
        ("project_search", {"skills": "SKILL", "budget_min": "100"}),
        ("/api/v1/projects/", {}),
        ("/api/v1/projects/", {"q": "clinic"}),
    ],
)
def test_list_search_and_api_need_the_same_few_queries_as_the_market_grows(
    client, path, params, django_assert_max_num_queries
):
    url = path if path.startswith("/") else reverse(path)
    if params.get("skills") == "SKILL":
        params = {**params, "skills": skills_named("Django")[0].pk}
    projects(2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, params).status_code == 200
    # the API's cards carry each client's trust figures: the market's own queries, four from
    # contracts (money, approval speed, follow-ons, disputes) and one from reviews
    assert len(small) <= 11
    # each card from a different client, as in a real market
    projects(25, title="Clinic booking site")
    with django_assert_max_num_queries(len(small)):
        response = client.get(url, params)
    assert response.status_code == 200
    assert "Clinic booking site" in response.content.decode()
