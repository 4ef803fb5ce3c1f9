"""What the API was missing next to the pages: the categories and skills a project is posted with,
and continuing with a freelancer after a paid test."""

from __future__ import annotations

import pytest

from accounts.models import Skill, SkillCategory
from contracts.models import Contract, Offer
from contracts.services import contract_end, milestone_approve, milestone_fund
from tests.contracts.factories import active_contract, milestone_of
from tests.helpers import api_for
from tests.marketplace.factories import in_days, new_client

pytestmark = pytest.mark.django_db


# --- Categories and skills -----------------------------------------------------------------------


def test_categories_list_every_category_with_its_skills():
    response = api_for(new_client()).get("/api/v1/categories/")
    assert response.status_code == 200
    body = response.json()
    assert [c["name"] for c in body] == list(SkillCategory.objects.order_by("name").values_list("name", flat=True))
    web = next(c for c in body if c["slug"] == "web-software-development")
    assert {s["name"] for s in web["skills"]} == set(
        Skill.objects.filter(category__slug="web-software-development").values_list("name", flat=True)
    )


def test_a_client_posts_a_project_with_ids_read_from_the_api_alone():
    # given a client who knows nothing but the API
    client = new_client()
    api = api_for(client)
    category = next(c for c in api.get("/api/v1/categories/").json() if c["skills"])
    skills = api.get("/api/v1/skills/", {"q": category["skills"][0]["name"][:4]}).json()["results"]
    skill = next(s for s in skills if s["category"] == category["id"])
    # when they post a project with them
    response = api.post(
        "/api/v1/projects/",
        {
            "title": "Speed up the checkout",
            "summary": "Our checkout takes four seconds.",
            "description": "Profile it and make it fast.",
            "category": category["id"],
            "skills": [skill["id"]],
            "budget_min_cents": 500_00,
            "budget_max_cents": 1_000_00,
            "duration_days": 7,
            "apply_by": in_days(10).isoformat(),
        },
        format="json",
    )
    # then the project is created with that category and skill
    assert response.status_code == 201, response.content
    assert response.json()["category"]["id"] == category["id"]
    assert [s["id"] for s in response.json()["skills"]] == [skill["id"]]


def test_skills_are_searched_by_part_of_their_name_and_paginated():
    api = api_for(new_client())
    page = api.get("/api/v1/skills/", {"q": "pyth"}).json()
    assert "Python" in [s["name"] for s in page["results"]]
    assert all("pyth" in s["name"].lower() for s in page["results"])
    everything = api.get("/api/v1/skills/").json()
    assert everything["count"] == Skill.objects.count()
    assert len(everything["results"]) <= 20
    assert api.get("/api/v1/skills/", {"q": "no such skill at all"}).json()["count"] == 0


def test_skills_of_one_category():
    category = SkillCategory.objects.filter(skills__isnull=False).first()
    results = api_for(new_client()).get("/api/v1/skills/", {"category": category.pk, "page_size": 100}).json()
    assert results["count"] == category.skills.count()


@pytest.mark.parametrize("query", [{"category": "web"}, {"category": "-1"}, {"q": "x" * 81}])
def test_a_bad_skill_search_is_a_clear_400(query):
    response = api_for(new_client()).get("/api/v1/skills/", query)
    assert response.status_code == 400
    assert set(response.json()) & {"category", "q"}


def test_the_catalogue_is_public_and_read_only():
    assert api_for().get("/api/v1/categories/").status_code == 200
    assert api_for().get("/api/v1/skills/").status_code == 200
    assert api_for(new_client()).post("/api/v1/skills/", {"name": "New"}, format="json").status_code == 405


# --- Continue with this freelancer ---------------------------------------------------------------


def completed_paid_test() -> Contract:
    contract = active_contract(amounts=(300_00,), test_project=True)
    milestone = milestone_of(contract)
    milestone_fund(milestone=milestone, by=contract.client)
    milestone_approve(milestone=milestone, by=contract.client)
    return contract_end(contract=contract, by=contract.client)


FOLLOW_ON = {
    "title": "Three months of performance work",
    "scope": "Keep the slow pages fast.",
    "milestones": [
        {"title": "Month 1", "amount_cents": 2_000_00, "due_date": str(in_days(30))},
        {"title": "Month 2", "amount_cents": 2_000_00, "due_date": str(in_days(60))},
    ],
}


def test_the_client_continues_with_the_freelancer_of_a_completed_paid_test():
    test = completed_paid_test()
    response = api_for(test.client).post(f"/api/v1/contracts/{test.pk}/continue/", FOLLOW_ON, format="json")
    assert response.status_code == 201, response.content
    offer = Offer.objects.get(pk=response.json()["id"])
    assert (offer.follow_on_of, offer.freelancer, offer.total_cents, offer.status) == (
        test,
        test.freelancer,
        4_000_00,
        Offer.Status.OFFERED,
    )
    # and the freelancer accepts it through the API like any offer
    accepted = api_for(test.freelancer).post(f"/api/v1/offers/{offer.pk}/accept/")
    assert accepted.status_code == 200
    assert Contract.objects.get(offer=offer).follow_on_of == test


def test_continue_is_refused_before_the_test_ends_and_for_the_freelancer():
    contract = active_contract(amounts=(300_00,), test_project=True)
    response = api_for(contract.client).post(f"/api/v1/contracts/{contract.pk}/continue/", FOLLOW_ON, format="json")
    assert response.status_code == 400
    assert "End the paid test" in str(response.json())
    test = completed_paid_test()
    response = api_for(test.freelancer).post(f"/api/v1/contracts/{test.pk}/continue/", FOLLOW_ON, format="json")
    assert response.status_code == 403
    assert not Offer.objects.filter(follow_on_of__isnull=False).exists()


@pytest.mark.parametrize(
    "change",
    [{"milestones": []}, {"title": ""}, {"milestones": [{"title": "M", "amount_cents": 1, "due_date": "2000-01-01"}]}],
)
def test_bad_follow_on_terms_are_a_clear_400(change):
    test = completed_paid_test()
    response = api_for(test.client).post(
        f"/api/v1/contracts/{test.pk}/continue/", {**FOLLOW_ON, **change}, format="json"
    )
    assert response.status_code == 400
    assert not Offer.objects.filter(follow_on_of=test).exists()


def test_a_stranger_cannot_continue_someone_elses_contract():
    test = completed_paid_test()
    response = api_for(new_client()).post(f"/api/v1/contracts/{test.pk}/continue/", FOLLOW_ON, format="json")
    assert response.status_code == 404
