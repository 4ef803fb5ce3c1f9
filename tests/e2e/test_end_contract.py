"""Ending a contract in two browsers, and a failed form on the contract page that a refresh does
not post again.

The contract (a paid $400 milestone, then an unfunded $2,600 one) comes from the services; the
people sign in through the login form and read only what the pages show them."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from contracts.models import Contract, Milestone, Submission
from tests.contracts.factories import active_contract, milestone_of, move_to
from tests.e2e.test_market_journey import FREELANCER_NAME, side_by_side, the_pair
from tests.e2e.test_signup_journeys import label

NOTE = "The client asked for a full rewrite that we never agreed on."


def the_contract() -> Contract:
    client, freelancer = the_pair()
    contract = active_contract(client=client, freelancer=freelancer, amounts=(400_00, 2_600_00))
    move_to(milestone_of(contract), Milestone.Status.RELEASED)
    return contract


def test_the_freelancer_ends_early_and_the_client_reads_why(open_browser):
    contract = the_contract()
    client, freelancer = side_by_side(open_browser)

    # the freelancer presses End contract on the contract page: nothing ends yet
    freelancer.goto(contract.get_absolute_url())
    freelancer.get_by_role("link", name="End contract…").click()
    expect(freelancer.get_by_role("heading", level=1)).to_have_text(f"End “{contract.title}”?")

    # the confirmation lists the unfunded milestone it removes, with its amount, and how it counts
    happens = freelancer.get_by_role("region", name="What happens")
    expect(happens.locator(".end-removed li")).to_have_text(re.compile(r"^“Milestone 2”: \$2,600\.00, due "))
    expect(happens.locator(".end-outcome")).to_contain_text("It counts as ended early")

    # pressing End without a reason ends nothing, and the address stays the confirmation's own
    freelancer.get_by_role("button", name=re.compile(r"^End the contract")).click()
    expect(freelancer.get_by_text("Choose why you are ending the contract.")).to_be_visible()
    assert freelancer.url.endswith(f"/contracts/{contract.pk}/end/")
    contract.refresh_from_db()
    assert contract.is_active

    # with a reason and a note, it ends
    freelancer.get_by_label("The scope or budget changed").check()
    freelancer.get_by_label(label("Note (optional)")).fill(NOTE)
    freelancer.get_by_role("button", name="End the contract and remove 1 unfunded milestone").click()
    expect(freelancer.get_by_text("The contract has ended (ended early).")).to_be_visible()
    expect(freelancer.get_by_text("You ended it: The scope or budget changed.")).to_be_visible()

    # the client reads who ended it, why, and the note, on the contract and in the notification
    client.goto(contract.get_absolute_url())
    ended = client.get_by_role("region", name="This contract has ended")
    expect(ended).to_contain_text(f"{FREELANCER_NAME} ended it: The scope or budget changed.")
    expect(ended).to_contain_text(NOTE)
    expect(client.get_by_text("Removed before it was funded.")).to_be_visible()
    client.goto("/notifications/")
    expect(client.get_by_role("heading", name=f"Contract ended: “{contract.title}”")).to_be_visible()
    expect(client.locator("main")).to_contain_text("Reason: The scope or budget changed.")


def test_a_failed_delivery_comes_back_to_the_contract_page_and_a_refresh_posts_nothing(open_browser):
    client_user, freelancer_user = the_pair()
    contract = active_contract(client=client_user, freelancer=freelancer_user, amounts=(400_00,))
    milestone = move_to(milestone_of(contract), Milestone.Status.FUNDED)
    _, freelancer = side_by_side(open_browser)
    freelancer.goto(contract.get_absolute_url())

    # the freelancer sends the delivery form empty
    card = freelancer.get_by_role("region", name=f"1. {milestone.title}", exact=True)
    card.get_by_role("button", name="Submit for review").click()

    # the contract page says why, at its own address
    expect(freelancer.get_by_text("Describe what you delivered, or attach it.")).to_be_visible()
    assert re.search(rf"/contracts/{contract.pk}/(#milestone-{milestone.pk})?$", freelancer.url), freelancer.url

    # and a refresh reloads the page without posting again: the error is gone, nothing was sent
    freelancer.reload()
    expect(freelancer.get_by_role("heading", level=1)).to_have_text(contract.title)
    expect(freelancer.get_by_text("Describe what you delivered, or attach it.")).to_have_count(0)
    assert not Submission.objects.filter(milestone=milestone).exists()
