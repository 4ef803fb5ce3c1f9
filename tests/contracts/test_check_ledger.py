"""`manage.py check_ledger`: quiet and 0 on a ledger that real money moves left behind; each
violation printed on its own line and a non-zero exit for every kind of corruption."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import F
from django.test import override_settings
from django.utils import timezone

from contracts.models import Milestone
from contracts.services import milestone_approve, milestone_release_partial
from payments import accounts
from payments.ledger import ledger_post
from payments.models import AccountBalance, LedgerEntry, LedgerTransaction, Payout
from payments.services import clearances_due, payout_request
from tests.contracts.factories import (
    funded_milestone,
    milestone_in,
    run_gateway_calls,
    submitted_milestone,
    with_payout_account,
)

pytestmark = pytest.mark.django_db
S = Milestone.Status


def check_ledger(capsys) -> tuple[int, str]:
    """The exit code and everything printed, as a person running the command sees them."""
    code, last_line = 0, ""
    try:
        call_command("check_ledger")
    except CommandError as error:  # manage.py prints it as its last line and exits with its code
        code, last_line = error.returncode, f"CommandError: {error}\n"
    captured = capsys.readouterr()
    return code, captured.out + captured.err + last_line


def every_kind_of_money_move():
    """Funding, a partial release, approval, clearance, a withdrawal, a refund and a change round."""
    milestone = funded_milestone(amounts=(400_00, 600_00))
    client, freelancer = milestone.contract.client, milestone.contract.freelancer
    milestone_release_partial(milestone=milestone, by=client, amount_cents=100_00, intent="early-part")
    milestone_approve(milestone=milestone, by=client)
    clearances_due(now=timezone.now() + timedelta(days=settings.CLEARANCE_DAYS, minutes=1))
    payout_request(freelancer=with_payout_account(freelancer), amount_cents=200_00, key="withdraw-1")
    run_gateway_calls()
    milestone_in(S.REFUNDED)
    milestone_in(S.CHANGES_REQUESTED, client=client, freelancer=freelancer)
    return milestone


def test_a_healthy_ledger_after_real_money_moves_is_ok(capsys):
    every_kind_of_money_move()
    transactions, entries = LedgerTransaction.objects.count(), LedgerEntry.objects.count()
    assert transactions >= 8
    assert check_ledger(capsys) == (0, f"Ledger OK: {transactions} transactions, {entries} entries\n")


def test_a_second_pair_past_the_fee_tier_is_still_ok(capsys):
    # a release that crosses the 10% → 5% boundary pays each rate on its own part
    milestone = submitted_milestone(amounts=(12_000_00,))
    milestone_approve(milestone=milestone, by=milestone.contract.client)
    code, printed = check_ledger(capsys)
    assert (code, printed.startswith("Ledger OK")) == (0, True), printed


@pytest.mark.no_money_check
def test_an_unbalanced_transaction_is_reported(capsys):
    milestone = funded_milestone(amounts=(400_00,))
    fund = LedgerTransaction.objects.get(kind=LedgerTransaction.Kind.FUND, reference=milestone.ledger_reference)
    with transaction.atomic():
        LedgerEntry.objects.create(transaction=fund, account=accounts.PLATFORM_FEES, amount_cents=5)
        code, printed = check_ledger(capsys)
        # undone before PostgreSQL's deferred balance trigger would refuse it at the test's end
        transaction.set_rollback(True)
    assert code == 1
    assert f"VIOLATION: transaction {fund.pk} nets to 5" in printed
    assert printed.endswith("CommandError: Ledger check failed: 2 violation(s).\n")


@pytest.mark.no_money_check
def test_escrow_that_disagrees_with_the_milestone_is_reported(capsys):
    # the milestone says it released $150, the ledger only moved $100 out of escrow
    milestone = funded_milestone(amounts=(400_00,))
    milestone_release_partial(milestone=milestone, by=milestone.contract.client, amount_cents=100_00, intent="p1")
    Milestone.objects.filter(pk=milestone.pk).update(released_cents=F("released_cents") + 50_00)
    code, printed = check_ledger(capsys)
    assert code == 1
    assert f"VIOLATION: milestone {milestone.pk} (funded): escrow 30000 but it should hold 25000" in printed


@pytest.mark.no_money_check
def test_a_stored_balance_that_disagrees_with_its_entries_is_reported(capsys):
    milestone = submitted_milestone(amounts=(400_00,))
    milestone_approve(milestone=milestone, by=milestone.contract.client)
    pending = accounts.pending(milestone.contract.freelancer_id)
    AccountBalance.objects.filter(account=pending).update(balance_cents=F("balance_cents") + 1)
    code, printed = check_ledger(capsys)
    assert code == 1
    assert f"VIOLATION: {pending}: entries say 36000, balance says 36001" in printed


@pytest.mark.no_money_check
@pytest.mark.parametrize(
    "rule",
    [
        pytest.param({"FREELANCER_FEE_TIERS": [(None, 2000)]}, id="freelancer-fee"),
        pytest.param({"CLIENT_FEE_BPS": 300}, id="client-fee"),
    ],
)
def test_a_fee_that_does_not_follow_the_fee_rule_is_reported(capsys, rule):
    # the money moved under the default rule; the check is asked about another one
    milestone = submitted_milestone(amounts=(400_00,))
    milestone_approve(milestone=milestone, by=milestone.contract.client)
    with override_settings(**rule):
        code, printed = check_ledger(capsys)
    assert code == 1
    if "CLIENT_FEE_BPS" in rule:
        assert f"(fund:{milestone.pk}): client fee 0, the fee rule says 1200" in printed
    else:
        assert f"(release:{milestone.pk}): freelancer fee 4000 on 40000, the fee rule says 8000" in printed


@pytest.mark.no_money_check
def test_a_withdrawal_the_ledger_never_paid_is_reported(capsys):
    milestone = submitted_milestone(amounts=(400_00,))
    milestone_approve(milestone=milestone, by=milestone.contract.client)
    payout = Payout.objects.create(freelancer=milestone.contract.freelancer, amount_cents=50_00, idempotency_key="k")
    code, printed = check_ledger(capsys)
    assert code == 1
    assert f"VIOLATION: withdrawal {payout.pk} of 5000 has no ledger posting" in printed


@pytest.mark.no_money_check
def test_a_clearance_of_something_that_is_not_a_release_is_reported(capsys):
    milestone = submitted_milestone(amounts=(400_00,))
    milestone_approve(milestone=milestone, by=milestone.contract.client)
    pending = accounts.pending(milestone.contract.freelancer_id)
    fund = LedgerTransaction.objects.get(kind=LedgerTransaction.Kind.FUND)
    bogus, _ = ledger_post(
        kind=LedgerTransaction.Kind.CLEAR,
        key=f"clear:{fund.pk}",
        reference=milestone.ledger_reference,
        entries=[(pending, -100_00), (accounts.available(milestone.contract.freelancer_id), 100_00)],
    )
    code, printed = check_ledger(capsys)
    assert code == 1
    assert f"VIOLATION: transaction {bogus.pk} (clear:{fund.pk}) clears no release" in printed


@pytest.mark.no_money_check
def test_a_milestone_funded_twice_is_reported(capsys):
    milestone = funded_milestone(amounts=(400_00,))
    ledger_post(
        kind=LedgerTransaction.Kind.FUND,
        key="fund-again",
        reference=milestone.ledger_reference,
        entries=[(accounts.GATEWAY, -400_00), (accounts.escrow(milestone.ledger_reference), 400_00)],
    )
    code, printed = check_ledger(capsys)
    assert code == 1
    assert f"VIOLATION: fund of {milestone.ledger_reference} posted 2 times" in printed
    assert printed.count("VIOLATION:") >= 2  # and its escrow holds twice the amount
