"""Disputes over the API: the whole way from opening to a staff decision, evidence files, who sees
and does what (a non-party gets 404), and bad input answered 400/409 with nothing changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from contracts.invariants import money_problems
from contracts.models import Dispute, Milestone
from contracts.services import disputes_due
from tests.contracts.factories import escrow_of, milestone_in, money_snapshot, run_gateway_calls
from tests.factories import UserFactory
from tests.helpers import api_for

pytestmark = pytest.mark.django_db

S = Milestone.Status


def open_body(**changes) -> dict:
    return {
        "reason": "not_approved",
        "description": "Delivered on the 3rd; no answer since.",
        "asked_cents": 500_00,
    } | (changes)


def disputed(**changes):
    milestone = milestone_in(S.SUBMITTED, amounts=(500_00,))
    response = api_for(milestone.contract.freelancer).post(
        f"/api/v1/milestones/{milestone.pk}/dispute/", open_body(**changes), format="json"
    )
    assert response.status_code == 201, response.json()
    return milestone, response.json()


def test_open_respond_escalate_and_decide_by_api(moderator):
    # given a freelancer whose delivered work is neither approved nor answered
    milestone, dispute = disputed()
    contract = milestone.contract
    client, freelancer = api_for(contract.client), api_for(contract.freelancer)
    # then both read it, with the deadline's default spelled out
    assert dispute["status"] == "open" and dispute["held_cents"] == 500_00
    assert "what was asked applies: $500.00 to the freelancer" in dispute["default_outcome"]
    assert client.get(f"/api/v1/disputes/{dispute['id']}/").json()["id"] == dispute["id"]
    assert [d["id"] for d in client.get("/api/v1/disputes/").json()["results"]] == [dispute["id"]]
    assert client.get(f"/api/v1/milestones/{milestone.pk}/").json()["status"] == "disputed"
    # when the client responds (wanting $300 back) with a file, and proposes half
    notes = SimpleUploadedFile("notes.txt", b"The export fails on row 3.\n", content_type="text/plain")
    answered = client.post(
        f"/api/v1/disputes/{dispute['id']}/respond/",
        {"response": "The export fails.", "asked_cents": 300_00, "files": [notes]},
        format="multipart",
    )
    assert answered.status_code == 200, answered.json()
    assert (answered.json()["status"], answered.json()["response_freelancer_cents"]) == ("responded", 200_00)
    (evidence,) = answered.json()["evidence"]
    assert client.get(evidence["download_url"]).status_code == 200
    proposed = client.post(f"/api/v1/disputes/{dispute['id']}/propose/", {"freelancer_cents": 250_00}, format="json")
    assert proposed.status_code == 201
    (proposal,) = proposed.json()["proposals"]
    assert (proposal["freelancer_cents"], proposal["client_cents"]) == (250_00, 250_00)
    # and the freelancer declines it
    declined = freelancer.post(
        f"/api/v1/disputes/{dispute['id']}/decline-proposal/", {"proposal": proposal["id"]}, format="json"
    )
    assert declined.json()["proposals"][0]["status"] == "declined"
    # when the settlement time runs out, staff decide 70/30
    disputes_due(now=timezone.now() + timedelta(days=settings.DISPUTE_SETTLEMENT_DAYS, minutes=1))
    assert client.get(f"/api/v1/disputes/{dispute['id']}/").json()["status"] == "escalated"
    assert (
        client.post(
            f"/api/v1/disputes/{dispute['id']}/decide/",
            {"freelancer_cents": 500_00, "rationale": "Mine."},
            format="json",
        ).status_code
        == 403
    )
    decided = api_for(moderator).post(
        f"/api/v1/disputes/{dispute['id']}/decide/",
        {"freelancer_cents": 350_00, "rationale": "Most of the work meets the criteria."},
        format="json",
    )
    assert decided.status_code == 200, decided.json()
    # then both read the outcome and the reasons, and the money is where it should be
    seen = freelancer.get(f"/api/v1/disputes/{dispute['id']}/").json()
    assert (seen["status"], seen["outcome_freelancer_cents"], seen["outcome_client_cents"]) == (
        "decided",
        350_00,
        150_00,
    )
    assert seen["rationale"] == "Most of the work meets the criteria."
    assert escrow_of(milestone) == 0
    run_gateway_calls()
    assert money_problems() == []


def test_a_non_party_gets_404_and_a_party_cannot_decide():
    milestone, dispute = disputed()
    stranger = api_for(UserFactory())
    assert stranger.get(f"/api/v1/disputes/{dispute['id']}/").status_code == 404
    for action in ("respond", "propose", "withdraw", "decide", "accept-proposal"):
        assert stranger.post(f"/api/v1/disputes/{dispute['id']}/{action}/", {}, format="json").status_code == 404
    assert stranger.post(f"/api/v1/milestones/{milestone.pk}/dispute/", open_body(), format="json").status_code == 404
    # staff without the moderation permission see nothing either
    assert api_for(UserFactory(is_staff=True)).get(f"/api/v1/disputes/{dispute['id']}/").status_code == 404


def test_the_filer_withdraws_and_the_milestone_is_back_as_it_was():
    milestone, dispute = disputed()
    withdrawn = api_for(milestone.contract.freelancer).post(f"/api/v1/disputes/{dispute['id']}/withdraw/")
    assert withdrawn.json()["status"] == "withdrawn"
    milestone.refresh_from_db()
    assert milestone.status == S.SUBMITTED and milestone.auto_release_at is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (open_body(asked_cents=500_01), "asked_cents"),
        (open_body(asked_cents=-1), "asked_cents"),
        (open_body(asked_cents=12.5), "asked_cents"),
        (open_body(asked_cents="ten"), "asked_cents"),
        (open_body(reason="chargeback"), "reason"),
        (open_body(reason="mood"), "reason"),
        (open_body(description=""), "description"),
        (open_body(status="decided"), "status"),
    ],
)
def test_bad_input_opening_a_dispute_is_400_and_changes_nothing(body, field):
    milestone = milestone_in(S.SUBMITTED, amounts=(500_00,))
    before = money_snapshot()
    response = api_for(milestone.contract.client).post(
        f"/api/v1/milestones/{milestone.pk}/dispute/", body, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert money_snapshot() == before
    assert not Dispute.objects.exists()


def test_evidence_of_the_wrong_type_is_refused_and_nothing_is_opened():
    milestone = milestone_in(S.SUBMITTED, amounts=(500_00,))
    program = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, content_type="application/pdf")
    response = api_for(milestone.contract.client).post(
        f"/api/v1/milestones/{milestone.pk}/dispute/", open_body(files=[program]), format="multipart"
    )
    assert response.status_code == 400
    assert "files" in response.json()
    assert not Dispute.objects.exists()
    assert Milestone.objects.get(pk=milestone.pk).status == S.SUBMITTED


@pytest.mark.parametrize("status", [S.PENDING, S.RELEASED, S.DISPUTED])
def test_a_dispute_on_money_not_held_or_already_disputed_is_409(status):
    milestone = milestone_in(status, amounts=(500_00,))
    before = money_snapshot()
    response = api_for(milestone.contract.freelancer).post(
        f"/api/v1/milestones/{milestone.pk}/dispute/", open_body(asked_cents=0), format="json"
    )
    assert response.status_code == 409
    assert response.json()["detail"]
    assert money_snapshot() == before


def test_a_split_above_what_is_held_is_400(moderator):
    milestone, dispute = disputed()
    response = api_for(milestone.contract.client).post(
        f"/api/v1/disputes/{dispute['id']}/propose/", {"freelancer_cents": 500_01}, format="json"
    )
    assert response.status_code == 400 and "freelancer_cents" in response.json()
    unknown = api_for(milestone.contract.freelancer).post(
        f"/api/v1/disputes/{dispute['id']}/accept-proposal/", {"proposal": 999}, format="json"
    )
    assert unknown.status_code == 400 and "proposal" in unknown.json()


def test_evidence_above_the_size_limit_is_refused_and_nothing_is_opened(settings):
    settings.MAX_ATTACHMENT_BYTES = 1_000
    milestone = milestone_in(S.SUBMITTED, amounts=(500_00,))
    big = SimpleUploadedFile("log.txt", b"x" * 1_001, content_type="text/plain")
    response = api_for(milestone.contract.client).post(
        f"/api/v1/milestones/{milestone.pk}/dispute/", open_body(files=[big]), format="multipart"
    )
    assert response.status_code == 400
    assert "the limit is" in str(response.json()["files"])
    assert not Dispute.objects.exists()
