"""From hire to withdrawal, in two browsers side by side: the client's and the freelancer's.

The client and the freelancer of the Market journey meet again on a standard project. The proposal
(two milestones, $600 + $400) is made through the services, since the Market journey already posts
and proposes in the browser; from the client's proposal page on, both people log in through the
real login form and only read what the pages show them: headings, statuses, money, deadlines.

The database is consulted to prove that a declined card charged nothing, to learn the moments the
pages should show (the review deadline, the release and its clearance, written in each person's
time zone), to let the clearance period pass (the test process shares the live server's database)
and, at the end, to check that the payout exists and that the books balance.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from contracts.invariants import money_problems
from contracts.models import Milestone
from marketplace.services import MilestoneTerms
from payments.models import GatewayOperation, LedgerTransaction, Payout
from payments.services import clearances_due
from tests.e2e.test_market_journey import (
    CLIENT_NAME,
    CLIENT_ZONE,
    FREELANCER_NAME,
    FREELANCER_ZONE,
    fact,
    long_date,
    nav,
    side_by_side,
    terms_to_hire,
    the_pair,
)
from tests.e2e.test_signup_journeys import label
from tests.marketplace.factories import in_days, open_project, submit_proposal

TITLE = "Rebuild the order flow of our Django shop"
SUMMARY = "Profile the checkout, fix the worst queries, then rebuild the order flow."
DESCRIPTION = "A Django 5 shop with about 2,000 orders a day.\nThe checkout page runs 400 queries."
FIRST = "Profiling report and query fixes"
SECOND = "New order flow"
DECLINED_CARD = "4000 0000 0000 0002"
GOOD_CARD = "4242 4242 4242 4242"
DELIVERY = "The profiling report is attached.\nThe checkout now runs 38 queries instead of 400."
REPORT_NAME = "profiling-report.txt"
REPORT_TEXT = "Checkout: 400 queries -> 38 queries. Slowest view: cart summary (N+1 on line items).\n"
CHANGE_REASON = "Please add the timings of the staging run before and after the fixes."
DELIVERED = "Your work is delivered. The client has been told and can review it now."
RESUBMISSION = "Timings added: the checkout went from 6.1 s to 0.8 s on staging."


def milestone_card(page: Page, number: int, title: str) -> Locator:
    """A milestone's own section on the contract page ("1. Profiling report…")."""
    return page.get_by_role("region", name=f"{number}. {title}", exact=True)


def first_card(page: Page, status: str, *, after: str | None = None) -> Locator:
    """The first milestone's section once it shows `status` (after the page's message `after` an action)."""
    if after is not None:
        expect(page.get_by_text(after)).to_be_visible()
    card = milestone_card(page, 1, FIRST)
    expect(card.locator(".pill")).to_have_text(status)
    return card


def deliver(freelancer: Page, card: Locator, message: str, *, files: Path | None = None) -> Locator:
    """The freelancer sends the work from the milestone's section; the section once it waits for review."""
    card.get_by_label(label("What you delivered")).fill(message)
    if files is not None:
        card.get_by_label(label("Files")).set_input_files(files)
    card.get_by_role("button", name="Submit for review").click()
    return first_card(freelancer, "Submitted for review", after=DELIVERED)


def moment(value: datetime, zone: ZoneInfo) -> str:
    """A date and time the way the contract pages write it: 12 Mar 2026, 14:00 CET."""
    local = value.astimezone(zone)
    return f"{local.day} {local:%b %Y}, {local:%H:%M %Z}"


def balance(page: Page, name: str) -> Locator:
    return page.get_by_role("region", name=name, exact=True).locator(".balance-figure")


def test_hire_fund_deliver_approve_and_withdraw(open_browser, tmp_path: Path):
    # 1. Set-up through the services: the pair from the Market journey and a two-milestone proposal.
    client_user, freelancer_user = the_pair(hourly_rate_cents=72_50)
    project = open_project(
        client=client_user,
        title=TITLE,
        summary=SUMMARY,
        description=DESCRIPTION,
        budget_min_cents=1_000_00,
        budget_max_cents=1_000_00,
        duration_days=30,
    )
    first_due, second_due = in_days(10), in_days(24)
    proposal = submit_proposal(
        project=project,
        freelancer=freelancer_user,
        bid_cents=1_000_00,
        duration_days=30,
        milestones=[
            MilestoneTerms(title=FIRST, amount_cents=600_00, due_date=first_due),
            MilestoneTerms(title=SECOND, amount_cents=400_00, due_date=second_due),
        ],
    )
    report = tmp_path / REPORT_NAME
    report.write_text(REPORT_TEXT)

    client, freelancer = side_by_side(open_browser)

    # 2. The client hires from the proposal page after reading the terms. ---------------------------
    client.goto(proposal.get_absolute_url())
    expect(client.get_by_role("heading", level=1, name=f"Proposal from {FREELANCER_NAME}")).to_be_visible()
    terms = terms_to_hire(
        client,
        project=TITLE,
        amount="$1,000.00",
        duration="30 days",
        milestones=[(FIRST, "$600.00", first_due), (SECOND, "$400.00", second_due)],
    )
    expect(terms.get_by_role("row", name="Total")).to_contain_text("$1,000.00")
    client.get_by_role("button", name="Hire and send the offer").click()
    expect(
        client.get_by_text(f"Offer sent to {FREELANCER_NAME}. The contract starts when they accept it")
    ).to_be_visible()
    offer_box = client.get_by_role("region", name="Offer sent with these terms")
    expect(fact(offer_box, "Total")).to_have_text("$1,000.00")
    expect(fact(offer_box, "Milestones")).to_have_text("2")

    # 3. The freelancer finds the offer, reads the terms and the fee, and accepts. -------------------
    nav(freelancer).get_by_role("link", name="Dashboard").click()
    contracts_box = freelancer.get_by_role("region", name="Contracts")
    expect(contracts_box.get_by_role("heading", name="Offers to answer")).to_be_visible()
    expect(contracts_box).to_contain_text(f"$1,000.00 from {CLIENT_NAME}")
    contracts_box.get_by_role("link", name=TITLE).click()

    expect(freelancer.get_by_role("heading", level=1, name=f"Offer: {TITLE}")).to_be_visible()
    expect(freelancer.get_by_text("Waiting for you to accept these terms.")).to_be_visible()
    offer_milestones = freelancer.get_by_role("region", name="Milestones")
    expect(offer_milestones.get_by_role("row", name=FIRST)).to_contain_text("$600.00")
    expect(offer_milestones.get_by_role("row", name=SECOND)).to_contain_text("$400.00")
    pay = freelancer.get_by_role("region", name="What you will be paid")
    expect(fact(pay, "Contract total")).to_have_text("$1,000.00")
    expect(fact(pay, "Service fee")).to_have_text("−$100.00")
    expect(fact(pay, "You receive")).to_have_text("$900.00")
    expect(pay).to_contain_text(f"withdrawable {settings.CLEARANCE_DAYS} days later")
    offer_terms = freelancer.get_by_role("region", name="Terms")
    expect(fact(offer_terms, "Client")).to_have_text(CLIENT_NAME)
    expect(fact(offer_terms, "Change rounds")).to_have_text("2 per milestone")
    expect(freelancer.get_by_role("region", name="Scope")).to_contain_text("The checkout page runs 400 queries.")
    freelancer.get_by_role("button", name="Accept and start the contract").click()

    expect(freelancer.get_by_text("You accepted the offer. The contract has started.")).to_be_visible()
    expect(freelancer.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    expect(freelancer.get_by_text(f"{CLIENT_NAME} hired you")).to_be_visible()
    for number, title in ((1, FIRST), (2, SECOND)):
        card = milestone_card(freelancer, number, title)
        expect(card.locator(".pill")).to_have_text("Awaiting funding")
        expect(card).to_contain_text("Waiting for the client to fund it.")
    expect(fact(freelancer.get_by_role("region", name="Money"), "Held")).to_have_text("$0.00")

    # 4. The client funds the first milestone: a declined card first, then a good one. --------------
    nav(client).get_by_role("link", name="Contracts").click()
    client.get_by_role("link", name=TITLE).click()
    expect(client.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    first = first_card(client, "Awaiting funding")
    first.get_by_role("link", name="Fund $600.00").click()

    expect(client.get_by_role("heading", level=1, name=f"Fund “{FIRST}”")).to_be_visible()
    expect(client.get_by_role("note")).to_have_text(
        "Sandbox payments: no real card is charged. Use any card number; 4000 0000 0000 0002 is declined."
    )
    charge = client.get_by_role("region", name="What you are charged")
    expect(fact(charge, "Milestone amount")).to_have_text("$600.00")
    expect(fact(charge, "Total charged to your card")).to_have_text("$600.00")
    client.screenshot(path="/tmp/contract_journey_1_fund.png", full_page=True)

    client.get_by_label(label("Card number")).fill(DECLINED_CARD)
    client.get_by_role("button", name="Pay $600.00 and fund").click()
    expect(client.get_by_role("alert")).to_have_text(
        "The card was declined (sandbox test card 4000 0000 0000 0002). Nothing was charged."
    )
    expect(client.get_by_role("heading", level=1, name=f"Fund “{FIRST}”")).to_be_visible()
    assert not GatewayOperation.objects.exists()
    client.get_by_role("link", name="Not now").click()
    first = first_card(client, "Awaiting funding")
    expect(fact(client.get_by_role("region", name="Money"), "Held")).to_have_text("$0.00")

    first.get_by_role("link", name="Fund $600.00").click()
    client.get_by_label(label("Card number")).fill(GOOD_CARD)
    client.get_by_role("button", name="Pay $600.00 and fund").click()
    first = first_card(
        client,
        "Funded",
        after=f"Funded. The money for “{FIRST}” is held until you approve the work; {FREELANCER_NAME} can start.",
    )
    expect(fact(first, "Held")).to_have_text("$600.00")
    expect(milestone_card(client, 2, SECOND).locator(".pill")).to_have_text("Awaiting funding")

    # 5. The freelancer sees the money held and delivers a message and a file. -----------------------
    nav(freelancer).get_by_role("link", name="Dashboard").click()
    contracts_box = freelancer.get_by_role("region", name="Contracts")
    expect(contracts_box.get_by_role("heading", name="To deliver (1)")).to_be_visible()
    expect(contracts_box).to_contain_text(f"Funded · $600.00 held · due {long_date(first_due)}")
    contracts_box.get_by_role("link", name=FIRST).click()
    first = first_card(freelancer, "Funded")
    expect(first).to_contain_text(f"Funded: $600.00 is held for you. You can start. Deliver by {long_date(first_due)}.")
    expect(first.get_by_role("heading", name="Submit the work")).to_be_visible()
    first = deliver(freelancer, first, DELIVERY, files=report)
    deadline = Milestone.objects.get(contract__offer__proposal=proposal, position=1).auto_release_at
    assert abs(deadline - (timezone.now() + timedelta(days=settings.AUTO_RELEASE_DAYS))) < timedelta(minutes=2)
    expect(first.get_by_role("note")).to_contain_text(f"Review by {moment(deadline, FREELANCER_ZONE)}.")
    expect(first.get_by_role("note")).to_contain_text(
        f"If the client does nothing, $600.00 is released to you on {moment(deadline, FREELANCER_ZONE)}."
    )
    expect(first.get_by_role("link", name=REPORT_NAME)).to_be_visible()

    # 6. The client reads the delivery and the deadline, and asks for changes. -----------------------
    client.reload()
    first = first_card(client, "Submitted for review")
    next_for_you = client.get_by_role("region", name="Next for you")
    expect(next_for_you).to_contain_text(
        f"Review the work delivered for “{FIRST}” — by {moment(deadline, CLIENT_ZONE)}"
    )
    note = first.get_by_role("note")
    expect(note).to_contain_text(f"Review by {moment(deadline, CLIENT_ZONE)}.")
    expect(note).to_contain_text(
        f"If you do nothing, $600.00 is released to the freelancer on {moment(deadline, CLIENT_ZONE)}."
    )
    delivery = first.get_by_role("listitem").filter(has_text="The profiling report is attached.")
    expect(delivery.locator(".pre-line")).to_have_text(DELIVERY, use_inner_text=True)
    attachment = delivery.get_by_role("link", name=REPORT_NAME)
    download = client.request.get(attachment.get_attribute("href"))
    assert download.ok
    assert download.text() == REPORT_TEXT
    expect(fact(first, "Change rounds left")).to_have_text("2 of 2")
    client.screenshot(path="/tmp/contract_journey_2_client_review.png", full_page=True)

    first.get_by_text("Request changes", exact=True).click()
    expect(first.get_by_text("2 of 2 change rounds left for this milestone.")).to_be_visible()
    first.get_by_label(label("What needs to change")).fill(CHANGE_REASON)
    first.get_by_role("button", name="Send the change request").click()
    first = first_card(
        client, "Changes requested", after="Changes requested. The freelancer has your reason; the money stays held."
    )
    expect(fact(first, "Change rounds left")).to_have_text("1 of 2")
    expect(first.get_by_role("note")).to_contain_text("You asked for changes.")
    expect(first.get_by_role("note")).to_contain_text(CHANGE_REASON)
    expect(fact(first, "Held")).to_have_text("$600.00")

    # 7. The freelancer reads the reason and resubmits. --------------------------------------------
    freelancer.reload()
    first = first_card(freelancer, "Changes requested")
    expect(first.get_by_role("note")).to_contain_text("The client asked for changes.")
    expect(first.get_by_role("note")).to_contain_text(CHANGE_REASON)
    expect(first.get_by_role("heading", name="Resubmit the work")).to_be_visible()
    first = deliver(freelancer, first, RESUBMISSION)
    expect(first.locator(".submission-list > li")).to_have_count(2)

    # 8. The client reads the fee breakdown and approves. ------------------------------------------
    client.reload()
    first = first_card(client, "Submitted for review")
    expect(first.get_by_role("listitem").filter(has_text=RESUBMISSION)).to_be_visible()
    expect(fact(first, "Change rounds left")).to_have_text("1 of 2")
    first.get_by_role("link", name="Approve and pay $600.00…").click()

    expect(client.get_by_role("heading", level=1, name=f"Approve “{FIRST}”?")).to_be_visible()
    expect(client.get_by_text("This cannot be undone.")).to_be_visible()
    breakdown = client.get_by_role("region", name="Where the money goes")
    expect(fact(breakdown, "Released from the payment hold")).to_have_text("$600.00")
    expect(fact(breakdown, "Service fee (paid by the freelancer)")).to_have_text("−$60.00")
    expect(fact(breakdown, f"{FREELANCER_NAME} receives")).to_have_text("$540.00")
    expect(breakdown).to_contain_text(f"The freelancer can withdraw it {settings.CLEARANCE_DAYS} days after release.")
    client.get_by_role("button", name="Approve and release $600.00").click()

    first = first_card(
        client, "Approved and paid", after=f"Approved. The payment for “{FIRST}” is on its way to {FREELANCER_NAME}."
    )
    approved_at = Milestone.objects.get(contract__offer__proposal=proposal, position=1).settled_at
    expect(first).to_contain_text(f"Approved and paid on {long_date(approved_at.astimezone(CLIENT_ZONE))}.")
    money_box = client.get_by_role("region", name="Money")
    expect(fact(money_box, "Released")).to_have_text("$600.00")
    expect(fact(money_box, "Held")).to_have_text("$0.00")

    # 9. The freelancer's earnings: $600.00 less the 10% fee is pending, nothing available yet. ----
    freelancer.reload()
    first_card(freelancer, "Approved and paid")
    freelancer.get_by_role("link", name="Your earnings and withdrawals").click()
    expect(freelancer.get_by_role("heading", level=1, name="Earnings")).to_be_visible()
    expect(balance(freelancer, "Pending")).to_have_text("$540.00")
    expect(balance(freelancer, "Available")).to_have_text("$0.00")
    released_at = LedgerTransaction.objects.get(kind=LedgerTransaction.Kind.RELEASE).created_at
    clears = (released_at + timedelta(days=settings.CLEARANCE_DAYS)).astimezone(FREELANCER_ZONE)
    expect(freelancer.get_by_role("region", name="Available")).to_contain_text(
        f"Nothing to withdraw yet. $540.00 is still clearing; the next part becomes available on {long_date(clears)}."
    )
    release = freelancer.get_by_role("region", name="Payments released to you").get_by_role("row", name=FIRST)
    expect(release).to_contain_text("$540.00")
    expect(release).to_contain_text(f"From {moment(clears, FREELANCER_ZONE)}")
    expect(freelancer.get_by_role("form", name="Withdraw")).to_have_count(0)

    # 10. The clearance period passes; the freelancer adds a payout account and withdraws. ---------
    assert clearances_due(now=timezone.now() + timedelta(days=settings.CLEARANCE_DAYS, hours=1)) == 1
    freelancer.reload()
    expect(balance(freelancer, "Available")).to_have_text("$540.00")
    expect(balance(freelancer, "Pending")).to_have_text("$0.00")
    expect(release).to_contain_text("Cleared")
    available = freelancer.get_by_role("region", name="Available")
    expect(available).to_contain_text("To withdraw, add the account your money goes to.")
    available.get_by_role("link", name="Add a payout account").click()
    expect(freelancer.get_by_role("heading", level=1, name="Payout account")).to_be_visible()
    freelancer.get_by_label(label("Account holder's name")).fill("Fran Freelancer")
    freelancer.get_by_label(label("Account number")).fill("12")
    freelancer.get_by_role("button", name="Save payout account").click()
    expect(freelancer.get_by_text("An account number is 4 to 17 digits (try 000123456789).")).to_be_visible()
    freelancer.get_by_label(label("Account number")).fill("000123456789")
    freelancer.get_by_role("button", name="Save payout account").click()
    expect(freelancer.get_by_text("Payout account added. You can withdraw available money to it.")).to_be_visible()
    withdraw = freelancer.get_by_role("form", name="Withdraw")
    expect(withdraw).to_contain_text("It is sent to Sandbox bank account •••• 6789")
    expect(withdraw.get_by_label(label("Amount to withdraw (USD)"))).to_have_value("540")
    expect(withdraw).to_contain_text("You can withdraw up to $540.00.")
    withdraw.get_by_role("button", name="Withdraw").click()

    expect(
        freelancer.get_by_text(
            "Withdrawal of $540.00 on its way to Sandbox bank account •••• 6789. It reaches your bank in 1–3 business days."
        )
    ).to_be_visible()
    expect(balance(freelancer, "Available")).to_have_text("$0.00")
    expect(freelancer.get_by_role("form", name="Withdraw")).to_have_count(0)
    payout_row = freelancer.get_by_role("region", name="Withdrawals").get_by_role("row").nth(1)
    expect(payout_row).to_contain_text("$540.00")
    expect(payout_row).to_contain_text("Sent to Sandbox bank account •••• 6789")
    expect(payout_row).to_contain_text(re.compile(r"tr_sandbox_[0-9a-f]{16}"))
    freelancer.screenshot(path="/tmp/contract_journey_3_earnings.png", full_page=True)

    payout = Payout.objects.get()
    assert (payout.freelancer_id, payout.amount_cents, payout.status) == (
        freelancer_user.pk,
        540_00,
        Payout.Status.PAID,
    )
    assert money_problems() == []
