"""The escrow legs (payments/escrow.py), the reads in payments/selectors.py and the earnings page.

The legs are driven directly with references that name no deal ("test:1") to show that payments
needs nothing else to move money, and through the contracts services to show what a person sees.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Sum
from django.test import override_settings
from django.urls import reverse

from contracts.models import Milestone
from contracts.services import (
    milestone_approve,
    milestone_fund,
    milestone_refund_offer,
    milestone_release_partial,
    milestone_settle_split,
)
from payments import accounts
from payments.escrow import escrow_fund, escrow_refund, escrow_release, escrow_split
from payments.fees import fee_breakdown, freelancer_fee_cents
from payments.ledger import IdempotencyConflict, InsufficientFunds, balance
from payments.models import AccountBalance, BillingPair, LedgerEntry, LedgerTransaction
from payments.selectors import (
    gateway_balance,
    platform_fees_balance,
    references_described,
    releases_for_payee,
)
from tests.contracts.factories import active_contract, milestone_in, milestone_of, submitted_milestone
from tests.factories import UserFactory
from tests.helpers import browser_for, links_to, text

pytestmark = pytest.mark.django_db

REFERENCE = "test:1"
ESCROW = accounts.escrow(REFERENCE)


def entries_of(txn: LedgerTransaction) -> dict[str, int]:
    return dict(txn.entries.values_list("account", "amount_cents"))


def entries_sum(account: str) -> int:
    return LedgerEntry.objects.filter(account=account).aggregate(total=Sum("amount_cents"))["total"] or 0


# --- the legs -----------------------------------------------------------------------------------


def test_funding_moves_the_charge_into_escrow_and_the_client_fee_to_the_platform():
    txn = escrow_fund(reference=REFERENCE, amount_cents=400_00, client_fee_cents=10_00, key="fund:t1")
    assert (txn.kind, txn.reference) == (LedgerTransaction.Kind.FUND, REFERENCE)
    assert entries_of(txn) == {accounts.GATEWAY: -410_00, ESCROW: 400_00, accounts.PLATFORM_FEES: 10_00}


def test_a_release_pays_the_payee_less_the_tiered_fee_and_a_replay_pays_nothing_more():
    escrow_fund(reference=REFERENCE, amount_cents=400_00, key="fund:t1")
    billed = settings.FREELANCER_FEE_TIERS[0][0] - 100_00  # $100 left in the first tier
    fees = escrow_release(reference=REFERENCE, amount_cents=400_00, payee_id=7, billed_before_cents=billed, key="r:1")
    again = escrow_release(reference=REFERENCE, amount_cents=400_00, payee_id=7, billed_before_cents=billed, key="r:1")
    assert fees == again == fee_breakdown(amount_cents=400_00, billed_before_cents=billed)
    assert fees.freelancer_fee_cents == freelancer_fee_cents(amount_cents=400_00, billed_before_cents=billed)
    (txn,) = LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.RELEASE)
    assert entries_of(txn) == {
        ESCROW: -400_00,
        accounts.pending(7): fees.freelancer_net_cents,
        accounts.PLATFORM_FEES: fees.freelancer_fee_cents,
    }
    assert balance(ESCROW) == 0


def test_a_partial_release_is_recorded_as_one_and_leaves_the_rest_held():
    escrow_fund(reference=REFERENCE, amount_cents=400_00, key="fund:t1")
    escrow_release(
        reference=REFERENCE, amount_cents=100_00, payee_id=7, billed_before_cents=0, key="part:1", partial=True
    )
    assert LedgerTransaction.objects.get(idempotency_key="part:1").kind == LedgerTransaction.Kind.PARTIAL_RELEASE
    assert balance(ESCROW) == 300_00


def test_a_refund_returns_escrow_to_the_gateway_and_cannot_take_more_than_is_held():
    escrow_fund(reference=REFERENCE, amount_cents=400_00, key="fund:t1")
    txn = escrow_refund(reference=REFERENCE, amount_cents=150_00, key="refund:1", refund_reference="re_1")
    assert entries_of(txn) == {ESCROW: -150_00, accounts.GATEWAY: 150_00}
    assert txn.memo == "Refund re_1"
    with pytest.raises(InsufficientFunds):
        escrow_refund(reference=REFERENCE, amount_cents=250_01, key="refund:2")
    assert balance(ESCROW) == 250_00


def test_a_split_empties_escrow_in_one_transaction():
    escrow_fund(reference=REFERENCE, amount_cents=400_00, key="fund:t1")
    fees = escrow_split(
        reference=REFERENCE, payee_cents=300_00, refund_cents=100_00, payee_id=7, billed_before_cents=0, key="split:1"
    )
    (txn,) = LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.SPLIT)
    assert entries_of(txn) == {
        ESCROW: -400_00,
        accounts.pending(7): fees.freelancer_net_cents,
        accounts.PLATFORM_FEES: fees.freelancer_fee_cents,
        accounts.GATEWAY: 100_00,
    }
    assert fees.freelancer_net_cents + fees.freelancer_fee_cents == 300_00


@pytest.mark.parametrize("amount", [-1, 1.5, True, "100"])
def test_the_legs_refuse_amounts_that_are_not_whole_non_negative_cents(amount):
    with pytest.raises(ValueError):
        escrow_fund(reference=REFERENCE, amount_cents=amount, key="fund:bad")
    with pytest.raises(ValueError):
        escrow_refund(reference=REFERENCE, amount_cents=amount, key="refund:bad")
    with pytest.raises(ValueError):
        escrow_release(reference=REFERENCE, amount_cents=amount, payee_id=7, billed_before_cents=0, key="r:bad")
    assert not LedgerTransaction.objects.exists()


def test_one_key_for_two_different_refunds_is_a_conflict_not_a_second_refund():
    escrow_fund(reference=REFERENCE, amount_cents=400_00, key="fund:t1")
    escrow_refund(reference=REFERENCE, amount_cents=100_00, key="refund:1")
    with pytest.raises(IdempotencyConflict):
        escrow_refund(reference=REFERENCE, amount_cents=200_00, key="refund:1")
    assert balance(ESCROW) == 300_00


# --- the gateway and the fees: summed from entries, never a locked row ---------------------------------


@override_settings(CLIENT_FEE_BPS=250)
def test_gateway_and_fee_balances_are_the_sums_of_their_entries_with_no_stored_row():
    # given a 2.5% client fee, and money that went every way on a $400 and a $300 milestone
    contract = active_contract(amounts=(400_00, 300_00))
    first, second = milestone_of(contract, 1), milestone_of(contract, 2)
    for milestone in (first, second):
        milestone_fund(milestone=milestone, by=contract.client)
    milestone_release_partial(milestone=first, by=contract.client, amount_cents=100_00)
    milestone_approve(milestone=first, by=contract.client)
    milestone_refund_offer(milestone=second, by=contract.freelancer, amount_cents=300_00)
    # then the gateway took in both charges (with the client fee) and paid back the refund
    assert gateway_balance() == -(400_00 + 10_00) - (300_00 + 7_50) + 300_00
    # and the platform holds the client fees and the fees on both releases
    release_fees = freelancer_fee_cents(amount_cents=100_00, billed_before_cents=0) + freelancer_fee_cents(
        amount_cents=300_00, billed_before_cents=100_00
    )
    assert platform_fees_balance() == 10_00 + 7_50 + release_fees
    # which are exactly what their entries add up to, with no running balance stored to drift
    assert gateway_balance() == entries_sum(accounts.GATEWAY)
    assert platform_fees_balance() == entries_sum(accounts.PLATFORM_FEES)
    assert not AccountBalance.objects.filter(account__in=[accounts.GATEWAY, accounts.PLATFORM_FEES]).exists()
    # while escrow and the freelancer's balance still keep their locked, never-negative rows
    stored = dict(AccountBalance.objects.values_list("account", "balance_cents"))
    assert stored[accounts.escrow(first.ledger_reference)] == 0
    assert stored[accounts.pending(contract.freelancer_id)] == 400_00 - release_fees


# --- the fee tier reads what the pair was billed under the pair's lock --------------------------------


def test_a_second_contract_of_the_same_pair_is_charged_from_where_the_first_left_off():
    # given a client who paid a freelancer almost all of the first fee tier on one contract
    limit = settings.FREELANCER_FEE_TIERS[0][0]
    first = submitted_milestone(amounts=(limit - 100_00,))
    client, freelancer = first.contract.client, first.contract.freelancer
    milestone_approve(milestone=first, by=client)
    # when a $400 milestone of a second contract between them is approved
    second = submitted_milestone(amounts=(400_00,), client=client, freelancer=freelancer)
    milestone_approve(milestone=second, by=client)
    # then its fee is the first rate on $100 and the second on $300, and the pair has one lock row
    (txn,) = LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.RELEASE, reference=second.ledger_reference)
    assert entries_of(txn)[accounts.PLATFORM_FEES] == freelancer_fee_cents(
        amount_cents=400_00, billed_before_cents=limit - 100_00
    )
    assert BillingPair.objects.filter(client=client, freelancer=freelancer).count() == 1


# --- what a reference means, through the resolver contracts registers -------------------------------


def test_the_earnings_page_names_and_links_each_released_milestone():
    # given a released milestone and a split in a dispute
    released = submitted_milestone(amounts=(500_00,))
    milestone_approve(milestone=released, by=released.contract.client)
    disputed = milestone_in(Milestone.Status.DISPUTED, amounts=(200_00,), freelancer=released.contract.freelancer)
    milestone_settle_split(milestone=disputed, by=UserFactory(is_staff=True), freelancer_cents=50_00)
    # when the freelancer opens their earnings
    page = browser_for(released.contract.freelancer).get(reverse("earnings"))
    shown = text(page)
    # then each line names the milestone, its contract and how it was paid, linked to the milestone
    for milestone, how in ((released, "approved"), (disputed, "split in a dispute")):
        href = f"{milestone.contract.get_absolute_url()}#milestone-{milestone.pk}"
        assert links_to(page, href) == [milestone.title]
        assert f"{milestone.title} {milestone.contract.title} · {how}" in shown


def test_a_reference_is_described_only_to_the_parties_of_its_contract():
    milestone = submitted_milestone()
    milestone_approve(milestone=milestone, by=milestone.contract.client)
    reference = milestone.ledger_reference
    # the payee (earnings) and the payer (billing) read what it is
    for party in (milestone.contract.freelancer, milestone.contract.client):
        described = references_described([reference, "test:1", "milestone:x"], viewer=party)
        assert list(described) == [reference]
        assert described[reference].title == milestone.title
        assert described[reference].context == milestone.contract.title
        assert described[reference].context_url == milestone.contract.get_absolute_url()
    assert references_described([reference], viewer=UserFactory()) == {}


def test_a_release_nobody_describes_still_shows_with_its_kind():
    payee = UserFactory()
    escrow_fund(reference=REFERENCE, amount_cents=100_00, key="fund:t1")
    escrow_release(reference=REFERENCE, amount_cents=100_00, payee_id=payee.pk, billed_before_cents=0, key="r:1")
    (line,) = releases_for_payee(payee)
    assert (line.subject, line.kind_label) == (None, "Approved")
    assert line.net_cents == fee_breakdown(amount_cents=100_00, billed_before_cents=0).freelancer_net_cents
    assert "Approved" in text(browser_for(payee).get(reverse("earnings")))


# --- payments depends on nothing but core, Django and itself -----------------------------------------

PROJECT_APPS = {"accounts", "config", "contracts", "marketplace", "messaging", "notifications", "reviews"}


def test_payments_imports_no_other_app_of_ours():
    root = Path(__file__).resolve().parents[2] / "payments"
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            found += [f"{path.name}: {name}" for name in names if name.split(".")[0] in PROJECT_APPS]
    assert found == []
