"""The ledger's six invariants, each on its own, plus the balance CHECK and the PostgreSQL triggers.

1. every transaction nets to zero;
2. a milestone's escrow equals what it holds while held and zero once settled; no balance is negative;
3. funded = released + refunded + held per contract, the fee being part of what was released;
4. a milestone is released or refunded exactly once;
5. replaying a posting, a gateway call or a payout changes nothing;
6. entries are never updated or deleted (PostgreSQL refuses it); corrections are reversals.
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, InternalError, connection, transaction
from django.db.models import Sum

from contracts.invariants import money_problems
from contracts.models import Milestone
from contracts.services import (
    milestone_approve,
    milestone_fund,
    milestone_refund_offer,
    milestone_refund_request,
    milestone_release_partial,
    refund_request_accept,
)
from core.exceptions import DomainError, InvalidTransition
from payments import accounts
from payments.fees import freelancer_fee_cents
from payments.gateways import GatewayError, SandboxGateway
from payments.ledger import (
    IdempotencyConflict,
    InsufficientFunds,
    balance,
    ledger_post,
    ledger_problems,
    ledger_reverse,
)
from payments.models import AccountBalance, GatewayOperation, LedgerEntry, LedgerTransaction, Payout
from payments.services import clearances_due, payout_request
from tests.contracts.factories import (
    active_contract,
    escrow_of,
    funded_milestone,
    later,
    milestone_of,
    money_snapshot,
    pending_of,
    platform_fees,
    run_gateway_calls,
    submitted_milestone,
    with_payout_account,
)

pytestmark = pytest.mark.django_db

FUND = LedgerTransaction.Kind.FUND
S = Milestone.Status


def a_busy_contract():
    """A contract where money went every way: a full release after a partial one, a partial refund
    then a full one, a refund by agreement, and one milestone never funded."""
    contract = active_contract(amounts=(400_00, 300_00, 200_00, 100_00))
    client, freelancer = contract.client, contract.freelancer
    first, second, third, _ = (milestone_of(contract, i) for i in (1, 2, 3, 4))
    for milestone in (first, second, third):
        milestone_fund(milestone=milestone, by=client)
    milestone_release_partial(milestone=first, by=client, amount_cents=123_45)
    milestone_approve(milestone=first, by=client)
    milestone_refund_offer(milestone=second, by=freelancer, amount_cents=50_00)
    milestone_refund_offer(milestone=second, by=freelancer, amount_cents=250_00)
    request = milestone_refund_request(milestone=third, by=client, amount_cents=80_00)
    refund_request_accept(request=request, by=freelancer)
    return contract


# --- 1. every transaction nets to zero ------------------------------------------------------------


def test_every_transaction_nets_to_zero():
    # given a contract where money went every way
    a_busy_contract()
    # then each transaction's entries add up to zero, and the stored balances match the entries
    sums = LedgerEntry.objects.values("transaction_id").annotate(total=Sum("amount_cents"))
    assert len(sums) == LedgerTransaction.objects.count() >= 7
    assert {row["total"] for row in sums} == {0}
    assert ledger_problems() == []


@pytest.mark.parametrize(
    ("entries", "error"),
    [
        ([(accounts.GATEWAY, -100), ("escrow:test:1", 99)], ValueError),  # does not net to zero
        ([], ValueError),
        ([(accounts.GATEWAY, 0)], ValueError),  # nothing moves
        ([(accounts.GATEWAY, -1.5), ("escrow:test:1", 1.5)], TypeError),  # cents are integers
        ([(accounts.GATEWAY, False), ("escrow:test:1", True)], TypeError),
    ],
    ids=["unbalanced", "empty", "zero", "float", "bool"],
)
def test_ledger_post_refuses_what_would_not_balance(entries, error):
    with pytest.raises(error):
        ledger_post(kind=FUND, key="bad", reference="test:1", entries=entries)
    assert not LedgerTransaction.objects.exists()
    assert not AccountBalance.objects.exists()


# --- 2. escrow equals what is held; no balance is negative ------------------------------------------


def test_escrow_follows_what_is_held_and_is_zero_once_settled():
    # given a $400 milestone
    contract = active_contract(amounts=(400_00,))
    milestone = milestone_of(contract)
    client = contract.client
    assert escrow_of(milestone) == 0  # pending: nothing held
    steps = [
        lambda: milestone_fund(milestone=milestone, by=client),
        lambda: milestone_release_partial(milestone=milestone, by=client, amount_cents=100_00),
        lambda: milestone_refund_offer(milestone=milestone, by=contract.freelancer, amount_cents=50_00),
        lambda: milestone_approve(milestone=milestone, by=client),
    ]
    held = []
    for step in steps:
        step()
        milestone.refresh_from_db()
        # then after each move escrow holds exactly amount − released − refunded, while held
        assert escrow_of(milestone) == milestone.held_cents
        held.append(milestone.held_cents)
    assert held == [400_00, 300_00, 250_00, 0]
    assert milestone.status in Milestone.SETTLED
    assert money_problems() == []


def test_no_balance_but_the_gateway_goes_negative():
    a_busy_contract()
    totals = LedgerEntry.objects.values("account").annotate(total=Sum("amount_cents"))
    negative = [row["account"] for row in totals if row["total"] < 0]
    assert negative == [accounts.GATEWAY]
    assert not AccountBalance.objects.filter(balance_cents__lt=0).exists()


def refused_payout(account: str, amount_cents: int, *, key: str) -> None:
    """A payout of `amount_cents` from `account` to the gateway, refused as an overdraft."""
    with pytest.raises(InsufficientFunds):
        ledger_post(
            kind=LedgerTransaction.Kind.PAYOUT,
            key=key,
            reference="test:payout",
            entries=[(account, -amount_cents), (accounts.GATEWAY, amount_cents)],
        )


def test_an_overdraft_raises_insufficient_funds_and_posts_nothing():
    # given $100 in a freelancer's available balance
    ledger_post(
        kind=LedgerTransaction.Kind.CLEAR,
        key="seed",
        reference="test:seed",
        entries=[(accounts.GATEWAY, -100_00), (accounts.available(1), 100_00)],
    )
    before = money_snapshot()
    # when a posting would take it to -$0.01
    refused_payout(accounts.available(1), 100_01, key="too-much")
    # then nothing was posted, not even the transaction row
    assert money_snapshot() == before
    assert balance(accounts.available(1)) == 100_00
    assert not LedgerTransaction.objects.filter(idempotency_key="too-much").exists()


def test_an_overdraft_from_an_account_never_seen_posts_nothing():
    refused_payout(accounts.escrow("test:9"), 1, key="from-nothing")
    assert not LedgerTransaction.objects.exists()
    assert not AccountBalance.objects.exists()


def test_the_database_refuses_a_negative_balance_except_at_the_gateway():
    AccountBalance.objects.create(account="escrow:test:1", balance_cents=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountBalance.objects.filter(account="escrow:test:1").update(balance_cents=-1)
    assert AccountBalance.objects.get(account="escrow:test:1").balance_cents == 0
    with transaction.atomic():
        # the gateway may go negative (money that entered through the processor); undone afterwards
        AccountBalance.objects.create(account=accounts.GATEWAY, balance_cents=-5)
        transaction.set_rollback(True)


# --- 3. funded = released + refunded + held, fees inside released ----------------------------------


def test_funded_equals_released_plus_refunded_plus_held_per_contract():
    # given a contract where money went every way
    contract = a_busy_contract()
    milestones = list(contract.milestones.all())
    escrows = [accounts.escrow(m.ledger_reference) for m in milestones]
    funded = LedgerEntry.objects.filter(transaction__kind=FUND, account__in=escrows).aggregate(t=Sum("amount_cents"))[
        "t"
    ]
    released = sum(m.released_cents for m in milestones)
    refunded = sum(m.refunded_cents for m in milestones)
    held = sum(escrow_of(m) for m in milestones)
    # then every funded cent is accounted for
    assert (funded, released, refunded, held) == (900_00, 400_00, 380_00, 120_00)
    assert funded == released + refunded + held
    # and what was released went to the freelancer and the platform, nowhere else
    assert pending_of(contract.freelancer) + platform_fees() == released
    # and the platform got exactly the fee of each release, as payments.fees computes it on the
    # running total: $12.345 rounds up to $12.35, so the next part pays $27.65, $40.00 in all
    fees = [
        freelancer_fee_cents(amount_cents=123_45, billed_before_cents=0),
        freelancer_fee_cents(amount_cents=400_00 - 123_45, billed_before_cents=123_45),
    ]
    assert (
        platform_fees()
        == sum(fees)
        == 12_35 + 27_65
        == freelancer_fee_cents(amount_cents=400_00, billed_before_cents=0)
    )
    assert money_problems() == []


# --- 4. released or refunded exactly once -------------------------------------------------------------


def test_a_milestone_is_released_once():
    milestone = submitted_milestone()
    milestone_approve(milestone=milestone, by=milestone.contract.client)
    with pytest.raises(InvalidTransition):
        milestone_approve(milestone=milestone, by=milestone.contract.client)
    with pytest.raises(InvalidTransition):
        milestone_refund_offer(milestone=milestone, by=milestone.contract.freelancer, amount_cents=1)
    assert LedgerTransaction.objects.filter(kind="release", reference=milestone.ledger_reference).count() == 1
    assert not LedgerTransaction.objects.filter(kind="refund").exists()


def test_a_milestone_is_refunded_once():
    milestone = funded_milestone()
    contract = milestone.contract
    request = milestone_refund_request(milestone=milestone, by=contract.client)
    refund_request_accept(request=request, by=contract.freelancer)
    with pytest.raises(InvalidTransition):
        refund_request_accept(request=request, by=contract.freelancer)
    with pytest.raises(InvalidTransition):
        milestone_approve(milestone=milestone, by=contract.client)
    assert LedgerTransaction.objects.filter(kind="refund").count() == 1
    assert run_gateway_calls() == 1
    assert run_gateway_calls() == 0
    assert GatewayOperation.objects.filter(kind="refund").count() == 1
    assert not LedgerTransaction.objects.filter(kind="release").exists()


# --- 5. replays change nothing ------------------------------------------------------------------------


def test_replaying_a_posting_returns_the_first_transaction():
    entries = [(accounts.GATEWAY, -100), (accounts.escrow("test:1"), 100)]
    first, created = ledger_post(kind=FUND, key="fund:test:1", reference="test:1", entries=entries)
    assert created
    before = money_snapshot()
    # the same key and entries, in another order: the same transaction, nothing new
    again, created = ledger_post(kind=FUND, key="fund:test:1", reference="test:1", entries=list(reversed(entries)))
    assert (again.pk, created) == (first.pk, False)
    assert money_snapshot() == before
    # the same key for a different movement: refused
    with pytest.raises(IdempotencyConflict):
        ledger_post(
            kind=FUND, key="fund:test:1", reference="test:1", entries=[(accounts.GATEWAY, -101), ("escrow:test:1", 101)]
        )
    assert money_snapshot() == before
    assert balance(accounts.escrow("test:1")) == 100


def test_the_sandbox_gateway_replays_a_key_without_charging_twice():
    gateway = SandboxGateway()
    first = gateway.charge(amount_cents=400_00, currency="USD", key="fund:test", description="Test")
    again = gateway.charge(amount_cents=400_00, currency="USD", key="fund:test", description="Test")
    assert (first.replayed, again.replayed, again.reference) == (False, True, first.reference)
    assert GatewayOperation.objects.count() == 1
    with pytest.raises(GatewayError):
        gateway.charge(amount_cents=400_01, currency="USD", key="fund:test", description="Test")
    with pytest.raises(GatewayError):
        gateway.refund(key="fund:test", intent_id=first.reference, amount_cents=400_00, currency="USD", metadata={})
    with pytest.raises(GatewayError):
        gateway.refund(
            key="refund:too-much", intent_id=first.reference, amount_cents=400_01, currency="USD", metadata={}
        )
    with pytest.raises(GatewayError):
        gateway.transfer(key="transfer:zero", destination="acct_sandbox_1", amount_cents=0, currency="USD", metadata={})
    assert GatewayOperation.objects.count() == 1


def test_a_payout_with_the_same_key_pays_once():
    # given $360 available
    milestone = submitted_milestone(amounts=(400_00,))
    freelancer = with_payout_account(milestone.contract.freelancer)
    milestone_approve(milestone=milestone, by=milestone.contract.client)
    assert clearances_due(now=later(6)) == 1
    # when the withdrawal is sent twice with the same key
    first = payout_request(freelancer=freelancer, amount_cents=200_00, key="withdraw-abc")
    before = money_snapshot()
    again = payout_request(freelancer=freelancer, amount_cents=200_00, key="withdraw-abc")
    # then it was paid once
    assert again.pk == first.pk
    assert money_snapshot() == before
    assert Payout.objects.count() == 1
    assert run_gateway_calls() == 1
    before = money_snapshot()
    payout_request(freelancer=freelancer, amount_cents=200_00, key="withdraw-abc")
    assert run_gateway_calls() == 0
    assert GatewayOperation.objects.filter(kind="payout").count() == 1
    assert balance(accounts.available(freelancer.pk)) == 160_00
    # and the same key for another amount is refused
    with pytest.raises(DomainError):
        payout_request(freelancer=freelancer, amount_cents=100_00, key="withdraw-abc")
    assert money_snapshot() == before


def test_replaying_the_clearance_task_clears_once():
    milestone = submitted_milestone()
    milestone_approve(milestone=milestone, by=milestone.contract.client)
    assert [clearances_due(now=later(6)) for _ in range(3)] == [1, 0, 0]
    assert LedgerTransaction.objects.filter(kind="clear").count() == 1


# --- 6. append-only; corrections are reversals ---------------------------------------------------------


def test_a_reversal_nets_the_original_to_zero_and_leaves_it_untouched():
    original, _ = ledger_post(
        kind=FUND,
        key="fund:test:2",
        reference="test:2",
        entries=[(accounts.GATEWAY, -250), (accounts.escrow("test:2"), 200), (accounts.PLATFORM_FEES, 50)],
    )
    original_entries = list(original.entries.values_list("pk", "account", "amount_cents"))
    reversal = ledger_reverse(original=original, key="reverse:test:2")
    # then the reversal is the mirror image, linked to the original
    assert reversal.kind == LedgerTransaction.Kind.REVERSAL
    assert reversal.reverses == original
    assert sorted(reversal.entries.values_list("account", "amount_cents")) == sorted(
        (account, -amount) for _, account, amount in original_entries
    )
    # and together they net every account to zero
    for account in (accounts.GATEWAY, accounts.escrow("test:2"), accounts.PLATFORM_FEES):
        assert balance(account) == 0
    # and the original is as it was
    original.refresh_from_db()
    assert list(original.entries.values_list("pk", "account", "amount_cents")) == original_entries
    assert original.memo == ""
    # and reversing again with the same key is a no-op
    assert ledger_reverse(original=original, key="reverse:test:2").pk == reversal.pk
    assert LedgerTransaction.objects.count() == 2


def test_a_reversal_cannot_overdraw():
    original, _ = ledger_post(
        kind=FUND, key="fund:test:3", reference="test:3", entries=[(accounts.GATEWAY, -100), ("escrow:test:3", 100)]
    )
    ledger_post(
        kind=LedgerTransaction.Kind.REFUND,
        key="refund:test:3",
        reference="test:3",
        entries=[("escrow:test:3", -100), (accounts.GATEWAY, 100)],
    )
    with pytest.raises(InsufficientFunds):
        ledger_reverse(original=original, key="reverse:test:3")
    assert not LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.REVERSAL).exists()


@pytest.mark.no_money_check
def test_the_invariant_check_notices_a_broken_ledger():
    # given a funded milestone (the after-test check is off: this test breaks the ledger on purpose)
    milestone = funded_milestone()
    assert money_problems() == []
    # when its row says pending while escrow still holds the money, then the check says so
    Milestone.objects.filter(pk=milestone.pk).update(status=S.PENDING)
    assert any(f"milestone {milestone.pk} (pending): escrow" in p for p in money_problems())
    Milestone.objects.filter(pk=milestone.pk).update(status=S.FUNDED)
    assert money_problems() == []
    # when an entry is written behind ledger_post's back, then the check sees the unbalanced transaction
    txn = LedgerTransaction.objects.get()
    escrow = accounts.escrow(milestone.ledger_reference)
    with transaction.atomic():
        LedgerEntry.objects.create(transaction=txn, account=escrow, amount_cents=-1)
        problems = money_problems()
        # undone before PostgreSQL's deferred balance trigger would refuse it at the test's end
        transaction.set_rollback(True)
    # then it sees the unbalanced transaction and the stored escrow balance that no longer matches
    assert f"transaction {txn.pk} nets to -1" in problems
    assert any(p.startswith(f"{escrow}: entries say") for p in problems)
    # and the gateway, whose balance is its entries, still cannot take a stray entry unnoticed
    with transaction.atomic():
        LedgerEntry.objects.create(transaction=txn, account=accounts.GATEWAY, amount_cents=-1)
        problems = money_problems()
        transaction.set_rollback(True)
    assert f"transaction {txn.pk} nets to -1" in problems
    assert money_problems() == []


# --- PostgreSQL: the database keeps the ledger append-only and balanced -----------------------------------


def _posted():
    txn, _ = ledger_post(
        kind=FUND, key="fund:pg", reference="test:pg", entries=[(accounts.GATEWAY, -100), ("escrow:test:pg", 100)]
    )
    return txn, txn.entries.first()


def _insert_entry(txn_id: int, account: str, amount: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO payments_ledgerentry (transaction_id, account, amount_cents, currency) VALUES (%s, %s, %s, %s)",
            [txn_id, account, amount, "USD"],
        )


@pytest.mark.postgres
def test_postgres_refuses_updating_or_deleting_the_ledger_through_the_orm():
    txn, entry = _posted()
    attempts = [
        lambda: LedgerEntry.objects.filter(pk=entry.pk).update(amount_cents=1),
        lambda: LedgerEntry.objects.filter(pk=entry.pk).delete(),
        lambda: entry.delete(),
        lambda: LedgerTransaction.objects.filter(pk=txn.pk).update(memo="edited"),
    ]
    for attempt in attempts:
        with pytest.raises(InternalError, match="append-only"), transaction.atomic():
            attempt()
    # deleting the transaction is refused too (its entries protect it before the trigger does)
    with pytest.raises(DatabaseError), transaction.atomic():
        txn.delete()
    assert sorted(txn.entries.values_list("account", "amount_cents")) == [
        ("escrow:test:pg", 100),
        (accounts.GATEWAY, -100),
    ]
    assert LedgerTransaction.objects.get(pk=txn.pk).memo == ""


@pytest.mark.postgres
def test_postgres_refuses_raw_sql_updates_and_deletes():
    txn, entry = _posted()
    statements = [
        ("UPDATE payments_ledgerentry SET amount_cents = 5 WHERE id = %s", entry.pk),
        ("DELETE FROM payments_ledgerentry WHERE id = %s", entry.pk),
        ("UPDATE payments_ledgertransaction SET memo = 'x' WHERE id = %s", txn.pk),
        ("DELETE FROM payments_ledgertransaction WHERE id = %s", txn.pk),
    ]
    for sql, pk in statements:
        with pytest.raises(InternalError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [pk])
    assert txn.entries.count() == 2


@pytest.mark.postgres
def test_postgres_refuses_an_unbalanced_entry_once_constraints_are_checked():
    txn, _ = _posted()
    with pytest.raises(InternalError, match="does not net to zero"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        _insert_entry(txn.pk, accounts.GATEWAY, -1)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    assert txn.entries.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_refuses_an_unbalanced_transaction_at_commit():
    # when a transaction row and a lone entry are written by hand and committed
    with pytest.raises(InternalError, match="does not net to zero"), transaction.atomic():
        txn = LedgerTransaction.objects.create(kind=FUND, idempotency_key="raw:1", reference="test:raw")
        _insert_entry(txn.pk, accounts.GATEWAY, -5)
    # then the commit failed and nothing was stored
    assert not LedgerTransaction.objects.filter(idempotency_key="raw:1").exists()
    assert not LedgerEntry.objects.exists()
    # while a balanced pair written by hand in two statements commits (the check waits for the commit)
    with transaction.atomic():
        txn = LedgerTransaction.objects.create(kind=FUND, idempotency_key="raw:2", reference="test:raw")
        _insert_entry(txn.pk, accounts.GATEWAY, -5)
        _insert_entry(txn.pk, "external:elsewhere", 5)
        AccountBalance.objects.bulk_create(
            [
                AccountBalance(account=accounts.GATEWAY, balance_cents=-5),
                AccountBalance(account="external:elsewhere", balance_cents=5),
            ]
        )
    assert LedgerEntry.objects.filter(transaction__idempotency_key="raw:2").count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_an_overdraft_posts_nothing_after_commit():
    refused_payout(accounts.available(1), 1, key="overdraw")
    assert not LedgerTransaction.objects.exists()
    assert not AccountBalance.objects.exists()
