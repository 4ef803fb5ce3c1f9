"""The contract pages, driven through Django's test client: offers, funding, delivery, review,
earnings and withdrawals. Data comes from the services; every test that moves money ends by
checking the ledger's invariants."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.services import user_suspend
from contracts import services
from contracts.invariants import money_problems
from contracts.models import Contract, Milestone, Offer, Submission
from contracts.views import form_prefix
from marketplace.services import proposal_hire
from payments import accounts
from payments.fees import fee_breakdown
from payments.ledger import balance
from payments.models import LedgerTransaction, Payout
from payments.services import clearances_due
from tests.contracts.factories import money_snapshot, run_gateway_calls, with_payout_account
from tests.factories import UserFactory
from tests.helpers import browser_for, came_back, text
from tests.marketplace.factories import in_days, new_freelancer, open_project, submit_proposal

pytestmark = pytest.mark.django_db

GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"
SANDBOX = "Sandbox payments: no real card is charged. Use any card number; 4000 0000 0000 0002 is declined."


# --- helpers --------------------------------------------------------------------------------


def hired_offer(*, test: bool = False, bid_cents: int | None = None) -> Offer:
    """A client hires a proposal through the market; contracts makes the offer."""
    project = open_project(kind="test") if test else open_project()
    proposal = submit_proposal(project=project, freelancer=new_freelancer(), bid_cents=bid_cents)
    proposal_hire(proposal=proposal, by=project.client)
    return Offer.objects.get(proposal=proposal)


def started_contract(**kwargs) -> Contract:
    offer = hired_offer(**kwargs)
    return services.offer_accept(offer=offer, by=offer.freelancer)


def first_milestone(contract: Contract) -> Milestone:
    return contract.milestones.order_by("position").first()


def funded(contract: Contract) -> Milestone:
    milestone = first_milestone(contract)
    return services.milestone_fund(milestone=milestone, by=contract.client, card_number=GOOD_CARD)


def submitted(contract: Contract) -> Milestone:
    milestone = funded(contract)
    services.milestone_submit(milestone=milestone, by=contract.freelancer, message="Done: see the report.")
    milestone.refresh_from_db()
    return milestone


def ledger_count() -> int:
    return LedgerTransaction.objects.count()


def text_file(name: str = "report.txt", body: bytes = b"Slow queries fixed: 3 of 3.\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type="text/plain")


# --- offers ---------------------------------------------------------------------------------


def test_freelancer_accepts_the_offer_from_its_page_and_lands_on_the_contract():
    # given an offer made by hiring a $1,000 proposal
    offer = hired_offer(bid_cents=1_000_00)
    freelancer = offer.freelancer
    browser = browser_for(freelancer)

    # when the freelancer reads the offer
    page = browser.get(reverse("offer_detail", args=[offer.pk]))

    # then the terms, the fee they will pay and the deadline are on it
    assert page.status_code == 200
    shown = text(page)
    fees = fee_breakdown(amount_cents=1_000_00, billed_before_cents=0)
    assert offer.title in shown
    assert "$1,000.00" in shown
    assert f"Service fee −${fees.freelancer_fee_cents / 100:,.2f}" in shown
    assert f"You receive ${fees.freelancer_net_cents / 100:,.2f}" in shown
    assert "Accept by" in shown and "after that it expires" in shown
    assert "Waiting for you to accept these terms." in shown
    assert "2 per milestone" in shown  # change rounds
    # and so is the client's record, where the freelancer decides whether to commit
    assert "Client record" in shown and "Hire rate" in shown and "Disputes decided against them" in shown
    assert "Client record" not in text(browser_for(offer.client).get(reverse("offer_detail", args=[offer.pk])))

    # when they accept it
    response = browser.post(reverse("offer_accept", args=[offer.pk]), follow=True)

    # then they land on the active contract
    contract = Contract.objects.get(offer=offer)
    assert response.redirect_chain[-1][0] == contract.get_absolute_url()
    assert "The contract has started." in text(response)
    assert "Waiting for the client to fund it." in text(response)
    offer.refresh_from_db()
    assert offer.status == Offer.Status.ACCEPTED


def test_offer_and_contract_pages_are_not_found_for_anyone_else(other_user):
    # given a running contract and an open offer between two other people
    offer = hired_offer()
    contract = started_contract()
    milestone = first_milestone(contract)
    stranger = browser_for(other_user)

    # then a stranger finds none of them, and cannot act on them
    assert stranger.get(reverse("offer_detail", args=[offer.pk])).status_code == 404
    assert stranger.post(reverse("offer_accept", args=[offer.pk])).status_code == 404
    assert stranger.get(reverse("contract_detail", args=[contract.pk])).status_code == 404
    assert stranger.get(reverse("milestone_fund", args=[milestone.pk])).status_code == 404
    response = stranger.post(reverse("milestone_fund", args=[milestone.pk]), {"card_number": GOOD_CARD})
    assert response.status_code == 404
    assert stranger.post(reverse("contract_end", args=[contract.pk])).status_code == 404
    assert stranger.get(reverse("milestone_approve", args=[milestone.pk])).status_code == 404
    offer.refresh_from_db()
    milestone.refresh_from_db()
    assert offer.status == Offer.Status.OFFERED
    assert milestone.status == Milestone.Status.PENDING
    assert ledger_count() == 0


def test_the_client_cannot_accept_an_offer_that_waits_for_the_freelancer():
    offer = hired_offer()
    response = browser_for(offer.client).post(reverse("offer_accept", args=[offer.pk]), follow=True)
    assert "The other side has to accept these terms." in text(response)
    assert not Contract.objects.filter(offer=offer).exists()


def test_freelancer_declines_with_a_reason_the_client_then_reads():
    offer = hired_offer()
    browser_for(offer.freelancer).post(reverse("offer_decline", args=[offer.pk]), {"reason": "Booked until June."})
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DECLINED
    shown = text(browser_for(offer.client).get(reverse("offer_detail", args=[offer.pk])))
    assert "declined this offer" in shown and "Booked until June." in shown


def test_client_withdraws_an_offer():
    offer = hired_offer()
    browser_for(offer.client).post(reverse("offer_withdraw", args=[offer.pk]))
    offer.refresh_from_db()
    assert offer.status == Offer.Status.WITHDRAWN


def test_changed_terms_go_back_to_the_other_side_who_accepts_them():
    # given an offer of two milestones waiting for the freelancer
    offer = hired_offer(bid_cents=1_000_00)
    freelancer, client = offer.freelancer, offer.client

    # when the freelancer proposes three milestones instead, typed in dollars
    form = browser_for(freelancer).get(reverse("offer_revise", args=[offer.pk]))
    assert form.status_code == 200
    data = {
        "milestones-TOTAL_FORMS": "3",
        "milestones-INITIAL_FORMS": "0",
        "milestones-0-title": "Design",
        "milestones-0-amount": "400",
        "milestones-0-due_date": in_days(5).isoformat(),
        "milestones-1-title": "Build",
        "milestones-1-amount": "1,000.50",
        "milestones-1-due_date": in_days(15).isoformat(),
        "milestones-2-title": "",
        "milestones-2-amount": "",
        "milestones-2-due_date": "",
        "change_rounds": "3",
        "note": "Design needs its own step.",
    }
    response = browser_for(freelancer).post(reverse("offer_revise", args=[offer.pk]), data)

    # then the offer carries the new total and rounds, and waits for the client
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.total_cents == 1_400_50
    assert offer.change_rounds == 3
    assert offer.awaiting == Offer.Party.CLIENT
    assert offer.revision == 2
    shown = text(browser_for(freelancer).get(offer.get_absolute_url()))
    assert f"Waiting for {client.display_name} to accept these terms." in shown
    assert "revision 2, proposed by you on" in shown
    assert f"revision 2, proposed by {freelancer.display_name} on" in text(
        browser_for(client).get(offer.get_absolute_url())
    )

    # and the offer's history says who did what
    history = text(browser_for(client).get(offer.get_absolute_url()))
    assert "You offered these terms" in history  # the client reads their own step as theirs
    assert f"{freelancer.display_name} proposed changed terms (revision 2): new total $1,400.50" in history
    assert "Design needs its own step." in history

    # and the client accepts the changed terms
    response = browser_for(client).post(reverse("offer_accept", args=[offer.pk]))
    contract = Contract.objects.get(offer=offer)
    assert response.url == contract.get_absolute_url()
    assert [m.amount_cents for m in contract.milestones.order_by("position")] == [400_00, 1_000_50]
    assert contract.change_rounds == 3


def test_changed_terms_with_bad_amounts_are_refused_and_change_nothing():
    offer = hired_offer(bid_cents=1_000_00)
    for amount, message in (("12.345", "at most two decimal places"), ("-5", "above zero"), ("ten", "such as 45")):
        data = {
            "milestones-TOTAL_FORMS": "1",
            "milestones-INITIAL_FORMS": "0",
            "milestones-0-title": "All of it",
            "milestones-0-amount": amount,
            "milestones-0-due_date": in_days(5).isoformat(),
        }
        response = browser_for(offer.freelancer).post(reverse("offer_revise", args=[offer.pk]), data)
        assert response.status_code == 400
        assert message in text(response)
    offer.refresh_from_db()
    assert (offer.revision, offer.total_cents) == (1, 1_000_00)


# --- funding --------------------------------------------------------------------------------


def test_client_funds_on_the_fund_page_and_a_declined_card_moves_nothing(django_capture_on_commit_callbacks):
    # given a started contract whose first milestone waits for funding
    contract = started_contract(bid_cents=1_000_00)
    milestone = first_milestone(contract)
    client = browser_for(contract.client)
    url = reverse("milestone_fund", args=[milestone.pk])

    # when the client opens the fund page
    page = client.get(url)

    # then it shows the breakdown and announces the sandbox
    assert page.status_code == 200
    shown = text(page)
    assert SANDBOX in shown
    assert f"Milestone amount ${milestone.amount_cents / 100:,.2f}" in shown
    assert "Client fee $0.00" in shown
    assert f"Total charged to your card ${milestone.amount_cents / 100:,.2f}" in shown

    # when the card is declined
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"card_number": DECLINED_CARD}, follow=True)

    # then the error shows on the fund page, fetched again (a refresh pays nothing), and nothing
    # moved, nobody was emailed
    assert came_back(response, url)
    assert "The card was declined" in text(response)
    assert SANDBOX in text(response)
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.PENDING
    assert ledger_count() == 0
    assert balance(accounts.escrow(milestone.ledger_reference)) == 0
    assert mail.outbox == []

    # when a good card is used
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"card_number": GOOD_CARD})

    # then the milestone is funded, its money held, and the freelancer told
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.FUNDED
    assert balance(accounts.escrow(milestone.ledger_reference)) == milestone.amount_cents
    assert [message.to for message in mail.outbox] == [[contract.freelancer.email]]
    shown = text(browser_for(contract.freelancer).get(contract.get_absolute_url()))
    assert "Funded: $500.00 is held for you. You can start." in shown
    assert money_problems() == []


def test_funding_twice_is_refused_and_charges_once():
    contract = started_contract()
    milestone = funded(contract)
    before = ledger_count()
    response = browser_for(contract.client).post(
        reverse("milestone_fund", args=[milestone.pk]), {"card_number": GOOD_CARD}, follow=True
    )
    assert came_back(response, reverse("milestone_fund", args=[milestone.pk]))
    assert "This milestone is already funded." in text(response)
    assert ledger_count() == before
    assert balance(accounts.escrow(milestone.ledger_reference)) == milestone.amount_cents
    assert money_problems() == []


def test_a_card_number_that_is_not_one_is_refused():
    contract = started_contract()
    milestone = first_milestone(contract)
    url = reverse("milestone_fund", args=[milestone.pk])
    response = browser_for(contract.client).post(url, {"card_number": "12"}, follow=True)
    assert came_back(response, url)
    assert "12 to 19 digits" in text(response)
    assert ledger_count() == 0


def test_the_freelancer_cannot_fund():
    contract = started_contract()
    milestone = first_milestone(contract)
    response = browser_for(contract.freelancer).post(
        reverse("milestone_fund", args=[milestone.pk]), {"card_number": GOOD_CARD}, follow=True
    )
    assert "Only the client funds milestones." in text(response)
    assert ledger_count() == 0


# --- delivery, review, approval, earnings ---------------------------------------------------


def test_deliver_request_changes_resubmit_approve_then_withdraw(django_capture_on_commit_callbacks):
    # given a funded $500 milestone
    contract = started_contract(bid_cents=1_000_00)
    milestone = funded(contract)
    freelancer, client = browser_for(contract.freelancer), browser_for(contract.client)
    submit, review = form_prefix("submit", milestone), form_prefix("request_changes", milestone)

    # when the freelancer submits work with a file
    response = freelancer.post(
        reverse("milestone_submit", args=[milestone.pk]),
        {f"{submit}-message": "First version attached.", f"{submit}-files": [text_file()]},
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.SUBMITTED
    stored = Submission.objects.get(milestone=milestone).files.get()

    # then the client sees the delivery, the file and the automatic-approval deadline
    page = client.get(contract.get_absolute_url())
    shown = text(page)
    assert "First version attached." in shown and "report.txt" in shown
    assert "If you do nothing, $500.00 is released to the freelancer on" in shown
    assert "2 of 2 change rounds left" in shown
    download = client.get(reverse("submission_file", args=[stored.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"Slow queries fixed: 3 of 3.\n"
    assert browser_for(UserFactory()).get(reverse("submission_file", args=[stored.pk])).status_code == 404

    # when the client requests changes with a reason
    response = client.post(
        reverse("milestone_request_changes", args=[milestone.pk]), {f"{review}-reason": "The CSV export is missing."}
    )
    assert response.status_code == 302

    # then the freelancer reads the reason and can resubmit
    shown = text(freelancer.get(contract.get_absolute_url()))
    assert "The client asked for changes." in shown and "The CSV export is missing." in shown
    assert "Resubmit the work" in shown
    freelancer.post(reverse("milestone_submit", args=[milestone.pk]), {f"{submit}-message": "Export added."})
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.SUBMITTED
    assert "1 of 2 change rounds left" in text(client.get(contract.get_absolute_url()))

    # when the client reads the approval page
    fees = fee_breakdown(amount_cents=500_00, billed_before_cents=0)
    page = client.get(reverse("milestone_approve", args=[milestone.pk]))
    shown = text(page)
    assert "Released from the payment hold $500.00" in shown
    assert f"Service fee (paid by the freelancer) −${fees.freelancer_fee_cents / 100:,.2f}" in shown
    assert f"{contract.freelancer.display_name} receives ${fees.freelancer_net_cents / 100:,.2f}" in shown

    # and approves
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("milestone_approve", args=[milestone.pk]))
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.RELEASED
    assert any("Paid" in message.subject for message in mail.outbox if message.to == [contract.freelancer.email])

    # then the freelancer's earnings show the amount less the fee, still pending
    page = freelancer.get(reverse("earnings"))
    shown = text(page)
    assert f"Pending ${fees.freelancer_net_cents / 100:,.2f}" in shown
    assert "Available $0.00" in shown
    assert "Nothing to withdraw yet." in shown

    # when the clearance period has passed
    clearances_due(now=timezone.now() + timedelta(days=6))
    page = freelancer.get(reverse("earnings"))
    shown = text(page)
    assert f"Available ${fees.freelancer_net_cents / 100:,.2f}" in shown
    assert "Pending $0.00" in shown
    assert "withdrawals are simulated and no real money is sent" in shown
    # and it asks for the account the money goes to, which the freelancer adds
    assert "Add a payout account" in shown
    added = freelancer.post(
        reverse("payout_account"),
        {"holder": "Ada Lovelace", "routing_number": "110000000", "account_number": "000123456789"},
    )
    assert added.status_code == 302
    page = freelancer.get(reverse("earnings"))
    assert "•••• 6789" in text(page)
    key = page.context["form"]["key"].value()
    assert page.context["form"]["amount"].value() == "450"

    # and the freelancer withdraws with the form as shown, twice (a double click)
    data = {"amount": "450", "key": key}
    first = freelancer.post(reverse("earnings"), data)
    second = freelancer.post(reverse("earnings"), data)

    # then one payout was made and nothing is left to withdraw
    assert first.status_code == 302 and second.status_code == 302
    assert Payout.objects.filter(freelancer=contract.freelancer).count() == 1
    assert balance(accounts.available(contract.freelancer.pk)) == 0
    shown = text(freelancer.get(reverse("earnings")))
    assert "Available $0.00" in shown
    assert "$450.00 Sending" in shown
    # and once the transfer is made, it reads sent to that account
    assert run_gateway_calls() == 1
    assert "$450.00 Sent to Sandbox bank account •••• 6789" in text(freelancer.get(reverse("earnings")))
    assert money_problems() == []


HTML_PAGE = b"<html><script>alert(1)</script></html>"


@pytest.mark.parametrize(
    ("stage", "who", "form", "fields", "message"),
    [
        pytest.param(
            submitted, "client", "request_changes", {"reason": "  "}, "Say what needs to change.", id="no-reason"
        ),
        pytest.param(
            funded, "freelancer", "submit", {"message": ""}, "Describe what you delivered, or attach it.", id="empty"
        ),
        pytest.param(
            funded,
            "freelancer",
            "submit",
            {"message": "See file", "files": [text_file("page.txt", HTML_PAGE)]},
            "contains HTML or SVG",
            id="html-file",
        ),
    ],
)
def test_a_delivery_or_review_form_with_bad_input_is_refused_and_changes_nothing(stage, who, form, fields, message):
    # given a milestone at the stage where `who` may send `form`
    contract = started_contract()
    milestone = stage(contract)
    before, submissions = money_snapshot(), Submission.objects.count()
    # when they send it with nothing usable in it
    prefix = form_prefix(form, milestone)
    response = browser_for(getattr(contract, who)).post(
        reverse(f"milestone_{form}", args=[milestone.pk]),
        {f"{prefix}-{name}": value for name, value in fields.items()},
        follow=True,
    )
    # then the contract page comes back (on a GET) with the form saying why, and the milestone,
    # its money and its deliveries are as they were
    assert came_back(response, contract.get_absolute_url())
    assert message in text(response)
    assert money_snapshot() == before
    assert Submission.objects.count() == submissions


def test_when_no_change_rounds_are_left_the_page_says_what_the_client_can_do():
    contract = started_contract()
    milestone = submitted(contract)
    for round_number in range(contract.change_rounds):
        services.milestone_request_changes(milestone=milestone, by=contract.client, reason=f"Round {round_number}")
        services.milestone_submit(milestone=milestone, by=contract.freelancer, message="Again")
    shown = text(browser_for(contract.client).get(contract.get_absolute_url()))
    assert "0 of 2 change rounds left." in shown
    assert "add a paid change-order milestone" in shown and "for a refund" in shown
    # and, when they cannot agree, a dispute
    assert "Cannot agree? Open a dispute" in shown
    response = browser_for(contract.client).post(
        reverse("milestone_request_changes", args=[milestone.pk]),
        {f"{form_prefix('request_changes', milestone)}-reason": "Once more"},
        follow=True,
    )
    assert came_back(response, contract.get_absolute_url())
    assert "You have used all 2 change rounds" in text(response)


def test_the_freelancer_cannot_approve_their_own_work():
    contract = started_contract()
    milestone = submitted(contract)
    before = ledger_count()
    response = browser_for(contract.freelancer).post(reverse("milestone_approve", args=[milestone.pk]), follow=True)
    assert "Only the client can approve work." in text(response)
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.SUBMITTED
    assert ledger_count() == before
    assert money_problems() == []


# --- partial release and refunds ------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", "Enter an amount above zero"),
        ("-5", "Enter an amount above zero"),
        ("12.345", "at most two decimal places"),
        ("", "Enter the amount to release."),
        ("500", "approve the milestone to release all of it"),
        ("9999", "approve the milestone to release all of it"),
    ],
)
def test_partial_release_with_a_bad_amount_is_refused_and_moves_nothing(typed, message):
    contract = started_contract(bid_cents=1_000_00)
    milestone = submitted(contract)
    before = ledger_count()
    url = reverse("milestone_release_partial", args=[milestone.pk])
    for confirm in ("", "yes"):
        response = browser_for(contract.client).post(
            url, {f"{form_prefix('release_part', milestone)}-amount": typed, "confirm": confirm}, follow=True
        )
        assert came_back(response, contract.get_absolute_url())
        assert message in text(response) or (confirm and "is at most" in text(response))
        assert "Nothing was released." in text(response)
    milestone.refresh_from_db()
    assert milestone.released_cents == 0
    assert ledger_count() == before
    assert money_problems() == []


def test_partial_release_shows_the_breakdown_then_releases_on_confirmation():
    contract = started_contract(bid_cents=1_000_00)
    milestone = submitted(contract)
    client = browser_for(contract.client)
    url = reverse("milestone_release_partial", args=[milestone.pk])

    preview = client.post(url, {f"{form_prefix('release_part', milestone)}-amount": "100"})
    shown = text(preview)
    assert preview.status_code == 200
    assert "Released from the payment hold $100.00" in shown and "receives $90.00" in shown
    assert "Still held after this $400.00" in shown
    assert ledger_count() == 1  # only the funding so far

    client.post(url, {f"{form_prefix('release_part', milestone)}-amount": "100", "confirm": "yes"})
    milestone.refresh_from_db()
    assert milestone.released_cents == 100_00
    assert milestone.held_cents == 400_00
    assert balance(accounts.pending(contract.freelancer.pk)) == 90_00
    assert money_problems() == []


def test_freelancer_cannot_release_money_partially():
    contract = started_contract()
    milestone = submitted(contract)
    response = browser_for(contract.freelancer).post(
        reverse("milestone_release_partial", args=[milestone.pk]),
        {f"{form_prefix('release_part', milestone)}-amount": "10", "confirm": "yes"},
        follow=True,
    )
    assert came_back(response, contract.get_absolute_url())
    assert "Only the client can release money." in text(response)
    milestone.refresh_from_db()
    assert milestone.released_cents == 0


def test_the_fee_step_of_a_partial_release_refuses_what_the_release_would(moderator):
    # given a submitted milestone whose client has since been suspended
    contract = started_contract()
    milestone = submitted(contract)
    user_suspend(user=contract.client, by=moderator, reason="Chargeback under review")
    # when the client asks for the fee breakdown of a partial release
    response = browser_for(contract.client).post(
        reverse("milestone_release_partial", args=[milestone.pk]),
        {f"{form_prefix('release_part', milestone)}-amount": "10"},
        follow=True,
    )
    # then no confirmation is offered: the page says why at once, and nothing moved
    assert came_back(response, contract.get_absolute_url())
    assert "Your account is suspended" in text(response)
    assert "Still held after this" not in text(response)
    milestone.refresh_from_db()
    assert milestone.released_cents == 0


def test_refund_request_agreed_by_the_freelancer_returns_the_money():
    contract = started_contract(bid_cents=1_000_00)
    milestone = funded(contract)
    prefix = form_prefix("refund_request", milestone)
    browser_for(contract.client).post(
        reverse("milestone_refund_request", args=[milestone.pk]),
        {f"{prefix}-amount": "", f"{prefix}-reason": "We changed plans."},
    )
    refund_request = milestone.refund_requests.get()
    shown = text(browser_for(contract.freelancer).get(contract.get_absolute_url()))
    assert "The client asks for a refund of $500.00." in shown and "We changed plans." in shown

    browser_for(contract.freelancer).post(reverse("refund_request_accept", args=[refund_request.pk]))
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.REFUNDED
    assert balance(accounts.escrow(milestone.ledger_reference)) == 0
    assert money_problems() == []


def test_refund_request_declined_keeps_the_money_held():
    contract = started_contract()
    milestone = funded(contract)
    refund_request = services.milestone_refund_request(milestone=milestone, by=contract.client)
    browser_for(contract.freelancer).post(
        reverse("refund_request_decline", args=[refund_request.pk]),
        {f"{form_prefix('answer_refund', milestone)}-reason": "Work is done."},
    )
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.FUNDED
    assert balance(accounts.escrow(milestone.ledger_reference)) == milestone.amount_cents


def test_freelancer_gives_back_part_and_an_amount_above_what_is_held_is_refused():
    contract = started_contract(bid_cents=1_000_00)
    milestone = funded(contract)
    freelancer = browser_for(contract.freelancer)
    url = reverse("milestone_refund_offer", args=[milestone.pk])
    response = freelancer.post(url, {f"{form_prefix('refund_offer', milestone)}-amount": "600"}, follow=True)
    assert came_back(response, contract.get_absolute_url())
    assert "A refund is at most $500.00." in text(response)
    freelancer.post(url, {f"{form_prefix('refund_offer', milestone)}-amount": "50"})
    milestone.refresh_from_db()
    assert milestone.refunded_cents == 50_00
    assert milestone.held_cents == 450_00
    assert money_problems() == []


def hidden_intent(page, prefix: str) -> str:
    """The key the page put in a money form, as a browser would send it back."""
    match = re.search(rf'name="{prefix}-intent" value="([^"]+)"', page.content.decode())
    assert match, f"no {prefix}-intent field on the page"
    return match.group(1)


def test_a_confirmed_partial_release_posted_twice_releases_once():
    # given a client on the contract page of a $500 submitted milestone
    contract = started_contract(bid_cents=1_000_00)
    milestone = submitted(contract)
    client = browser_for(contract.client)
    prefix = form_prefix("release_part", milestone)
    intent = hidden_intent(client.get(contract.get_absolute_url()), prefix)
    url = reverse("milestone_release_partial", args=[milestone.pk])
    # when they review a $100 release, and the confirmation page carries the same key
    preview = client.post(url, {f"{prefix}-amount": "100", f"{prefix}-intent": intent})
    assert hidden_intent(preview, prefix) == intent
    confirmed = {f"{prefix}-amount": "100", f"{prefix}-intent": intent, "confirm": "yes"}
    # and confirm it twice (a double click, or the back button and confirm again)
    first, second = client.post(url, confirmed), client.post(url, confirmed)
    # then $100 was released once, and both answers land back on the contract
    assert first.status_code == second.status_code == 302
    milestone.refresh_from_db()
    assert (milestone.released_cents, milestone.held_cents) == (100_00, 400_00)
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.PARTIAL_RELEASE).count() == 1
    # and a new release from a freshly loaded page is a new intent that moves money again
    fresh = hidden_intent(client.get(contract.get_absolute_url()), prefix)
    assert fresh != intent
    client.post(url, {f"{prefix}-amount": "100", f"{prefix}-intent": fresh, "confirm": "yes"})
    milestone.refresh_from_db()
    assert milestone.released_cents == 200_00
    assert money_problems() == []


def test_a_refund_given_back_posted_twice_refunds_once():
    contract = started_contract(bid_cents=1_000_00)
    milestone = funded(contract)
    freelancer = browser_for(contract.freelancer)
    prefix = form_prefix("refund_offer", milestone)
    intent = hidden_intent(freelancer.get(contract.get_absolute_url()), prefix)
    url = reverse("milestone_refund_offer", args=[milestone.pk])
    for _ in range(2):
        assert freelancer.post(url, {f"{prefix}-amount": "50", f"{prefix}-intent": intent}).status_code == 302
    milestone.refresh_from_db()
    assert (milestone.refunded_cents, milestone.held_cents) == (50_00, 450_00)
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.REFUND).count() == 1
    assert money_problems() == []


def test_a_forged_intent_is_refused_and_moves_nothing():
    contract = started_contract(bid_cents=1_000_00)
    milestone = funded(contract)
    prefix = form_prefix("refund_offer", milestone)
    response = browser_for(contract.freelancer).post(
        reverse("milestone_refund_offer", args=[milestone.pk]),
        {f"{prefix}-amount": "50", f"{prefix}-intent": "'; drop table --"},
        follow=True,
    )
    assert came_back(response, contract.get_absolute_url())
    assert "This form is out of date" in text(response)
    milestone.refresh_from_db()
    assert milestone.refunded_cents == 0


# --- change orders and ending ---------------------------------------------------------------


def test_client_adds_a_change_order_and_the_freelancer_may_decline_it():
    contract = started_contract()
    response = browser_for(contract.client).post(
        reverse("contract_milestone_add", args=[contract.pk]),
        {"add-title": "Extra report", "add-amount": "120.50", "add-due_date": in_days(9).isoformat()},
    )
    assert response.status_code == 302
    added = contract.milestones.get(is_change_order=True)
    assert added.amount_cents == 120_50
    shown = text(browser_for(contract.freelancer).get(contract.get_absolute_url()))
    assert "Decline this change order" in shown
    browser_for(contract.freelancer).post(reverse("milestone_cancel", args=[added.pk]))
    added.refresh_from_db()
    assert added.status == Milestone.Status.CANCELLED


def test_an_agreed_milestone_is_removed_only_when_the_other_side_agrees():
    # given an active contract with two unfunded milestones the freelancer agreed to
    contract = started_contract(bid_cents=1_000_00)
    second = contract.milestones.get(position=2)
    client = browser_for(contract.client)
    page = text(client.get(contract.get_absolute_url()))
    assert "Propose removing it" in page and "Withdraw this change order" not in page
    # when the client proposes removing the second one
    client.post(reverse("milestone_removal_propose", args=[second.pk]))
    second.refresh_from_db()
    assert second.status == Milestone.Status.PENDING  # nothing changes yet
    # then the freelancer reads the proposal and agrees
    freelancer = browser_for(contract.freelancer)
    page = text(freelancer.get(contract.get_absolute_url()))
    assert f"{contract.client.display_name} proposes: removing this milestone" in page
    edit = second.edits.get()
    response = freelancer.post(reverse("milestone_edit_accept", args=[edit.pk]), follow=True)
    assert f"You agreed: “{second.title}” is removed from the contract." in text(response)
    second.refresh_from_db()
    assert second.status == Milestone.Status.CANCELLED


def test_a_change_order_on_an_ended_contract_is_refused():
    contract = started_contract()
    services.contract_end(contract=contract, by=contract.client)
    response = browser_for(contract.client).post(
        reverse("contract_milestone_add", args=[contract.pk]),
        {"add-title": "More", "add-amount": "100", "add-due_date": in_days(9).isoformat()},
        follow=True,
    )
    assert came_back(response, contract.get_absolute_url())
    assert "This contract has ended" in text(response)
    assert not contract.milestones.filter(is_change_order=True).exists()


def test_ending_a_contract_with_money_held_is_refused_with_the_reason():
    contract = started_contract()
    milestone = funded(contract)
    response = browser_for(contract.freelancer).post(
        reverse("contract_end", args=[contract.pk]), {"reason": "unresponsive"}, follow=True
    )
    assert f"Money is still held for “{milestone.title}”" in text(response)
    contract.refresh_from_db()
    assert contract.is_active


def test_withdrawing_more_than_is_available_is_refused_inline():
    contract = started_contract(bid_cents=1_000_00)
    milestone = submitted(contract)
    services.milestone_approve(milestone=milestone, by=contract.client)
    clearances_due(now=timezone.now() + timedelta(days=6))
    freelancer = browser_for(with_payout_account(contract.freelancer))
    key = freelancer.get(reverse("earnings")).context["form"]["key"].value()
    for typed, message in (("450.01", "You can withdraw at most $450.00"), ("0", "above zero"), ("1.001", "two")):
        response = freelancer.post(reverse("earnings"), {"amount": typed, "key": key})
        assert response.status_code == 400
        assert message in text(response)
        assert "Nothing was withdrawn." in text(response)
    assert not Payout.objects.exists()
    assert balance(accounts.available(contract.freelancer.pk)) == 450_00
    assert money_problems() == []


def test_withdraw_form_with_a_forged_key_is_refused():
    freelancer = browser_for(new_freelancer())
    response = freelancer.post(reverse("earnings"), {"amount": "10", "key": "../../etc"})
    assert response.status_code == 400
    assert "Reload the page" in text(response)


# --- paid test → follow-on ------------------------------------------------------------------


def test_continue_with_this_freelancer_creates_a_follow_on_offer_linked_to_the_test():
    # given a completed paid test
    contract = started_contract(test=True)
    milestone = submitted(contract)
    services.milestone_approve(milestone=milestone, by=contract.client)
    services.contract_end(contract=contract, by=contract.client)
    client = browser_for(contract.client)

    # then the client is offered to continue, the freelancer is not
    assert "Continue with this freelancer" in text(client.get(contract.get_absolute_url()))
    assert "Continue with this freelancer" not in text(
        browser_for(contract.freelancer).get(contract.get_absolute_url())
    )

    # when the client opens the form, it is pre-filled with 20 hours at the freelancer's rate
    page = client.get(reverse("contract_continue", args=[contract.pk]))
    assert page.status_code == 200
    form, formset = page.context["form"], page.context["formset"]
    assert form["title"].value() == f"Continued: {contract.title}"
    rate = contract.freelancer.freelancer_profile.hourly_rate_cents
    assert formset.forms[0]["amount"].value() == f"{rate * 20 // 100}"
    assert formset.forms[0]["due_date"].value() == timezone.localdate() + timedelta(days=30)

    # when they send it
    data = {
        "title": form["title"].value(),
        "scope": "Three months of performance work.",
        "milestones-TOTAL_FORMS": "1",
        "milestones-INITIAL_FORMS": "0",
        "milestones-0-title": "Month one",
        "milestones-0-amount": formset.forms[0]["amount"].value(),
        "milestones-0-due_date": in_days(30).isoformat(),
    }
    response = client.post(reverse("contract_continue", args=[contract.pk]), data)

    # then a follow-on offer exists, linked to the test, and both pages link to each other
    offer = Offer.objects.get(follow_on_of=contract)
    assert response.url == offer.get_absolute_url()
    assert offer.total_cents == rate * 20
    assert "Follow-on to the paid test" in text(browser_for(contract.freelancer).get(offer.get_absolute_url()))
    assert offer.title in text(client.get(contract.get_absolute_url()))
    assert money_problems() == []


def test_the_follow_on_form_shows_every_error_at_once():
    # given a completed paid test
    contract = started_contract(test=True)
    services.milestone_approve(milestone=submitted(contract), by=contract.client)
    services.contract_end(contract=contract, by=contract.client)
    # when the client leaves the title out and dates the milestone yesterday
    data = {
        "title": "",
        "scope": "Three months of performance work.",
        "milestones-TOTAL_FORMS": "1",
        "milestones-INITIAL_FORMS": "0",
        "milestones-0-title": "Month one",
        "milestones-0-amount": "2000",
        "milestones-0-due_date": in_days(-1).isoformat(),
    }
    response = browser_for(contract.client).post(reverse("contract_continue", args=[contract.pk]), data)
    # then both errors show in one answer, each where it belongs, and no offer is made
    assert response.status_code == 400
    assert response.context["form"].errors["title"] == ["Give the new work a title."]
    assert response.context["milestone_errors"] == ["Milestone due dates cannot be in the past."]
    assert not Offer.objects.filter(follow_on_of=contract).exists()


def test_a_milestone_row_with_several_mistakes_names_them_all_at_once():
    # given a completed paid test, continued with one row: no title, an unreadable amount, a past date
    contract = started_contract(test=True)
    services.milestone_approve(milestone=submitted(contract), by=contract.client)
    services.contract_end(contract=contract, by=contract.client)
    data = {
        "title": "More work",
        "scope": "Three months of performance work.",
        "milestones-TOTAL_FORMS": "1",
        "milestones-INITIAL_FORMS": "0",
        "milestones-0-title": "",
        "milestones-0-amount": "abc",
        "milestones-0-due_date": "2020-01-01",
    }
    response = browser_for(contract.client).post(reverse("contract_continue", args=[contract.pk]), data)
    # then the row's own errors and the date rule show in one answer
    shown = text(response)
    assert response.status_code == 400
    assert "Give this milestone a title." in shown
    assert "Enter an amount such as" in shown
    assert response.context["milestone_errors"] == ["Milestone due dates cannot be in the past."]
    assert not Offer.objects.filter(follow_on_of=contract).exists()


def test_once_a_paid_test_is_paid_both_sides_are_told_to_end_it_and_what_may_follow():
    # given a paid test whose one milestone was approved
    contract = started_contract(test=True)
    milestone = submitted(contract)
    services.milestone_approve(milestone=milestone, by=contract.client)
    # then the client's next step is to end it, and then continue; the freelancer's too, in their words
    client_page = text(browser_for(contract.client).get(contract.get_absolute_url()))
    assert "Every milestone is settled: end the contract as completed." in client_page
    assert "continue with this freelancer on a longer contract" in client_page
    assert "is working on the funded milestones" not in client_page
    freelancer_page = text(browser_for(contract.freelancer).get(contract.get_absolute_url()))
    assert "the client can continue with you on a longer contract" in freelancer_page


def test_continue_is_refused_before_the_test_has_ended():
    contract = started_contract(test=True)
    data = {
        "title": "More",
        "scope": "More work",
        "milestones-TOTAL_FORMS": "1",
        "milestones-INITIAL_FORMS": "0",
        "milestones-0-title": "Month one",
        "milestones-0-amount": "1000",
        "milestones-0-due_date": in_days(30).isoformat(),
    }
    response = browser_for(contract.client).post(reverse("contract_continue", args=[contract.pk]), data)
    assert response.status_code == 400
    assert "End the paid test as completed" in text(response)
    assert not Offer.objects.filter(follow_on_of=contract).exists()


# --- lists and dashboard --------------------------------------------------------------------


def test_lists_and_dashboard_show_what_needs_each_side():
    contract = started_contract(bid_cents=1_000_00)
    milestone = submitted(contract)
    client, freelancer = browser_for(contract.client), browser_for(contract.freelancer)

    shown = text(client.get(reverse("contract_list")))
    assert contract.title in shown and "1 to review" in shown and "1 to fund" in shown

    shown = text(client.get(reverse("dashboard")))
    assert "Awaiting your review (1)" in shown
    assert f"If you do nothing, $500.00 is released to {contract.freelancer.display_name} on" in shown
    assert "Awaiting funding (1)" in shown

    services.milestone_request_changes(milestone=milestone, by=contract.client, reason="Fix the header")
    shown = text(freelancer.get(reverse("dashboard")))
    assert "To deliver (1)" in shown and "Pending earnings $0.00" in shown

    shown = text(freelancer.get(reverse("offer_list")))
    assert "Accepted" in shown and contract.title in shown


def test_timeline_shows_who_did_what_in_the_viewers_timezone():
    contract = started_contract()
    funded(contract)
    contract.client.timezone = "Asia/Tokyo"
    contract.client.save(update_fields=["timezone"])
    page = browser_for(contract.client).get(contract.get_absolute_url())
    shown = text(page)
    assert "You funded" in shown
    assert f"{contract.freelancer.display_name} accepted the offer and the contract started" in shown
    assert "JST" in shown


def test_every_field_on_the_contract_page_has_its_own_id_for_its_label():
    # given a contract where each side sees several forms on the same milestone
    contract = started_contract()
    milestone = funded(contract)
    services.milestone_refund_request(milestone=milestone, by=contract.client)
    for person in (contract.client, contract.freelancer):
        body = browser_for(person).get(contract.get_absolute_url()).content.decode()
        ids = re.findall(r'\sid="([^"]+)"', body)
        assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_a_suspended_freelancer_still_withdraws_what_they_earned_on_the_page(moderator):
    contract = started_contract(bid_cents=1_000_00)
    milestone = submitted(contract)
    services.milestone_approve(milestone=milestone, by=contract.client)
    clearances_due(now=timezone.now() + timedelta(days=6))
    user_suspend(user=with_payout_account(contract.freelancer), by=moderator, reason="Identity check")
    freelancer = browser_for(contract.freelancer)
    page = freelancer.get(reverse("earnings"))
    key = page.context["form"]["key"].value()
    done = freelancer.post(reverse("earnings"), {"amount": "100", "key": key}, follow=True)
    assert "Withdrawal of $100.00 on its way" in text(done)
    assert Payout.objects.get(freelancer=contract.freelancer).amount_cents == 100_00
