"""The client's list of proposals: each freelancer's photo or initial, country, rate, track
record and cover-letter excerpt, a link to their profile, sorted by the figure the client picks."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from contracts.services import contract_end
from reviews.reputation import refresh
from tests.contracts.factories import active_contract, milestone_of
from tests.helpers import browser_for, queries, text
from tests.marketplace.factories import new_client, new_freelancer, open_project, submit_proposal
from tests.reviews.test_reputation import deliver, rate

pytestmark = pytest.mark.django_db


def with_record(freelancer, stars: list[int]):
    for given in stars:
        contract = active_contract(freelancer=freelancer, amounts=(150_00,))
        deliver(milestone_of(contract))
        contract = contract_end(contract=contract, by=contract.client)
        rate(contract, given)
        rate(contract, 4, by_client=False)
    refresh([freelancer.pk])


def test_the_list_shows_each_freelancers_record_and_sorts_by_it():
    client = new_client()
    project = open_project(client=client)
    newcomer, steady, strong = new_freelancer(), new_freelancer(), new_freelancer()
    User.objects.filter(pk=strong.pk).update(country="PT")
    with_record(steady, [5, 3, 3])  # job success 1 of 3 = 33 %
    with_record(strong, [5, 5, 4])  # 3 of 3 = 100 %
    for person, letter in ((newcomer, "I am new here"), (steady, "Steady hands"), (strong, "Strong record " * 30)):
        submit_proposal(project=project, freelancer=person, cover_letter=letter)
    browser = browser_for(client)
    url = reverse("project_proposals", args=[project.pk])
    page = browser.get(url)
    shown = text(page)
    assert "Job success 100% of 3" in shown and "Job success 33% of 3" in shown
    assert "Job success New 0 rated" in shown  # the newcomer: counts, no score
    assert "Portugal" in shown
    assert reverse("freelancer_public", args=[strong.pk]) in page.content.decode()
    assert ("Strong record " * 30)[:200] in shown and ("Strong record " * 30).strip() not in shown  # an excerpt
    # newest first by default: the strong one proposed last
    names = [p.display_name for p in (strong, steady, newcomer)]
    assert [shown.index(name) for name in names] == sorted(shown.index(name) for name in names)
    # by job success: highest first, the newcomer (no score) last
    by_success = text(browser.get(url, {"sort": "job_success"}))
    order = [by_success.index(p.display_name) for p in (strong, steady, newcomer)]
    assert order == sorted(order)
    # an unknown sort is the default, not an error
    assert browser.get(url, {"sort": "<script>"}).status_code == 200


def test_the_list_runs_the_same_queries_for_two_or_five_proposals():
    client = new_client()
    project = open_project(client=client)
    for _ in range(2):
        submit_proposal(project=project, freelancer=new_freelancer())
    browser = browser_for(client)
    url = reverse("project_proposals", args=[project.pk])
    browser.get(url)
    two = queries(browser, url)
    for _ in range(3):
        submit_proposal(project=project, freelancer=new_freelancer())
    browser.get(url)  # the new freelancers' figures are worked out once and kept
    assert queries(browser, url) == two
