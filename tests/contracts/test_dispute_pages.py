"""Disputes on the pages: opened from the contract, answered and settled on the dispute's page,
queued and decided in the moderation area; every refusal re-renders with its error and changes
nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import ModerationAction
from contracts.invariants import money_problems
from contracts.models import Dispute, DisputeProposal, Milestone
from contracts.services import dispute_decide, dispute_open, dispute_respond, dispute_withdraw, disputes_due
from messaging.services import conversation_for_topic, message_send
from tests.contracts.factories import escrow_of, milestone_in, money_snapshot, pending_of
from tests.factories import UserFactory
from tests.helpers import browser_for, text

pytestmark = pytest.mark.django_db

S = Milestone.Status
D = Dispute.Status


def open_form(**changes) -> dict:
    return {
        "reason": "not_approved",
        "description": "Delivered on the 3rd with the report; no answer since.",
        "asked": "500",
    } | changes


def test_the_freelancer_opens_a_dispute_from_the_contract_and_both_read_it():
    milestone = milestone_in(S.SUBMITTED, amounts=(500_00,))
    contract = milestone.contract
    freelancer, client = browser_for(contract.freelancer), browser_for(contract.client)
    # the contract page offers it where money is held
    shown = text(freelancer.get(contract.get_absolute_url()))
    assert "Cannot agree? Open a dispute" in shown
    page = freelancer.get(reverse("dispute_open", args=[milestone.pk]))
    shown = text(page)
    assert "Held for this milestone $500.00" in shown
    assert "If they do not respond in time, what you ask for applies." in shown
    # when the freelancer opens it with a file
    timesheet = SimpleUploadedFile("timesheet.txt", b"3 Mar: delivered\n", content_type="text/plain")
    opened = freelancer.post(reverse("dispute_open", args=[milestone.pk]), open_form(files=[timesheet]))
    dispute = Dispute.objects.get()
    assert opened.status_code == 302 and opened["Location"] == reverse("dispute_detail", args=[dispute.pk])
    # then both read the same page: the status, what is held, the deadline's default and the evidence
    for browser in (freelancer, client):
        shown = text(browser.get(opened["Location"]))
        assert "Waiting for a response" in shown
        assert "Held for this milestone $500.00" in shown
        assert "what was asked applies: $500.00 to the freelancer and $0.00 back to the client" in shown
        assert "timesheet.txt" in shown
    assert "Respond" in text(client.get(opened["Location"]))
    assert "Withdraw my dispute" in text(freelancer.get(opened["Location"]))
    assert "Withdraw my dispute" not in text(client.get(opened["Location"]))
    # and the contract page links to it
    assert "In dispute" in text(client.get(contract.get_absolute_url()))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"asked": "500.01"}, "Choose an amount from $0.00 to $500.00"),
        ({"asked": "-3"}, ""),
        ({"asked": ""}, "Enter an amount"),
        ({"reason": ""}, "Choose a reason from the list."),
        ({"reason": "chargeback"}, "Choose a reason from the list."),
        ({"description": " "}, "Say what happened"),
    ],
)
def test_a_refused_dispute_form_says_why_and_opens_nothing(changes, message):
    milestone = milestone_in(S.SUBMITTED, amounts=(500_00,))
    before = money_snapshot()
    page = browser_for(milestone.contract.client).post(
        reverse("dispute_open", args=[milestone.pk]), open_form(**changes)
    )
    assert page.status_code == 400
    assert "Nothing was opened" in text(page)
    assert message in text(page)
    assert money_snapshot() == before
    assert not Dispute.objects.exists()


def test_a_dispute_form_shows_every_error_at_once():
    # given a dispute form with no reason and more asked than is held
    milestone = milestone_in(S.SUBMITTED, amounts=(500_00,))
    page = browser_for(milestone.contract.client).post(
        reverse("dispute_open", args=[milestone.pk]), open_form(reason="", asked="900")
    )
    # then both errors show in the one answer
    assert page.status_code == 400
    assert "Choose a reason from the list." in text(page)
    assert "Choose an amount from $0.00 to $500.00" in text(page)
    # and on the dispute's page, a response without an account that asks too much says both too
    dispute = dispute_open(
        milestone=milestone,
        by=milestone.contract.freelancer,
        reason="not_approved",
        description="No answer.",
        asked_cents=500_00,
    )
    url = reverse("dispute_detail", args=[dispute.pk])
    refused = browser_for(milestone.contract.client).post(
        url, {"action": "respond", "respond-response": "", "respond-asked": "900"}
    )
    assert "Give your side" in text(refused) and "Choose an amount from $0.00 to $500.00" in text(refused)
    before = dispute.status
    dispute.refresh_from_db()
    assert dispute.status == before  # still waiting for a response


def test_a_stranger_gets_404_and_a_dispute_on_unheld_money_is_refused():
    milestone = milestone_in(S.SUBMITTED, amounts=(500_00,))
    stranger = browser_for(UserFactory())
    assert stranger.get(reverse("dispute_open", args=[milestone.pk])).status_code == 404
    pending = milestone_in(S.PENDING)
    page = browser_for(pending.contract.client).get(reverse("dispute_open", args=[pending.pk]), follow=True)
    assert "Only money still held can be disputed." in text(page)


def test_respond_propose_decline_and_settle_on_the_dispute_page():
    milestone = milestone_in(S.SUBMITTED, amounts=(500_00,))
    contract = milestone.contract
    dispute = dispute_open(
        milestone=milestone, by=contract.freelancer, reason="not_approved", description="No answer.", asked_cents=500_00
    )
    url = reverse("dispute_detail", args=[dispute.pk])
    client, freelancer = browser_for(contract.client), browser_for(contract.freelancer)
    # a response without an account is refused in place
    refused = client.post(url, {"action": "respond", "respond-response": "", "respond-asked": "250"})
    assert refused.status_code == 400 and "Give your side" in text(refused)
    # the client responds: they want $250 back
    done = client.post(url, {"action": "respond", "respond-response": "Half of it works.", "respond-asked": "250"})
    assert done.status_code == 302
    shown = text(freelancer.get(url))
    assert "Half of it works." in shown and "Proposes: $250.00 to the freelancer." in shown
    assert "Settle by" in shown
    # the client proposes $300 to the freelancer, who declines, then proposes $400, which the client accepts
    client.post(url, {"action": "propose", "propose-freelancer_amount": "300", "propose-note": "Meet halfway?"})
    proposal = DisputeProposal.objects.get()
    freelancer.post(url, {"action": "decline", "proposal": proposal.pk})
    assert DisputeProposal.objects.get().status == "declined"
    freelancer.post(url, {"action": "propose", "propose-freelancer_amount": "400"})
    mine = DisputeProposal.objects.latest("pk")
    # (the freelancer cannot accept their own)
    own = freelancer.post(url, {"action": "accept", "proposal": mine.pk})
    assert own.status_code == 400
    accepted = client.post(url, {"action": "accept", "proposal": mine.pk}, follow=True)
    shown = text(accepted)
    assert "Settled by both sides" in shown
    assert "Paid to the freelancer $400.00" in shown and "Back to the client $100.00" in shown
    assert escrow_of(milestone) == 0 and pending_of(contract.freelancer) > 0
    assert money_problems() == []


def test_an_unknown_action_or_proposal_changes_nothing():
    milestone = milestone_in(S.SUBMITTED, amounts=(500_00,))
    contract = milestone.contract
    dispute = dispute_open(
        milestone=milestone, by=contract.client, reason="quality", description="Broken.", asked_cents=500_00
    )
    url = reverse("dispute_detail", args=[dispute.pk])
    before = money_snapshot()
    for data in ({"action": "explode"}, {"action": "accept", "proposal": "99999999999999"}, {"action": "accept"}):
        page = browser_for(contract.freelancer).post(url, data)
        assert page.status_code == 400
    assert money_snapshot() == before


def test_the_moderation_queue_lists_escalated_disputes_first_and_a_moderator_decides(moderator):
    # given a dispute not settled in time (so with staff), and a newer one still between the parties
    second = milestone_in(S.SUBMITTED, amounts=(800_00,))
    escalated = dispute_open(
        milestone=second,
        by=second.contract.freelancer,
        reason="not_approved",
        description="Silent.",
        asked_cents=800_00,
    )
    dispute_respond(dispute=escalated, by=second.contract.client, response="Unfinished.", asked_cents=800_00)
    disputes_due(now=timezone.now() + timedelta(days=settings.DISPUTE_SETTLEMENT_DAYS, minutes=1))
    first = milestone_in(S.SUBMITTED, amounts=(500_00,))
    dispute_open(milestone=first, by=first.contract.client, reason="quality", description="Broken.", asked_cents=500_00)
    staff = browser_for(moderator)
    queue = text(staff.get(reverse("moderation_home")))
    # then the queue counts both, the one to decide first, each with what is held and its next deadline
    assert "Disputes to decide 1" in queue and "Open disputes 2" in queue
    assert queue.index("$800.00 To decide") < queue.index("$500.00 Waiting for a response")
    # a moderator reading a party's address is sent to the staff page
    page = staff.get(reverse("dispute_detail", args=[escalated.pk]))
    assert page["Location"] == reverse("dispute_moderate", args=[escalated.pk])
    url = page["Location"]
    shown = text(staff.get(url))
    assert "Silent." in shown and "Unfinished." in shown and "Decide" in shown
    # with what the two wrote each other about the work, side by side with their accounts
    assert "Their messages" in shown
    # a decision without reasons, or above what is held, is refused
    refused = staff.post(url, {"action": "decide", "decide-freelancer_amount": "560", "decide-rationale": ""})
    assert refused.status_code == 400 and "Write why" in text(refused)
    too_much = staff.post(url, {"action": "decide", "decide-freelancer_amount": "800.01", "decide-rationale": "x"})
    assert too_much.status_code == 400 and "Choose an amount from $0.00 to $800.00" in text(too_much)
    # a 70/30 decision
    decided = staff.post(
        url, {"action": "decide", "decide-freelancer_amount": "560", "decide-rationale": "Most of it meets the brief."}
    )
    assert decided.status_code == 302
    escalated.refresh_from_db()
    assert (escalated.status, escalated.outcome_freelancer_cents, escalated.decided_by) == (
        D.DECIDED,
        560_00,
        moderator,
    )
    # and both parties read the reasons
    for person in (second.contract.client, second.contract.freelancer):
        shown = text(browser_for(person).get(reverse("dispute_detail", args=[escalated.pk])))
        assert "Decided by staff" in shown and "Most of it meets the brief." in shown
        # and the contract page says how the milestone was settled, not "approved and paid"
        page = text(browser_for(person).get(second.contract.get_absolute_url()))
        assert "$560.00 paid to the freelancer and $240.00 refunded to the client." in page
        assert "Split: paid and refunded" in page and "Approved and paid" not in page
    assert money_problems() == []


def test_staff_without_the_permission_or_a_party_cannot_reach_the_decision(moderator):
    milestone = milestone_in(S.SUBMITTED, amounts=(500_00,))
    dispute = dispute_open(
        milestone=milestone, by=milestone.contract.client, reason="quality", description="Broken.", asked_cents=0
    )
    url = reverse("dispute_moderate", args=[dispute.pk])
    staff_member = UserFactory(is_staff=True)  # staff, with a second factor, without the moderation permission
    TOTP.activate(staff_member, generate_totp_secret())
    assert browser_for(staff_member).get(url).status_code == 404
    assert browser_for(milestone.contract.client).get(url).status_code == 404
    party = browser_for(milestone.contract.client).post(
        reverse("dispute_detail", args=[dispute.pk]),
        {"action": "decide", "decide-freelancer_amount": "0", "decide-rationale": "Mine."},
    )
    assert party.status_code == 400
    assert Dispute.objects.get(pk=dispute.pk).status == D.OPEN


def test_both_profiles_show_the_record_of_disputes(moderator):
    # given a client who lost a dispute decided by staff, and one they settled, with the same freelancer
    milestone = milestone_in(S.SUBMITTED, amounts=(500_00,))
    contract = milestone.contract
    client, freelancer = contract.client, contract.freelancer
    lost = dispute_open(milestone=milestone, by=client, reason="quality", description="Broken.", asked_cents=500_00)
    dispute_respond(dispute=lost, by=freelancer, response="It works.", asked_cents=500_00)
    disputes_due(now=timezone.now() + timedelta(days=settings.DISPUTE_SETTLEMENT_DAYS, minutes=1))
    dispute_decide(dispute=lost, by=moderator, freelancer_cents=400_00, rationale="It works, mostly.")
    other = milestone_in(S.FUNDED, client=client, freelancer=freelancer, amounts=(200_00,))
    dispute_withdraw(
        dispute=dispute_open(milestone=other, by=freelancer, reason="scope", description="More?", asked_cents=0),
        by=freelancer,
    )
    # then the client's record, as freelancers see it, counts both
    shown = text(browser_for(UserFactory()).get(reverse("client_public", args=[client.pk])))
    assert "Disputes 2 (1 opened by them, 1 against them; 1 settled between the parties, 0 decided for them, " in shown
    assert "1 against them)" in shown
    # and the freelancer's profile shows theirs
    shown = text(browser_for(UserFactory()).get(reverse("freelancer_public", args=[freelancer.pk])))
    assert "Opened by " in shown and "Decided for them 1" in shown and "Decided against them 0" in shown
    assert "Settled between the parties 1" in shown


def test_the_moderator_reads_the_messages_of_the_contract_and_the_reading_is_audited(moderator):
    milestone = milestone_in(S.SUBMITTED, amounts=(500_00,))
    contract = milestone.contract
    conversation = conversation_for_topic(
        topic_type="contract",
        topic_id=contract.pk,
        title=contract.title,
        participants=[contract.client, contract.freelancer],
    )
    message_send(conversation=conversation, sender=contract.client, body="The export is all I need by Friday.")
    dispute = dispute_open(
        milestone=milestone, by=contract.client, reason="quality", description="No export.", asked_cents=500_00
    )
    shown = text(browser_for(moderator).get(reverse("dispute_moderate", args=[dispute.pk])))
    assert "The export is all I need by Friday." in shown
    # the parties' page does not repeat it (they have it on the contract page)
    assert "Their messages" not in text(browser_for(contract.client).get(reverse("dispute_detail", args=[dispute.pk])))
    assert ModerationAction.objects.filter(actor=moderator, verb="viewed", target=f"dispute:{dispute.pk}").count() == 1
