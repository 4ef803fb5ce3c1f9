"""Contracts and milestones built through the real services, so every row, event and ledger
posting is the one production writes.

- `hire_offer` — a client publishes a project, a freelancer proposes, the client hires: an Offer;
- `active_contract` — the freelancer accepts that offer: an active Contract with its milestones;
- `funded_milestone`, `submitted_milestone`, `milestone_in(status)` — a milestone moved there by
  the services;
- small readers for what a person would notice: escrow, pending and available balances, fees,
  and a `money_snapshot` to prove that a refused call moved nothing (`nothing_moves` does both).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from contracts.models import Contract, ContractEvent, Milestone, Offer, RefundRequest
from contracts.services import (
    dispute_open,
    milestone_approve,
    milestone_cancel,
    milestone_edit_accept,
    milestone_fund,
    milestone_refund_offer,
    milestone_removal_propose,
    milestone_request_changes,
    milestone_submit,
    offer_accept,
)
from marketplace.models import Project
from marketplace.services import MilestoneTerms, proposal_hire
from notifications.models import Notification
from payments import accounts
from payments.ledger import balance
from payments.models import AccountBalance, GatewayOperation, LedgerEntry, LedgerTransaction, Payout
from tests.helpers import row as row  # the contracts tests read rows from here
from tests.marketplace.factories import in_days, new_client, new_freelancer, open_project, submit_proposal

DEFAULT_AMOUNTS = (400_00, 600_00)


def hire_offer(
    *,
    client: User | None = None,
    freelancer: User | None = None,
    amounts: tuple[int, ...] = DEFAULT_AMOUNTS,
    test_project: bool = False,
    change_rounds: int | None = None,
) -> Offer:
    """A client hires a freelancer's proposal with milestones of `amounts`; the offer it makes."""
    client = client or new_client()
    freelancer = freelancer or new_freelancer()
    total = sum(amounts)
    if test_project:
        assert len(amounts) == 1, "a paid test project has exactly one milestone"
        project = open_project(client=client, kind=Project.Kind.TEST, budget_min_cents=total, budget_max_cents=total)
    else:
        project = open_project(client=client, budget_min_cents=total, budget_max_cents=total)
    milestones = [
        MilestoneTerms(title=f"Milestone {i}", amount_cents=amount, due_date=in_days(10 * i))
        for i, amount in enumerate(amounts, start=1)
    ]
    proposal = submit_proposal(project=project, freelancer=freelancer, bid_cents=total, milestones=milestones)
    rounds = settings.DEFAULT_CHANGE_ROUNDS if change_rounds is None else change_rounds
    with override_settings(DEFAULT_CHANGE_ROUNDS=rounds):
        proposal_hire(proposal=proposal, by=client)
    return Offer.objects.get(proposal=proposal)


def active_contract(**kwargs) -> Contract:
    """An active contract: `hire_offer(**kwargs)` accepted by the freelancer."""
    offer = hire_offer(**kwargs)
    return offer_accept(offer=offer, by=offer.freelancer)


def milestone_of(contract: Contract, position: int = 1) -> Milestone:
    return contract.milestones.get(position=position)


def funded_milestone(**kwargs) -> Milestone:
    """The first milestone of a new contract, funded by the client with the sandbox card."""
    milestone = milestone_of(active_contract(**kwargs))
    return milestone_fund(milestone=milestone, by=milestone.contract.client)


def submitted_milestone(**kwargs) -> Milestone:
    """The first milestone of a new contract, funded and delivered."""
    milestone = funded_milestone(**kwargs)
    milestone_submit(milestone=milestone, by=milestone.contract.freelancer, message="Here is the work.")
    milestone.refresh_from_db()
    return milestone


def move_to(milestone: Milestone, status: str, *, after_funding=None) -> Milestone:
    """Move a PENDING milestone to `status` through the services (DISPUTED: funded, delivered, and
    disputed by the client, who asks for all of it back).

    `after_funding(milestone)` runs right after funding (e.g. to ask for a refund while funded)."""
    contract = milestone.contract
    client, freelancer = contract.client, contract.freelancer
    S = Milestone.Status
    assert milestone.status == S.PENDING
    if status == S.PENDING:
        return milestone
    if status == S.CANCELLED:
        if milestone.is_change_order:
            return milestone_cancel(milestone=milestone, by=client)
        # a milestone of the agreed terms goes by agreement: one side proposes, the other accepts
        edit = milestone_removal_propose(milestone=milestone, by=client)
        return milestone_edit_accept(edit=edit, by=freelancer)
    milestone_fund(milestone=milestone, by=client)
    if after_funding is not None:
        after_funding(milestone)
    if status == S.RELEASED:
        milestone_approve(milestone=milestone, by=client)
    elif status == S.REFUNDED:
        milestone_refund_offer(milestone=milestone, by=freelancer, amount_cents=milestone.amount_cents)
    elif status in (S.SUBMITTED, S.CHANGES_REQUESTED, S.DISPUTED):
        milestone_submit(milestone=milestone, by=freelancer, message="Here is the work.")
        if status == S.CHANGES_REQUESTED:
            milestone_request_changes(milestone=milestone, by=client, reason="The export is missing.")
        if status == S.DISPUTED:
            dispute_open(
                milestone=milestone,
                by=client,
                reason="quality",
                description="The export does not work.",
                asked_cents=milestone.amount_cents,
            )
    milestone.refresh_from_db()
    assert milestone.status == status
    return milestone


def milestone_in(status: str, **kwargs) -> Milestone:
    """The first milestone of a new contract, in `status`."""
    return move_to(milestone_of(active_contract(**kwargs)), status)


def refund_request_on(milestone: Milestone, *, amount_cents: int | None = None) -> RefundRequest:
    """A pending refund request as the client would make it (the row is written directly when the
    milestone is in a state where the service would refuse to create one)."""
    return RefundRequest.objects.create(
        milestone=milestone, amount_cents=amount_cents or milestone.amount_cents, reason="Not needed any more."
    )


# --- What a person would notice ----------------------------------------------------------------


def escrow_of(milestone: Milestone) -> int:
    return balance(accounts.escrow(milestone.ledger_reference))


def pending_of(user: User) -> int:
    return balance(accounts.pending(user.pk))


def available_of(user: User) -> int:
    return balance(accounts.available(user.pk))


def platform_fees() -> int:
    return balance(accounts.PLATFORM_FEES)


def gateway_balance() -> int:
    return balance(accounts.GATEWAY)


def money_snapshot() -> dict:
    """Everything a money move touches: ledger, balances, gateway calls, payouts, events, notifications."""
    return {
        "transactions": list(LedgerTransaction.objects.order_by("pk").values_list("pk", "kind", "idempotency_key")),
        "entries": list(LedgerEntry.objects.order_by("pk").values_list("pk", "account", "amount_cents")),
        "balances": dict(AccountBalance.objects.values_list("account", "balance_cents")),
        "gateway": list(GatewayOperation.objects.order_by("pk").values_list("pk", "kind", "amount_cents")),
        "payouts": list(Payout.objects.order_by("pk").values_list("pk", "amount_cents")),
        "milestones": list(Milestone.objects.order_by("pk").values()),
        "refund_requests": list(RefundRequest.objects.order_by("pk").values_list("pk", "status")),
        "events": ContractEvent.objects.count(),
        "notifications": Notification.objects.count(),
    }


@contextmanager
def nothing_moves(expected: type[Exception]) -> Iterator[pytest.ExceptionInfo]:
    """The call inside is refused with `expected`, and the money and milestones are as they were."""
    before = money_snapshot()
    with pytest.raises(expected) as refused:
        yield refused
    assert money_snapshot() == before


def postings(kind: str, reference: str) -> list[dict[str, int]]:
    """The entries of each `kind` transaction about `reference`, as {account: amount}."""
    return [
        dict(txn.entries.values_list("account", "amount_cents"))
        for txn in LedgerTransaction.objects.filter(kind=kind, reference=reference).order_by("pk")
    ]


def later(days: float) -> datetime:
    return timezone.now() + timedelta(days=days)


def with_payout_account(user: User) -> User:
    """The freelancer adds a (sandbox) payout account, as on the earnings page: withdrawals go to it."""
    from payments.payout_accounts import payout_account_start

    payout_account_start(
        user=user,
        return_url="",
        refresh_url="",
        details={
            "holder": user.get_full_name() or "Test Holder",
            "routing_number": "110000000",
            "account_number": "000123456789",
        },
    )
    return user


def run_gateway_calls() -> int:
    """Carry out the refunds and transfers waiting in the outbox, as the task after commit does
    (tests run inside one transaction, so nothing is ever committed for it to follow)."""
    from payments.outbox import calls_sweep

    return calls_sweep(now=timezone.now() + timedelta(seconds=1))
