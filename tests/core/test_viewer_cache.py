"""A signed-in person's pages are kept a few seconds for them alone, and never hide what they did
or what they were told."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from contracts import services
from contracts.models import Milestone
from contracts.views import form_prefix
from payments.models import LedgerTransaction
from tests.contracts.factories import active_contract, milestone_of
from tests.helpers import api_for, browser_for, text
from tests.marketplace.factories import ProjectFactory, new_freelancer

pytestmark = pytest.mark.django_db

GOOD_CARD = "4242 4242 4242 4242"
INTENT = re.compile(r'name="([\w-]*intent)" value="(\w+)"')


@pytest.fixture
def viewer_cache(settings):
    settings.VIEWER_PAGE_CACHE_SECONDS = 30
    settings.PUBLIC_LIST_CACHE_SECONDS = 30
    cache.clear()
    yield
    cache.clear()


def seen(browser, url) -> str:
    """The page as the person sees it; the first visit also sets the browser's CSRF cookie."""
    return text(browser.get(url))


def rename(milestone: Milestone, title: str) -> None:
    Milestone.objects.filter(pk=milestone.pk).update(title=title)  # a change that tells nobody


def test_a_reload_within_the_interval_is_the_kept_page_and_a_later_one_is_fresh(viewer_cache):
    contract = active_contract()
    client = browser_for(contract.client)
    url = reverse("contract_detail", args=[contract.pk])
    seen(client, url)
    assert "Milestone 1" in seen(client, url)
    rename(milestone_of(contract), "Renamed quietly")
    assert "Renamed quietly" not in seen(client, url)
    cache.clear()  # the interval ends
    assert "Renamed quietly" in seen(client, url)


def test_the_page_after_the_persons_own_action_is_always_fresh(viewer_cache):
    contract = active_contract()
    client = browser_for(contract.client)
    url = reverse("contract_detail", args=[contract.pk])
    seen(client, url)
    seen(client, url)
    milestone = milestone_of(contract)
    rename(milestone, "Renamed quietly")
    response = client.post(reverse("milestone_fund", args=[milestone.pk]), {"card_number": GOOD_CARD}, follow=True)
    assert response.status_code == 200
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.FUNDED
    page = seen(client, url)
    assert "Renamed quietly" in page


def test_what_the_other_side_did_shows_at_once_when_they_were_told(viewer_cache, django_capture_on_commit_callbacks):
    contract = active_contract()
    milestone = services.milestone_fund(milestone=milestone_of(contract), by=contract.client)
    client = browser_for(contract.client)
    url = reverse("contract_detail", args=[contract.pk])
    seen(client, url)
    assert "Submitted" not in seen(client, url)
    with django_capture_on_commit_callbacks(execute=True):
        services.milestone_submit(milestone=milestone, by=contract.freelancer, message="Done: see the report.")
    assert "Submitted" in seen(client, url)


def test_a_kept_page_is_never_shown_to_another_person_or_in_another_browser(viewer_cache):
    contract = active_contract()
    url = reverse("contract_detail", args=[contract.pk])
    first = browser_for(contract.client)
    seen(first, url)
    seen(first, url)
    rename(milestone_of(contract), "Renamed quietly")
    assert "Renamed quietly" not in seen(first, url)
    assert "Renamed quietly" in seen(browser_for(contract.client), url)  # signed in elsewhere
    assert "Renamed quietly" in seen(browser_for(contract.freelancer), url)
    stranger = browser_for(new_freelancer())
    assert stranger.get(url).status_code == 404


def test_every_showing_of_a_money_form_carries_a_new_key_and_each_moves_money_once(viewer_cache):
    contract = active_contract(amounts=(1_000_00,))
    milestone = services.milestone_fund(milestone=milestone_of(contract), by=contract.client)
    services.milestone_submit(milestone=milestone, by=contract.freelancer, message="Done: see the report.")
    client = browser_for(contract.client)
    url = reverse("contract_detail", args=[contract.pk])
    seen(client, url)
    shown = [dict(INTENT.findall(client.get(url).content.decode())) for _ in range(2)]
    assert shown[0] and shown[0].keys() == shown[1].keys()
    assert not set(shown[0].values()) & set(shown[1].values())

    prefix = form_prefix("release_part", milestone)
    release = reverse("milestone_release_partial", args=[milestone.pk])
    before = LedgerTransaction.objects.count()
    for page in shown:  # two tabs, each releasing $100: two releases
        form = {f"{prefix}-amount": "100", f"{prefix}-intent": page[f"{prefix}-intent"], "confirm": "yes"}
        client.post(release, form)
        client.post(release, form)  # the same tab posted twice: once
    milestone.refresh_from_db()
    assert milestone.released_cents == 200_00
    assert LedgerTransaction.objects.count() == before + 2


def test_a_flash_message_is_shown_once_and_never_kept(viewer_cache):
    contract = active_contract()
    client = browser_for(contract.client)
    url = reverse("contract_detail", args=[contract.pk])
    seen(client, url)
    seen(client, url)
    milestone = milestone_of(contract)
    after = client.post(reverse("milestone_fund", args=[milestone.pk]), {"card_number": GOOD_CARD}, follow=True)
    notice = [str(m) for m in after.context["messages"]]
    assert notice
    assert notice[0] not in seen(client, url)


def test_turned_off_with_zero(settings):
    settings.VIEWER_PAGE_CACHE_SECONDS = 0
    cache.clear()
    contract = active_contract()
    client = browser_for(contract.client)
    url = reverse("contract_detail", args=[contract.pk])
    seen(client, url)
    seen(client, url)
    rename(milestone_of(contract), "Renamed quietly")
    assert "Renamed quietly" in seen(client, url)


def test_the_public_project_api_list_is_kept_for_everyone_alike_and_mine_is_always_fresh(viewer_cache):
    freelancer = new_freelancer()
    ProjectFactory(published=True, title="Clinic booking app")
    api = api_for(freelancer)
    first = api.get("/api/v1/projects/")
    assert [p["title"] for p in first.json()["results"]] == ["Clinic booking app"]
    mine = ProjectFactory(published=True, title="Warehouse scanner")
    assert api.get("/api/v1/projects/").json() == first.json()
    assert api.get("/api/v1/projects/?page=1").json()["count"] == 2  # another address: counted afresh
    own = api_for(mine.client).get("/api/v1/projects/?mine=true").json()
    assert [p["title"] for p in own["results"]] == ["Warehouse scanner"]
    # bad input is still refused before anything is read from the cache
    assert api.get("/api/v1/projects/?budget_min=lots").status_code == 400
    assert api_for(None).get("/api/v1/projects/?page=1").status_code == 200
