"""The reputation figures against records computed by hand: job success, on-time delivery,
repeat clients, ratings and their distribution, the client's extra figures, "New" for little
history, and the figures following a new review, a dispute decision or a moderator's hiding."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from contracts.models import Contract, Milestone
from contracts.services import (
    contract_end,
    dispute_open,
    disputes_due,
    milestone_approve,
    milestone_fund,
    milestone_submit,
)
from reviews.figures import earned_band, replaced_mid_project
from reviews.models import Reputation
from reviews.reputation import refresh, reputation
from reviews.services import review_hide, review_submit
from tests.contracts.factories import active_contract, milestone_of
from tests.contracts.test_disputes import moderator_user
from tests.marketplace.factories import new_client, new_freelancer

pytestmark = pytest.mark.django_db

S = Milestone.Status
FREELANCER_ASPECTS = {"quality": 5, "communication": 5, "timeliness": 5, "expertise": 5}
CLIENT_ASPECTS = {"clarity": 4, "communication": 4, "payment": 5}


def deliver(milestone, *, late: bool = False, approve: bool = True):
    """Funded, submitted (after its due date when `late`) and, unless told otherwise, approved."""
    if late:
        Milestone.objects.filter(pk=milestone.pk).update(due_date=timezone.localdate() - timedelta(days=2))
    milestone_fund(milestone=milestone, by=milestone.contract.client)
    milestone_submit(milestone=milestone, by=milestone.contract.freelancer, message="Here it is.")
    if approve:
        milestone_approve(milestone=milestone, by=milestone.contract.client)


def rate(contract, stars: int, *, by_client: bool = True):
    if by_client:
        return review_submit(
            contract=contract, by=contract.client, overall=stars, aspects=FREELANCER_ASPECTS, comment="Good."
        )
    return review_submit(
        contract=contract, by=contract.freelancer, overall=stars, aspects=CLIENT_ASPECTS, comment="Fine."
    )


@pytest.fixture
def record():
    """One freelancer, three ended contracts with two clients:
    A (client 1): $400, on time, rated 5 → success;
    B (client 2): $300 on time and paid, then $200 delivered on time and disputed by the client,
       who got it all back by default (no response) → a dispute lost, although rated 5;
    C (client 1 again): $250 delivered late, rated 3 → against.
    Job success 1 of 3 = 33 %; on time 3 of 4 milestones = 75 %; 1 repeat client of 2; earned $950."""
    freelancer, first, second = new_freelancer(), new_client(), new_client()
    a = active_contract(client=first, freelancer=freelancer, amounts=(400_00,))
    deliver(milestone_of(a))
    b = active_contract(client=second, freelancer=freelancer, amounts=(300_00, 200_00))
    deliver(milestone_of(b, 1))
    disputed = milestone_of(b, 2)
    deliver(disputed, approve=False)
    dispute_open(milestone=disputed, by=second, reason="quality", description="Broken.", asked_cents=200_00)
    disputes_due(now=timezone.now() + timedelta(days=settings.DISPUTE_RESPONSE_DAYS, minutes=1))
    c = active_contract(client=first, freelancer=freelancer, amounts=(250_00,))
    deliver(milestone_of(c), late=True)
    contracts = [contract_end(contract=x, by=x.client) for x in (a, b, c)]
    for contract, stars in zip(contracts, (5, 5, 3), strict=True):
        rate(contract, stars)
        rate(contract, 4, by_client=False)  # publishes both
    return {"freelancer": freelancer, "first": first, "second": second, "contracts": contracts}


def test_freelancer_figures_match_the_hand_count(record):
    figures = reputation(record["freelancer"].pk, Reputation.Role.FREELANCER)
    assert figures["job_success_percent"] == 33
    assert figures["job_success_basis"] == 3
    assert [line["counts"] for line in figures["job_success_lines"]] == ["against", "against", "success"]  # C, B, A
    assert figures["job_success_lines"][0]["why"] == "Rated 3 of 5."
    assert figures["job_success_lines"][1]["why"] == "A dispute was decided against the freelancer."
    assert figures["on_time_percent"] == 75
    assert figures["on_time_basis"] == 4
    assert (figures["repeat_clients"], figures["clients"]) == (1, 2)
    assert figures["earned_band"] == "Under $1k"
    assert figures["rating_average"] == 4.33
    assert figures["rating_count"] == 3
    assert [(stars, n) for stars, n, _ in figures["rating_distribution"]] == [(5, 2), (4, 0), (3, 1), (2, 0), (1, 0)]
    assert figures["is_new"] is False


def test_client_figures_match_the_hand_count(record):
    second = reputation(record["second"].pk, Reputation.Role.CLIENT)
    # B: $300 released without a dispute, $200 refunded by the dispute's default → 1 of 2
    assert (second["released_without_dispute_percent"], second["released_basis"]) == (50, 2)
    assert second["disputes_lost"] == 0
    assert (second["rating_average"], second["rating_count"]) == (4.0, 1)
    first = reputation(record["first"].pk, Reputation.Role.CLIENT)
    assert (first["freelancers_hired"], first["repeat_hires"]) == (1, 1)
    assert first["released_without_dispute_percent"] == 100
    assert first["is_new"] is True  # two ended contracts with money paid: fewer than three


def test_a_freelancer_with_little_history_is_new_with_counts():
    contract = active_contract(amounts=(100_00,))
    deliver(milestone_of(contract))
    contract_end(contract=contract, by=contract.client)
    figures = reputation(contract.freelancer.pk, Reputation.Role.FREELANCER)
    assert figures["is_new"] is True
    assert figures["contracts_ended_paid"] == 1
    assert figures["job_success_basis"] == 0  # ended but not rated yet: not counted either way
    assert figures["job_success_percent"] is None
    assert figures["job_success_lines"][0]["why"] == "No published rating from the client."


def test_figures_follow_a_new_review_a_dispute_decision_and_hiding(record, django_capture_on_commit_callbacks):
    freelancer = record["freelancer"]
    before = reputation(freelancer.pk, Reputation.Role.FREELANCER)
    assert Reputation.objects.filter(user=freelancer, role="freelancer").exists()  # kept
    # a fourth contract, rated 5: job success 2 of 4 = 50 % once the refresh task has run after commit
    d = active_contract(client=record["second"], freelancer=freelancer, amounts=(100_00,))
    deliver(milestone_of(d))
    d = contract_end(contract=d, by=d.client)
    rate(d, 5)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        review = rate(d, 5, by_client=False)
    assert reputation(freelancer.pk, Reputation.Role.FREELANCER) == before  # kept until the task runs
    for callback in pending:
        callback()
    after = reputation(freelancer.pk, Reputation.Role.FREELANCER)
    assert (before["job_success_percent"], after["job_success_percent"]) == (33, 50)
    assert after["repeat_clients"] == 2
    # a moderator hides the client's 5 on D: out of the average and the job success, counted as hidden
    hidden = d.reviews.get(author=d.client)
    with django_capture_on_commit_callbacks(execute=True):
        review_hide(review=hidden, by=moderator_user(), reason="Off-topic.")
    final = reputation(freelancer.pk, Reputation.Role.FREELANCER)
    assert final["rating_count"] == 3
    assert final["hidden_reviews"] == 1
    assert final["job_success_percent"] == 33
    assert review.subject == d.client


def test_a_dispute_decided_against_a_client_counts(django_capture_on_commit_callbacks):
    freelancer, client = new_freelancer(), new_client()
    contract = active_contract(client=client, freelancer=freelancer, amounts=(300_00,))
    milestone = milestone_of(contract)
    deliver(milestone, approve=False)
    before = reputation(client.pk, Reputation.Role.CLIENT)
    dispute_open(
        milestone=milestone, by=freelancer, reason="not_approved", description="No answer.", asked_cents=300_00
    )
    with django_capture_on_commit_callbacks(execute=True):
        disputes_due(now=timezone.now() + timedelta(days=settings.DISPUTE_RESPONSE_DAYS, minutes=1))
    after = reputation(client.pk, Reputation.Role.CLIENT)
    assert (before["disputes_lost"], after["disputes_lost"]) == (0, 1)
    assert (after["released_without_dispute_percent"], after["released_basis"]) == (0, 1)


def test_ended_early_then_someone_else_hired_for_the_same_work():
    client = new_client()
    first = active_contract(client=client, amounts=(100_00, 500_00))
    deliver(milestone_of(first, 1))
    first = contract_end(contract=first, by=client)  # an unfunded milestone left: ended early
    assert first.end_reason == Contract.EndReason.CANCELLED
    Contract.objects.filter(pk=first.pk).update(title="Clinic booking system")
    unrelated = active_contract(client=client, amounts=(500_00,))
    Contract.objects.filter(pk=unrelated.pk).update(title="Logo refresh")
    assert reputation(client.pk, Reputation.Role.CLIENT)["replaced_after_ending"] == 0
    replacement = active_contract(client=client, amounts=(500_00,))
    Contract.objects.filter(pk=replacement.pk).update(title="clinic booking system ")
    refresh([client.pk])  # what the task after the new contract's commit does
    figures = reputation(client.pk, Reputation.Role.CLIENT)
    assert figures["ended_early"] == 1
    assert figures["replaced_after_ending"] == 1
    # the freelancer ending it early is not the client replacing them
    other = active_contract(amounts=(100_00, 500_00))
    deliver(milestone_of(other, 1))
    other = contract_end(contract=other, by=other.freelancer)
    rows = [
        {**row, "ended_by": other.freelancer_id}
        for row in Contract.objects.filter(pk=other.pk).values(
            "pk", "title", "freelancer_id", "started_at", "ended_at", "end_reason", "offer__proposal__project_id"
        )
    ]
    assert replaced_mid_project(rows, other.client_id) == []


def test_earned_bands():
    assert [earned_band(c) for c in (0, 1, 99_999, 100_000, 1_000_000, 100_000_000)] == [
        "$0",
        "Under $1k",
        "Under $1k",
        "$1k+",
        "$10k+",
        "$1M+",
    ]


def test_answers_proposals_within_three_days():
    from marketplace.services import proposal_decline
    from tests.marketplace.factories import open_project, submit_proposal

    client = new_client()
    project = open_project(client=client)
    quick = submit_proposal(project=project, freelancer=new_freelancer())
    slow = submit_proposal(project=project, freelancer=new_freelancer())
    fresh = submit_proposal(project=project, freelancer=new_freelancer())
    from marketplace.models import Proposal

    Proposal.objects.filter(pk=slow.pk).update(created_at=timezone.now() - timedelta(days=4))
    proposal_decline(proposal=quick, by=client, reason="Not a fit.")
    figures = reputation(client.pk, Reputation.Role.CLIENT)
    # quick: answered at once; slow: 4 days without an answer; fresh: still within its 3 days
    assert (figures["answered_percent"], figures["answered_basis"]) == (50, 2)
    assert fresh.pk


def test_the_private_question_only_counts_as_a_share_once_three_answered():
    freelancer = new_freelancer()
    answers = [True, False, None, True]
    contracts = []
    for answer in answers:
        contract = active_contract(freelancer=freelancer, amounts=(100_00,))
        deliver(milestone_of(contract))
        contract = contract_end(contract=contract, by=contract.client)
        review_submit(
            contract=contract,
            by=contract.client,
            overall=5,
            aspects=FREELANCER_ASPECTS,
            comment="Good.",
            would_work_again=answer,
        )
        rate(contract, 4, by_client=False)
        contracts.append(contract)
        if len(contracts) == 2:
            two = reputation(freelancer.pk, Reputation.Role.FREELANCER)
    refresh([freelancer.pk])
    figures = reputation(freelancer.pk, Reputation.Role.FREELANCER)
    # 2 yes of 3 answers (one left it out): 67 %, based on 3
    assert (figures["would_work_again_percent"], figures["would_work_again_basis"]) == (67, 3)
    assert two["would_work_again_basis"] == 2  # below 3 the page says New, not 50 %
    with pytest.raises(ValidationError):
        review_submit(
            contract=contracts[0],
            by=contracts[0].freelancer,
            overall=5,
            aspects=CLIENT_ASPECTS,
            comment="x",
            would_work_again="yes",
        )
