"""A dispute from start to decision, in three browsers: the freelancer's, the client's and a moderator's.

The freelancer delivered a $1,000 milestone and the client neither approves nor pays. The
freelancer opens a dispute from the contract page; the client responds and proposes half; the
freelancer declines; the settlement time passes (the test process moves the deadline task's clock,
as the beat would); a moderator signs in with an authenticator code, finds the dispute in the
queue, and decides 70/30 with a rationale. Both parties then read the outcome, and the money is
where the decision put it: the freelancer's pending earnings and the client's refund.
"""

from __future__ import annotations

import time
from datetime import timedelta

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import Page, expect

from contracts.invariants import money_problems
from contracts.models import Dispute
from contracts.services import disputes_due
from payments.models import GatewayCall
from tests.contracts.factories import escrow_of, submitted_milestone
from tests.e2e.test_market_journey import CLIENT_EMAIL, FREELANCER_EMAIL, fact, side_by_side, the_pair
from tests.e2e.test_signup_journeys import label
from tests.factories import PASSWORD, UserFactory

REASON = "The work was delivered but is not approved"
ACCOUNT = "I delivered the booking pages on the 3rd with the test report. No answer since, and no changes asked."
RESPONSE = "The pages work, but the reminder emails were never built; that was half of the brief."
RATIONALE = "The booking pages meet the criteria; the reminder emails, about 30% of the brief, were not delivered."


def a_moderator():
    user = UserFactory(is_staff=True, email="moderator@proofwork.example", full_name="Margaret Hamilton")
    user.user_permissions.add(Permission.objects.get(codename="moderate"))
    TOTP.activate(user, generate_totp_secret())
    return user


def sign_in_with_code(page: Page, user) -> None:
    """Password, then the authenticator app's current code, as a moderator signs in."""
    page.goto("/accounts/login/")
    page.get_by_label(label("Email")).fill(user.email)
    page.get_by_label(label("Password")).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    secret = decrypt(Authenticator.objects.get(user=user, type="totp").data["secret"])
    page.locator("input[name=code]").fill(format_hotp_value(hotp_value(secret, int(time.time()) // 30)))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out", include_hidden=True)).to_be_attached()  # folded away on a phone


def status_card(page: Page):
    return page.get_by_role("region").filter(has=page.locator("#state-heading"))


def test_a_dispute_escalates_and_a_moderator_splits_the_money_70_30(open_browser):
    client_user, freelancer_user = the_pair()
    milestone = submitted_milestone(client=client_user, freelancer=freelancer_user, amounts=(1_000_00,))
    contract = milestone.contract
    moderator = a_moderator()
    client, freelancer = side_by_side(open_browser)
    assert (client_user.email, freelancer_user.email) == (CLIENT_EMAIL, FREELANCER_EMAIL)

    # the freelancer opens a dispute from the delivered milestone on the contract page
    freelancer.goto(contract.get_absolute_url())
    freelancer.get_by_role("link", name="Open a dispute").click()
    expect(freelancer.get_by_role("heading", level=1)).to_have_text(f"Open a dispute on “{milestone.title}”")
    expect(fact(freelancer.locator("main"), "Held for this milestone")).to_have_text("$1,000.00")
    freelancer.get_by_label(label("What went wrong")).select_option(label=REASON)
    freelancer.get_by_label(label("What happened")).fill(ACCOUNT)
    freelancer.get_by_label(label("What you ask for (USD)")).fill("1000")
    freelancer.get_by_role("button", name="Open the dispute").click()
    expect(freelancer.get_by_text("Dispute opened. The money stays held until it is resolved.")).to_be_visible()
    expect(freelancer.get_by_role("heading", level=2, name="Waiting for a response")).to_be_visible()
    # and both sides read the default outcome from the start
    expect(freelancer.get_by_text("what was asked applies: $1,000.00 to the freelancer")).to_be_visible()

    # the client finds it from the contract page, responds and proposes half
    client.goto(contract.get_absolute_url())
    client.get_by_role("link", name="See the dispute").click()
    expect(client.get_by_text(ACCOUNT)).to_be_visible()
    expect(client.get_by_text("what was asked applies: $1,000.00 to the freelancer")).to_be_visible()
    client.get_by_label(label("Your account")).fill(RESPONSE)
    client.get_by_label(label("What you think is fair for you (USD)")).fill("500")
    client.get_by_role("button", name="Send my response").click()
    expect(client.get_by_text("Response sent.")).to_be_visible()
    expect(client.get_by_role("heading", level=2, name="Responded: settling")).to_be_visible()
    client.get_by_label(label("To the freelancer (USD)")).fill("500")
    client.get_by_role("button", name="Propose this split").click()
    expect(client.get_by_text("Proposal sent.")).to_be_visible()

    # the freelancer reads both accounts side by side and declines the half
    freelancer.reload()
    expect(freelancer.get_by_text(RESPONSE)).to_be_visible()
    expect(freelancer.get_by_text("proposes $500.00 to the freelancer and $500.00 back to the client")).to_be_visible()
    freelancer.get_by_role("button", name="Decline").click()
    expect(freelancer.get_by_text("Proposal declined.")).to_be_visible()

    # the settlement time runs out: the periodic task sends it to staff
    assert disputes_due(now=timezone.now() + timedelta(days=settings.DISPUTE_SETTLEMENT_DAYS, minutes=1)) == 1

    # a moderator signs in with their code, finds it first in the queue and decides 70/30
    staff = open_browser()
    sign_in_with_code(staff, moderator)
    staff.goto("/moderation/")
    queue = staff.get_by_role("region", name="Disputes")
    expect(queue.get_by_role("row").nth(1)).to_contain_text("To decide")
    queue.get_by_role("link", name=milestone.title).click()
    expect(staff.get_by_text(ACCOUNT)).to_be_visible()
    expect(staff.get_by_text(RESPONSE)).to_be_visible()
    staff.get_by_label(label("To the freelancer (USD)")).fill("700")
    staff.get_by_label(label("Rationale")).fill(RATIONALE)
    staff.get_by_role("button", name="Decide and move the money").click()
    expect(staff.get_by_text("Decision recorded: the money moved and both parties were told.")).to_be_visible()

    # both parties read the outcome and the reasons
    for page in (client, freelancer):
        page.reload()
        expect(page.get_by_role("heading", level=2, name="Decided by staff")).to_be_visible()
        card = status_card(page)
        expect(fact(card, "Paid to the freelancer")).to_have_text("$700.00")
        expect(fact(card, "Back to the client")).to_have_text("$300.00")
        expect(page.get_by_text(RATIONALE)).to_be_visible()

    # and the money is where the decision put it: $630 pending for the freelancer (after the 10% fee)
    freelancer.goto("/earnings/")
    expect(freelancer.get_by_text("Pending $630.00")).to_be_visible()
    dispute = Dispute.objects.get()
    assert (dispute.status, dispute.outcome_freelancer_cents, dispute.decided_by) == ("decided", 700_00, moderator)
    assert escrow_of(milestone) == 0
    (refund,) = GatewayCall.objects.filter(kind=GatewayCall.Kind.REFUND)
    assert (refund.amount_cents, refund.status) == (300_00, GatewayCall.Status.DONE)
    assert money_problems() == []
