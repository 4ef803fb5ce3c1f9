"""Contracts and money over the REST API: the same rules as the services, with the right status
codes, and an Idempotency-Key that makes a retried money move happen once.

tests/contracts/conftest.py checks the money invariants after every test here; the tests that move
money also assert contracts.invariants.money_problems() == [] themselves, where it matters.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from accounts.models import User
from contracts.invariants import money_problems
from contracts.models import Contract, ContractEvent, Milestone, Offer, RefundRequest
from contracts.services import milestone_add, milestone_fund, milestone_request_changes, milestone_submit, offer_accept
from payments import accounts
from payments.fees import fee_breakdown
from payments.gateways import DECLINED_CARD
from payments.ledger import balance
from payments.models import GatewayOperation, IdempotentRequest, LedgerTransaction, Payout
from payments.selectors import earnings_for_user
from payments.services import clearances_due
from tests.conftest import seed_skill_taxonomy
from tests.contracts.factories import hire_offer, money_snapshot, move_to, run_gateway_calls, with_payout_account
from tests.helpers import api_for
from tests.marketplace.factories import in_days, new_freelancer

pytestmark = pytest.mark.django_db

S = Milestone.Status
KEY_REUSED = {"detail": "This Idempotency-Key was used with a different request."}


# --- helpers -------------------------------------------------------------------------------------


@dataclass
class Deal:
    client: User
    freelancer: User
    offer: Offer
    contract: Contract | None = None

    @property
    def milestones(self) -> list[Milestone]:
        assert self.contract is not None
        return list(self.contract.milestones.order_by("position"))

    @property
    def first(self) -> Milestone:
        return self.milestones[0]


def hired(*, amounts: tuple[int, ...] = (500_00, 500_00)) -> Deal:
    """A client hires a proposal through the market's services: an offer waits for the freelancer."""
    offer = hire_offer(amounts=amounts)
    return Deal(offer.client, offer.freelancer, offer)


def active_deal(**kwargs) -> Deal:
    deal = hired(**kwargs)
    deal.contract = offer_accept(offer=deal.offer, by=deal.freelancer)
    return deal


def deal_with_first_in(status: str, **kwargs) -> Deal:
    deal = active_deal(**kwargs)
    move_to(deal.first, status)
    return deal


def freelancer_with_available(amount_cents: int = 500_00) -> tuple[User, int]:
    """A freelancer whose approved milestone has cleared; returns them and what they can withdraw."""
    deal = deal_with_first_in(S.RELEASED, amounts=(amount_cents,))
    clearances_due(now=timezone.now() + timedelta(days=settings.CLEARANCE_DAYS, hours=1))
    available = earnings_for_user(deal.freelancer)["available"]
    assert available == net_of(amount_cents)
    return with_payout_account(deal.freelancer), available


def net_of(amount_cents: int) -> int:
    return fee_breakdown(amount_cents=amount_cents, billed_before_cents=0).freelancer_net_cents


def url_for(milestone_id: int, endpoint: str) -> str:
    return f"/api/v1/milestones/{milestone_id}/{endpoint}/"


def url(milestone: Milestone, endpoint: str) -> str:
    return f"/api/v1/milestones/{milestone.pk}/{endpoint}/"


# --- the whole flow --------------------------------------------------------------------------------


def test_the_whole_journey_by_api():
    # given a client who hired a proposal with two $500 milestones (through the market's services)
    deal = hired(amounts=(500_00, 500_00))
    client, freelancer = api_for(deal.client), api_for(deal.freelancer)

    # when the freelancer finds the offer and accepts it
    listed = freelancer.get("/api/v1/offers/")
    assert listed.status_code == 200
    assert [o["id"] for o in listed.json()["results"]] == [deal.offer.pk]
    offer = freelancer.get(f"/api/v1/offers/{deal.offer.pk}/").json()
    assert (offer["status"], offer["awaiting"], offer["total_cents"]) == ("offered", "freelancer", 1_000_00)
    accepted = freelancer.post(f"/api/v1/offers/{deal.offer.pk}/accept/")
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["status"] == "accepted"
    contract_id = accepted.json()["contract"]

    # then the client sees an active contract with two milestones waiting for funding
    assert [c["id"] for c in client.get("/api/v1/contracts/").json()["results"]] == [contract_id]
    contract = client.get(f"/api/v1/contracts/{contract_id}/").json()
    assert contract["status"] == "active"
    first, second = contract["milestones"]
    assert (first["status"], first["amount_cents"], first["held_cents"]) == ("pending", 500_00, 0)

    # when the client funds the first milestone
    funded = client.post(url_for(first["id"], "fund"), {"card_number": "4242 4242 4242 4242"}, format="json")
    assert funded.status_code == 200, funded.json()
    assert (funded.json()["status"], funded.json()["held_cents"]) == ("funded", 500_00)
    assert balance(accounts.escrow(f"milestone:{first['id']}")) == 500_00

    # and the freelancer delivers a message and a file (multipart)
    notes = SimpleUploadedFile("notes.txt", b"How to run the booking app.\n", content_type="text/plain")
    submitted = freelancer.post(
        url_for(first["id"], "submit"), {"message": "Booking pages done.", "files": [notes]}, format="multipart"
    )
    assert submitted.status_code == 200, submitted.json()
    body = submitted.json()
    assert body["status"] == "submitted"
    assert body["auto_release_at"] is not None
    assert body["submissions"][0]["files"][0]["name"] == "notes.txt"

    # and the client asks for changes, and the freelancer delivers again
    changes = client.post(url_for(first["id"], "request-changes"), {"reason": "Add email reminders."}, format="json")
    assert changes.status_code == 200, changes.json()
    assert (changes.json()["status"], changes.json()["rounds_left"]) == ("changes_requested", 1)
    assert changes.json()["auto_release_at"] is None
    again = freelancer.post(url_for(first["id"], "submit"), {"message": "Reminders added."}, format="json")
    assert again.json()["status"] == "submitted"

    # and the client approves
    approved = client.post(url_for(first["id"], "approve"))
    assert approved.status_code == 200, approved.json()
    assert (approved.json()["status"], approved.json()["released_cents"]) == ("released", 500_00)

    # then the freelancer's pending balance is the amount less the fee, nothing available yet
    net = net_of(500_00)
    assert net < 500_00
    assert freelancer.get("/api/v1/me/balance/").json() == {
        "pending_cents": net,
        "available_cents": 0,
        "currency": "USD",
    }

    # when the clearance period is over
    assert clearances_due(now=timezone.now() + timedelta(days=settings.CLEARANCE_DAYS, hours=1)) == 1

    # then it is available; without a payout account it cannot be withdrawn
    assert freelancer.get("/api/v1/me/balance/").json()["available_cents"] == net
    refused = freelancer.post("/api/v1/payouts/", {"amount_cents": net}, format="json")
    assert refused.status_code == 403
    assert "payout account" in refused.json()["detail"]
    # with one (added on the earnings page), the freelancer withdraws it
    with_payout_account(deal.freelancer)
    payout = freelancer.post("/api/v1/payouts/", {"amount_cents": net}, format="json")
    assert payout.status_code == 201, payout.json()
    assert (payout.json()["amount_cents"], payout.json()["status"]) == (net, "sending")
    assert freelancer.get("/api/v1/me/balance/").json()["available_cents"] == 0
    # and once the transfer is made it reads paid, with the processor's reference
    assert run_gateway_calls() == 1
    (listed,) = freelancer.get("/api/v1/payouts/").json()["results"]
    assert (listed["id"], listed["status"]) == (payout.json()["id"], "paid")
    assert listed["gateway_reference"].startswith("tr_sandbox_")
    assert client.get("/api/v1/payouts/").json()["results"] == []

    # and the timeline tells the story, who did what
    events = client.get(f"/api/v1/contracts/{contract_id}/").json()["events"]
    verbs = [e["verb"] for e in events]
    for verb in ("started", "funded", "submitted", "changes requested", "approved"):
        assert verb in verbs
    approved_event = next(e for e in events if e["verb"] == "approved")
    assert approved_event["actor"]["id"] == deal.client.pk
    assert approved_event["milestone"] == first["id"]

    # when the client ends the contract (the unfunded second milestone is removed)
    ended = client.post(f"/api/v1/contracts/{contract_id}/end/", {"reason": "scope_changed"}, format="json")
    assert ended.status_code == 200, ended.json()
    assert (ended.json()["status"], ended.json()["end_reason"]) == ("ended", "cancelled")  # "Ended early"
    assert [m["status"] for m in ended.json()["milestones"]] == ["released", "cancelled"]
    assert [m["id"] for m in ended.json()["milestones"]] == [first["id"], second["id"]]
    # and ending it twice is refused as a state conflict
    assert client.post(f"/api/v1/contracts/{contract_id}/end/", {"reason": "other"}, format="json").status_code == 409
    assert money_problems() == []


def test_offer_decline_withdraw_and_revise():
    # given three offers
    declined, withdrawn, revised = hired(), hired(), hired()

    # when the freelancer declines one with a reason
    response = api_for(declined.freelancer).post(
        f"/api/v1/offers/{declined.offer.pk}/decline/", {"reason": "Fully booked."}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decline_reason"]) == ("declined", "Fully booked.")
    # then accepting it afterwards is a state conflict
    assert api_for(declined.freelancer).post(f"/api/v1/offers/{declined.offer.pk}/accept/").status_code == 409

    # when the client withdraws another; only the client may
    assert api_for(withdrawn.freelancer).post(f"/api/v1/offers/{withdrawn.offer.pk}/withdraw/").status_code == 403
    response = api_for(withdrawn.client).post(f"/api/v1/offers/{withdrawn.offer.pk}/withdraw/")
    assert response.json()["status"] == "withdrawn"

    # when the freelancer proposes other milestones
    terms = {
        "milestones": [
            {"title": "Design", "amount_cents": 300_00, "due_date": in_days(5).isoformat()},
            {"title": "Build", "amount_cents": 900_00, "due_date": in_days(20).isoformat()},
        ],
        "note": "The build needs more time.",
    }
    response = api_for(revised.freelancer).post(f"/api/v1/offers/{revised.offer.pk}/revise/", terms, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    # then the offer waits for the client, at the new total
    assert (body["awaiting"], body["revision"], body["total_cents"]) == ("client", 2, 1_200_00)
    assert [m["amount_cents"] for m in body["milestones"]] == [300_00, 900_00]
    # and the freelancer cannot accept their own terms, while the client can
    assert api_for(revised.freelancer).post(f"/api/v1/offers/{revised.offer.pk}/accept/").status_code == 403
    accepted = api_for(revised.client).post(f"/api/v1/offers/{revised.offer.pk}/accept/")
    assert accepted.status_code == 200
    contract = Contract.objects.get(pk=accepted.json()["contract"])
    assert [m.amount_cents for m in contract.milestones.order_by("position")] == [300_00, 900_00]


def test_revised_terms_may_change_the_rounds_of_changes_within_limits():
    deal = hired(amounts=(500_00,))
    url_revise = f"/api/v1/offers/{deal.offer.pk}/revise/"
    milestones = [{"title": "All of it", "amount_cents": 500_00, "due_date": in_days(10).isoformat()}]
    for rounds in (-1, 6, "two", 1.5):
        refused = api_for(deal.client).post(
            url_revise, {"milestones": milestones, "change_rounds": rounds}, format="json"
        )
        assert refused.status_code == 400 and "change_rounds" in refused.json()
    assert Offer.objects.get(pk=deal.offer.pk).revision == 1
    revised = api_for(deal.client).post(url_revise, {"milestones": milestones, "change_rounds": 4}, format="json")
    assert revised.status_code == 200, revised.json()
    assert revised.json()["change_rounds"] == 4
    accepted = api_for(deal.freelancer).post(f"/api/v1/offers/{deal.offer.pk}/accept/")
    assert Contract.objects.get(pk=accepted.json()["contract"]).change_rounds == 4


def test_revise_with_a_fractional_amount_is_refused_and_changes_nothing():
    deal = hired()
    terms = {"milestones": [{"title": "All", "amount_cents": 1000.5, "due_date": in_days(5).isoformat()}]}
    response = api_for(deal.client).post(f"/api/v1/offers/{deal.offer.pk}/revise/", terms, format="json")
    assert response.status_code == 400
    assert "amount_cents" in response.json()["milestones"]["0"]
    deal.offer.refresh_from_db()
    assert (deal.offer.revision, deal.offer.total_cents) == (1, 1_000_00)


def test_change_order_is_added_and_funded():
    deal = active_deal()
    client = api_for(deal.client)
    body = {"title": "Extra: SMS reminders", "amount_cents": 150_00, "due_date": in_days(30).isoformat()}
    response = client.post(f"/api/v1/contracts/{deal.contract.pk}/milestones/", body, format="json")
    assert response.status_code == 201, response.json()
    added = response.json()
    assert (added["status"], added["amount_cents"], added["is_change_order"]) == ("pending", 150_00, True)
    # only the client adds them
    assert (
        api_for(deal.freelancer)
        .post(f"/api/v1/contracts/{deal.contract.pk}/milestones/", body, format="json")
        .status_code
        == 403
    )
    # and it is funded like any other
    assert client.post(url_for(added["id"], "fund")).json()["held_cents"] == 150_00


def test_a_change_order_on_an_ended_contract_is_a_conflict():
    deal = active_deal()
    api_for(deal.client).post(f"/api/v1/contracts/{deal.contract.pk}/end/", {"reason": "other"}, format="json")
    body = {"title": "More", "amount_cents": 150_00, "due_date": in_days(30).isoformat()}
    response = api_for(deal.client).post(f"/api/v1/contracts/{deal.contract.pk}/milestones/", body, format="json")
    assert response.status_code == 409
    assert "ended" in response.json()["detail"]
    assert not Milestone.objects.filter(contract=deal.contract, is_change_order=True).exists()


def test_ending_a_contract_while_money_is_held_is_refused():
    deal = deal_with_first_in(S.FUNDED)
    before = money_snapshot()
    response = api_for(deal.freelancer).post(
        f"/api/v1/contracts/{deal.contract.pk}/end/", {"reason": "not_a_fit"}, format="json"
    )
    assert response.status_code == 400
    assert "still held" in response.json()["detail"]
    deal.contract.refresh_from_db()
    assert deal.contract.status == Contract.Status.ACTIVE
    assert money_snapshot() == before


def test_partial_release_and_refunds():
    deal = deal_with_first_in(S.FUNDED)
    m = deal.first
    client, freelancer = api_for(deal.client), api_for(deal.freelancer)

    # the client releases $100 early
    response = client.post(url(m, "release-partial"), {"amount_cents": 100_00}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["released_cents"], response.json()["held_cents"]) == (100_00, 400_00)
    assert earnings_for_user(deal.freelancer)["pending"] == net_of(100_00)

    # the freelancer gives $50 back
    response = freelancer.post(url(m, "refund-offer"), {"amount_cents": 50_00}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["refunded_cents"], response.json()["held_cents"]) == (50_00, 350_00)

    # the client asks for the rest back; the freelancer declines, then the client asks again and they agree
    response = client.post(url(m, "refund-request"), {"reason": "We stopped the project."}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["pending_refund_request"]["amount_cents"] == 350_00
    assert client.post(url(m, "refund-request"), {}, format="json").status_code == 400  # one at a time
    assert client.post(url(m, "refund-accept")).status_code == 403  # the freelancer agrees, not the client
    response = freelancer.post(url(m, "refund-decline"), {"reason": "The work is half done."}, format="json")
    assert response.status_code == 200
    assert response.json()["pending_refund_request"] is None
    assert freelancer.post(url(m, "refund-decline")).status_code == 409  # nothing is waiting any more
    assert freelancer.post(url(m, "refund-accept")).status_code == 409
    client.post(url(m, "refund-request"), {"amount_cents": 350_00}, format="json")
    response = freelancer.post(url(m, "refund-accept"))
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["refunded_cents"], response.json()["held_cents"]) == (
        "refunded",
        400_00,
        0,
    )
    assert balance(accounts.escrow(m.ledger_reference)) == 0
    assert money_problems() == []


def test_a_declined_card_is_a_clear_400_and_nothing_moves():
    deal = active_deal()
    before = money_snapshot()
    response = api_for(deal.client).post(url(deal.first, "fund"), {"card_number": DECLINED_CARD}, format="json")
    assert response.status_code == 400
    assert "declined" in response.json()["detail"]
    assert money_snapshot() == before
    assert Milestone.objects.get(pk=deal.first.pk).status == S.PENDING


def test_a_file_that_is_really_a_web_page_is_refused_on_files():
    deal = deal_with_first_in(S.FUNDED)
    page = SimpleUploadedFile("report.txt", b"<html><script>alert(1)</script></html>", content_type="text/plain")
    before = money_snapshot()
    response = api_for(deal.freelancer).post(
        url(deal.first, "submit"), {"message": "See the report.", "files": [page]}, format="multipart"
    )
    assert response.status_code == 400
    assert "HTML" in response.json()["files"][0]
    assert money_snapshot() == before


def test_both_parties_download_delivered_files_and_nobody_else_can():
    # given a freelancer who delivered a file on the first of two funded milestones
    deal = active_deal()
    first, second = deal.milestones
    move_to(first, S.FUNDED)
    move_to(second, S.FUNDED)
    notes = SimpleUploadedFile("notes.txt", b"How to run the booking app.\n", content_type="text/plain")
    delivered = api_for(deal.freelancer).post(
        url(first, "submit"), {"message": "Done.", "files": [notes]}, format="multipart"
    )
    assert delivered.status_code == 200, delivered.json()
    listed = delivered.json()["submissions"][0]["files"][0]
    download = listed["download_url"]
    assert download == f"/api/v1/milestones/{first.pk}/files/{listed['id']}/"

    # then the client and the freelancer get the bytes, as an attachment, with the token they already use
    for party in (deal.client, deal.freelancer):
        response = api_for(party).get(download)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"How to run the booking app.\n"
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"

    # and a stranger, an anonymous caller, or the same file asked for under another milestone get nothing
    assert api_for(new_freelancer()).get(download).status_code == 404
    assert api_for().get(download).status_code in (401, 403)
    assert api_for(deal.client).get(f"/api/v1/milestones/{second.pk}/files/{listed['id']}/").status_code == 404


def test_an_agreed_milestone_is_removed_by_agreement_and_a_change_order_at_once():
    deal = active_deal()
    second = deal.milestones[1]
    client, freelancer = api_for(deal.client), api_for(deal.freelancer)
    # the client cannot drop a milestone the freelancer agreed to on their own
    alone = client.post(url(second, "cancel"))
    assert alone.status_code == 400
    assert "propose removing it" in alone.json()["detail"]
    # so they propose removing it, and it stays until the freelancer accepts
    proposed = client.post(url(second, "propose-removal"))
    assert proposed.status_code == 201, proposed.json()
    assert proposed.json()["removes"] is True
    assert Milestone.objects.get(pk=second.pk).status == S.PENDING
    assert client.post(f"/api/v1/milestone-edits/{proposed.json()['id']}/accept/").status_code == 403  # not theirs
    accepted = freelancer.post(f"/api/v1/milestone-edits/{proposed.json()['id']}/accept/")
    assert accepted.status_code == 200, accepted.json()
    assert Milestone.objects.get(pk=second.pk).status == S.CANCELLED
    # while a change order the client added and nobody funded yet is withdrawn at once
    extra = subject_of(deal, "cancel")
    response = client.post(url(extra, "cancel"))
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


# --- every transition endpoint, generated from Milestone.TRANSITIONS ----------------------------------

# endpoint → (who acts, body, the status the move leads to). A partial release is part of a release
# and a refund request asks for a move to refunded, so each is allowed where that move is.
MOVES = {
    "fund": ("client", {}, S.FUNDED),
    "submit": ("freelancer", {"message": "Delivered."}, S.SUBMITTED),
    "request-changes": ("client", {"reason": "Please add tests."}, S.CHANGES_REQUESTED),
    "approve": ("client", {}, S.RELEASED),
    "release-partial": ("client", {"amount_cents": 100_00}, S.RELEASED),
    "refund-request": ("client", {"reason": "Plans changed."}, S.REFUNDED),
    "refund-offer": ("freelancer", {"amount_cents": 500_00}, S.REFUNDED),
    "cancel": ("client", {}, S.CANCELLED),
}
# The table lets a disputed milestone be released or refunded by the dispute's outcome, and go back
# to funded, submitted or changes requested when its dispute is withdrawn; never through these
# endpoints: a dispute freezes the milestone against every one of them.
FROZEN_BY_DISPUTE = set(MOVES)
# What each endpoint leaves behind when it is allowed (a partial release or a refund request keeps the status).
OUTCOME = {"release-partial": None, "refund-request": None}


def refused(endpoint: str, status: str) -> bool:
    target = MOVES[endpoint][2]
    return target not in Milestone.TRANSITIONS[status] or (status == S.DISPUTED and endpoint in FROZEN_BY_DISPUTE)


REFUSED_CASES = [
    pytest.param(endpoint, status, id=f"{endpoint}-from-{status}")
    for endpoint in MOVES
    for status in S.values
    if refused(endpoint, status)
]
ALLOWED_CASES = [
    pytest.param(endpoint, status, id=f"{endpoint}-from-{status}")
    for endpoint in MOVES
    for status in S.values
    if not refused(endpoint, status)
]


def test_the_generated_cases_cover_every_endpoint_and_status():
    assert len(REFUSED_CASES) + len(ALLOWED_CASES) == len(MOVES) * len(S.values)
    for endpoint in MOVES:
        assert any(case.values[0] == endpoint for case in ALLOWED_CASES), endpoint
        assert any(case.values[0] == endpoint for case in REFUSED_CASES), endpoint


def subject_of(deal: Deal, endpoint: str) -> Milestone:
    """The milestone an endpoint acts on: cancel/ removes change orders (agreed milestones go by
    agreement, through propose-removal/), so it gets a $500 change order; the others the first one."""
    if endpoint != "cancel":
        return deal.first
    return milestone_add(
        contract=deal.contract, by=deal.client, title="Extra", amount_cents=500_00, due_date=in_days(10)
    )


@pytest.mark.parametrize(("endpoint", "status"), REFUSED_CASES)
def test_a_move_from_a_status_that_does_not_allow_it_is_409_and_changes_nothing(endpoint, status):
    # given a $500 milestone in `status`
    deal = active_deal()
    milestone = subject_of(deal, endpoint)
    move_to(milestone, status)
    assert Milestone.objects.get(pk=milestone.pk).status == status
    who, body, _ = MOVES[endpoint]
    before = money_snapshot()

    # when the party who could make the move in another state asks for it
    response = api_for(getattr(deal, who)).post(url(milestone, endpoint), body, format="json")

    # then it is a state conflict with a clear message, and nothing changed
    assert response.status_code == 409, response.json()
    assert response.json()["detail"]
    assert money_snapshot() == before  # the ledger, balances, milestone rows, events, notifications
    assert money_problems() == []


@pytest.mark.parametrize(("endpoint", "status"), ALLOWED_CASES)
def test_a_move_from_a_status_that_allows_it_succeeds(endpoint, status):
    deal = active_deal()
    milestone = subject_of(deal, endpoint)
    move_to(milestone, status)
    who, body, target = MOVES[endpoint]

    response = api_for(getattr(deal, who)).post(url(milestone, endpoint), body, format="json")

    assert response.status_code in (200, 201), response.json()
    expected = status if endpoint in OUTCOME else target
    assert response.json()["status"] == expected
    assert Milestone.objects.get(pk=milestone.pk).status == expected


def test_request_changes_after_the_last_round_is_refused():
    deal = deal_with_first_in(S.SUBMITTED)
    m = deal.first
    for _ in range(deal.contract.change_rounds):
        milestone_request_changes(milestone=m, by=deal.client, reason="Again.")
        milestone_submit(milestone=m, by=deal.freelancer, message="Again.")
    response = api_for(deal.client).post(url(m, "request-changes"), {"reason": "Once more."}, format="json")
    assert response.status_code == 400
    assert "change rounds" in response.json()["detail"]
    assert Milestone.objects.get(pk=m.pk).status == S.SUBMITTED


# --- who may act ---------------------------------------------------------------------------------


def test_someone_else_gets_404_on_contracts_offers_and_milestones(other_user):
    deal = deal_with_first_in(S.FUNDED)
    stranger = api_for(other_user)
    before = money_snapshot()
    for path in (
        f"/api/v1/contracts/{deal.contract.pk}/",
        f"/api/v1/offers/{deal.offer.pk}/",
        f"/api/v1/milestones/{deal.first.pk}/",
    ):
        assert stranger.get(path).status_code == 404, path
    for path, body in (
        (f"/api/v1/contracts/{deal.contract.pk}/end/", {"reason": "other"}),
        (f"/api/v1/contracts/{deal.contract.pk}/milestones/", {"title": "x", "amount_cents": 100_00}),
        (f"/api/v1/offers/{deal.offer.pk}/accept/", {}),
        (f"/api/v1/offers/{deal.offer.pk}/withdraw/", {}),
        (url(deal.first, "approve"), {}),
        (url(deal.first, "release-partial"), {"amount_cents": 100}),
        (url(deal.first, "refund-offer"), {"amount_cents": 100}),
        (url(deal.milestones[1], "fund"), {}),
    ):
        assert stranger.post(path, body, format="json").status_code == 404, path
    assert stranger.get("/api/v1/contracts/").json()["results"] == []
    assert stranger.get("/api/v1/offers/").json()["results"] == []
    assert money_snapshot() == before


def test_not_signed_in_is_refused():
    deal = deal_with_first_in(S.FUNDED)
    assert api_for().get("/api/v1/contracts/").status_code == 401
    assert api_for().post(url(deal.first, "approve")).status_code == 401
    assert api_for().get("/api/v1/me/balance/").status_code == 401


def test_the_freelancer_cannot_approve_their_own_work_and_no_money_moves():
    deal = deal_with_first_in(S.SUBMITTED)
    before = money_snapshot()
    response = api_for(deal.freelancer).post(url(deal.first, "approve"), HTTP_IDEMPOTENCY_KEY="self-approve")
    assert response.status_code == 403
    assert "client" in response.json()["detail"]
    assert money_snapshot() == before
    assert not IdempotentRequest.objects.exists()  # a refused request stores nothing
    assert money_problems() == []


def test_the_client_cannot_submit_work():
    deal = deal_with_first_in(S.FUNDED)
    response = api_for(deal.client).post(url(deal.first, "submit"), {"message": "Done"}, format="json")
    assert response.status_code == 403  # a party to the contract, but delivering is not theirs
    assert response.json()["detail"].startswith("Only the freelancer can")
    assert Milestone.objects.get(pk=deal.first.pk).status == S.FUNDED


# --- bad amounts -----------------------------------------------------------------------------------

BAD_AMOUNTS = [
    pytest.param(0, id="zero"),
    pytest.param(-100, id="negative"),
    pytest.param(12.5, id="fractional-float"),
    pytest.param(100.0, id="whole-float"),
    pytest.param("12.5", id="decimal-string"),
    pytest.param("1e4", id="exponent-string"),
    pytest.param("ten", id="word"),
    pytest.param(True, id="boolean"),
    pytest.param(None, id="null"),
    pytest.param([100], id="list"),
    pytest.param(2**63, id="above-64-bit"),
    pytest.param(10**40, id="huge"),
]


def _amount_endpoint(kind: str):
    """(user, path, body builder) for each endpoint that takes amount_cents, on a funded milestone."""
    if kind == "payout":
        freelancer, _ = freelancer_with_available(500_00)
        return freelancer, "/api/v1/payouts/", lambda amount: {"amount_cents": amount}
    deal = deal_with_first_in(S.FUNDED)
    if kind == "change-order":
        return (
            deal.client,
            f"/api/v1/contracts/{deal.contract.pk}/milestones/",
            lambda amount: {"title": "More", "amount_cents": amount, "due_date": in_days(9).isoformat()},
        )
    who = deal.freelancer if kind == "refund-offer" else deal.client
    return who, url(deal.first, kind), lambda amount: {"amount_cents": amount}


AMOUNT_ENDPOINTS = ["release-partial", "refund-request", "refund-offer", "change-order", "payout"]


@pytest.mark.parametrize("kind", AMOUNT_ENDPOINTS)
@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_a_bad_amount_is_400_on_amount_cents_and_moves_nothing(kind, amount):
    user, path, body = _amount_endpoint(kind)
    before, milestones = money_snapshot(), Milestone.objects.count()
    response = api_for(user).post(path, body(amount), format="json")
    assert response.status_code == 400, response.content
    assert "amount_cents" in response.json()
    assert money_snapshot() == before
    assert Milestone.objects.count() == milestones
    assert money_problems() == []


@pytest.mark.parametrize("kind", AMOUNT_ENDPOINTS)
def test_the_largest_64_bit_amount_is_a_clear_400_not_a_500(kind):
    user, path, body = _amount_endpoint(kind)
    before = money_snapshot()
    response = api_for(user).post(path, body(2**63 - 1), format="json")
    assert response.status_code == 400, response.content
    assert response.json()["amount_cents"][0]
    assert money_snapshot() == before


def test_a_partial_release_of_everything_held_is_refused():
    deal = deal_with_first_in(S.FUNDED)
    response = api_for(deal.client).post(url(deal.first, "release-partial"), {"amount_cents": 500_00}, format="json")
    assert response.status_code == 400
    assert "approve" in response.json()["amount_cents"][0].lower()


def test_a_payout_above_the_available_balance_is_refused():
    freelancer, available = freelancer_with_available(500_00)
    before = money_snapshot()
    response = api_for(freelancer).post("/api/v1/payouts/", {"amount_cents": available + 1}, format="json")
    assert response.status_code == 400
    assert "at most" in response.json()["amount_cents"][0]
    assert money_snapshot() == before
    assert earnings_for_user(freelancer)["available"] == available
    assert money_problems() == []


def test_a_client_with_nothing_available_cannot_withdraw():
    deal = deal_with_first_in(S.FUNDED)
    response = api_for(deal.client).post("/api/v1/payouts/", {"amount_cents": 1_00}, format="json")
    assert response.status_code == 400
    assert not Payout.objects.exists()


# --- Idempotency-Key -------------------------------------------------------------------------------


def test_the_same_funding_sent_twice_with_a_key_charges_once_and_answers_the_same():
    deal = active_deal()
    client = api_for(deal.client)
    first = client.post(url(deal.first, "fund"), {"card_number": ""}, format="json", HTTP_IDEMPOTENCY_KEY="fund-1")
    second = client.post(url(deal.first, "fund"), {"card_number": ""}, format="json", HTTP_IDEMPOTENCY_KEY="fund-1")
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.FUND).count() == 1
    assert GatewayOperation.objects.filter(kind=GatewayOperation.Kind.CHARGE).count() == 1
    assert balance(accounts.escrow(deal.first.ledger_reference)) == deal.first.amount_cents
    # without the key, the same request is a new one, refused by the milestone's state
    assert client.post(url(deal.first, "fund"), {"card_number": ""}, format="json").status_code == 409
    assert money_problems() == []


def test_the_same_approval_sent_twice_with_a_key_releases_once():
    deal = deal_with_first_in(S.SUBMITTED)
    client = api_for(deal.client)
    first = client.post(url(deal.first, "approve"), HTTP_IDEMPOTENCY_KEY="approve-7f3a")
    second = client.post(url(deal.first, "approve"), HTTP_IDEMPOTENCY_KEY="approve-7f3a")
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.RELEASE).count() == 1
    assert earnings_for_user(deal.freelancer)["pending"] == net_of(deal.first.amount_cents)
    assert ContractEvent.objects.filter(verb="approved").count() == 1
    assert money_problems() == []


@pytest.mark.parametrize("action", ["release-partial", "refund-offer"])
def test_a_partial_move_retried_after_its_stored_answer_is_gone_still_moves_money_once(action):
    # given a partial move sent with a key, whose stored answer has since been purged
    deal = deal_with_first_in(S.SUBMITTED)
    actor = deal.client if action == "release-partial" else deal.freelancer
    api = api_for(actor)
    first = api.post(url(deal.first, action), {"amount_cents": 100_00}, format="json", HTTP_IDEMPOTENCY_KEY="part-1")
    assert first.status_code == 200
    IdempotentRequest.objects.all().delete()
    # when the same request is retried with the same key
    api.post(url(deal.first, action), {"amount_cents": 100_00}, format="json", HTTP_IDEMPOTENCY_KEY="part-1")
    # then the ledger still holds one move: its key comes from the caller's key, not from a count
    deal.first.refresh_from_db()
    assert deal.first.held_cents == deal.first.amount_cents - 100_00
    assert LedgerTransaction.objects.filter(reference=deal.first.ledger_reference).count() == 2  # fund + one move
    # and another key is another move
    assert (
        api.post(
            url(deal.first, action), {"amount_cents": 100_00}, format="json", HTTP_IDEMPOTENCY_KEY="part-2"
        ).status_code
        == 200
    )
    deal.first.refresh_from_db()
    assert deal.first.held_cents == deal.first.amount_cents - 200_00
    assert money_problems() == []


def test_the_same_payout_sent_twice_with_a_key_pays_once():
    freelancer, available = freelancer_with_available(500_00)
    api = api_for(freelancer)
    first = api.post("/api/v1/payouts/", {"amount_cents": 100_00}, format="json", HTTP_IDEMPOTENCY_KEY="po-1")
    second = api.post("/api/v1/payouts/", {"amount_cents": 100_00}, format="json", HTTP_IDEMPOTENCY_KEY="po-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert Payout.objects.count() == 1
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.PAYOUT).count() == 1
    assert run_gateway_calls() == 1
    assert GatewayOperation.objects.filter(kind=GatewayOperation.Kind.PAYOUT).count() == 1
    assert earnings_for_user(freelancer)["available"] == available - 100_00
    assert money_problems() == []


def test_payouts_without_a_key_are_each_a_new_withdrawal():
    freelancer, available = freelancer_with_available(500_00)
    api = api_for(freelancer)
    assert api.post("/api/v1/payouts/", {"amount_cents": 100_00}, format="json").status_code == 201
    assert api.post("/api/v1/payouts/", {"amount_cents": 100_00}, format="json").status_code == 201
    assert Payout.objects.count() == 2
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.PAYOUT).count() == 2
    assert earnings_for_user(freelancer)["available"] == available - 200_00
    assert money_problems() == []


def test_the_same_key_with_a_different_body_is_422_and_moves_nothing():
    freelancer, available = freelancer_with_available(500_00)
    api = api_for(freelancer)
    api.post("/api/v1/payouts/", {"amount_cents": 100_00}, format="json", HTTP_IDEMPOTENCY_KEY="po-2")
    before = money_snapshot()
    response = api.post("/api/v1/payouts/", {"amount_cents": 200_00}, format="json", HTTP_IDEMPOTENCY_KEY="po-2")
    assert response.status_code == 422
    assert response.json() == KEY_REUSED
    assert money_snapshot() == before
    assert earnings_for_user(freelancer)["available"] == available - 100_00
    assert money_problems() == []


def test_the_same_key_on_another_endpoint_is_422():
    deal = active_deal()
    client = api_for(deal.client)
    first, second = deal.milestones
    assert client.post(url(first, "fund"), HTTP_IDEMPOTENCY_KEY="k-1").status_code == 200
    response = client.post(url(second, "fund"), HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 422
    assert response.json() == KEY_REUSED
    assert Milestone.objects.get(pk=second.pk).status == S.PENDING


def test_keys_belong_to_one_person():
    one, two = active_deal(), active_deal()
    assert api_for(one.client).post(url(one.first, "fund"), HTTP_IDEMPOTENCY_KEY="shared").status_code == 200
    response = api_for(two.client).post(url(two.first, "fund"), HTTP_IDEMPOTENCY_KEY="shared")
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response.headers
    assert Milestone.objects.get(pk=two.first.pk).status == S.FUNDED


def test_a_request_still_running_with_the_key_is_409():
    # given a request with this key whose response is not stored yet (it is still running)
    deal = active_deal()
    client = api_for(deal.client)
    client.post(url(deal.first, "fund"), HTTP_IDEMPOTENCY_KEY="busy")
    IdempotentRequest.objects.filter(key="busy").update(status_code=None, response_body=None)
    before = money_snapshot()
    # when the same request comes again
    response = client.post(url(deal.first, "fund"), HTTP_IDEMPOTENCY_KEY="busy")
    # then it is told to retry later, and nothing moves
    assert response.status_code == 409
    assert "still running" in response.json()["detail"]
    assert money_snapshot() == before


def test_a_refused_request_stores_nothing_so_a_retry_with_the_key_runs_again():
    deal = active_deal()
    client = api_for(deal.client)
    declined = client.post(
        url(deal.first, "fund"), {"card_number": DECLINED_CARD}, format="json", HTTP_IDEMPOTENCY_KEY="card-1"
    )
    assert declined.status_code == 400
    assert not IdempotentRequest.objects.exists()
    retried = client.post(
        url(deal.first, "fund"), {"card_number": "4242424242424242"}, format="json", HTTP_IDEMPOTENCY_KEY="card-1"
    )
    assert retried.status_code == 200
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.FUND).count() == 1


@pytest.mark.parametrize("key", ["", " ", "x" * 201, "with space", "naïve"])
def test_a_malformed_key_is_400(key):
    deal = active_deal()
    response = api_for(deal.client).post(url(deal.first, "fund"), HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert Milestone.objects.get(pk=deal.first.pk).status == S.PENDING


def test_replays_cover_every_money_endpoint():
    # given a contract with money in every state an endpoint needs
    deal = deal_with_first_in(S.FUNDED)
    m1, m2 = deal.milestones
    milestone_fund(milestone=m2, by=deal.client)
    client, freelancer = api_for(deal.client), api_for(deal.freelancer)
    calls = [
        (client, url(m1, "release-partial"), {"amount_cents": 100_00}),
        (freelancer, url(m1, "refund-offer"), {"amount_cents": 50_00}),
        (client, url(m1, "refund-request"), {"amount_cents": 50_00, "reason": "Less work."}),
        (freelancer, url(m1, "refund-accept"), {}),
        (client, url(m2, "approve"), {}),
    ]
    for number, (api, path, body) in enumerate(calls):
        key = f"money-{number}"
        first = api.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
        transactions = LedgerTransaction.objects.count()
        second = api.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
        assert first.status_code in (200, 201), (path, first.json())
        assert (second.status_code, second.json()) == (first.status_code, first.json()), path
        assert second.headers["Idempotent-Replayed"] == "true"
        assert LedgerTransaction.objects.count() == transactions, path
    assert RefundRequest.objects.count() == 1
    m1.refresh_from_db()
    assert (m1.released_cents, m1.refunded_cents, m1.held_cents) == (100_00, 100_00, 300_00)
    assert money_problems() == []


# --- races (PostgreSQL) ----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.races  # runs after the rest of the suite, beside the other many-thread races
@pytest.mark.django_db(transaction=True)
def test_concurrent_payouts_with_one_key_pay_once():
    seed_skill_taxonomy()
    freelancer, _ = freelancer_with_available(500_00)
    threads_count = 8
    barrier = threading.Barrier(threads_count, timeout=60)
    responses: list = []

    def post() -> None:
        try:
            api = api_for(User.objects.get(pk=freelancer.pk))
            barrier.wait()
            responses.append(
                api.post("/api/v1/payouts/", {"amount_cents": 100_00}, format="json", HTTP_IDEMPOTENCY_KEY="race")
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=post, daemon=True) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)

    statuses = Counter(response.status_code for response in responses)
    assert len(responses) == threads_count
    assert set(statuses) <= {201, 409}, statuses
    assert statuses[201] >= 1
    assert len({response.content for response in responses if response.status_code == 201}) == 1
    assert Payout.objects.count() == 1
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.PAYOUT).count() == 1
    assert money_problems() == []
