"""What contracts does when payments reports something (payments.listeners): the milestone a
payment was for is funded, a card chargeback freezes the milestone and tells staff, and the
people concerned hear about withdrawals, payout accounts and refunds the processor refused."""

from __future__ import annotations

from django.db import transaction
from django.template.defaultfilters import pluralize
from django.urls import reverse

from accounts.models import User
from accounts.services import client_payment_method_verified
from contracts.models import Milestone
from contracts.services._common import lock_milestone, milestone_url
from contracts.services.disputes import dispute_open_chargeback
from contracts.services.milestones import milestone_payment_succeeded
from core.templatetags.core_tags import money
from notifications.services import notify
from payments import listeners


def _staff():
    return User.objects.filter(is_staff=True, is_active=True)


def _tell_staff(*, kind: str, title: str, body: str, url: str = "") -> None:
    for person in _staff():
        notify(recipient=person, kind=kind, title=title, body=body, url=url or reverse("moderation_home"))


def on_payment_succeeded(*, payment) -> None:
    milestone_payment_succeeded(payment=payment)


def on_payment_failed(*, payment, payer_present: bool) -> None:
    """A decline the client did not see on the fund page (Stripe's webhook, the sweeper) is told."""
    milestone = _milestone_of(payment)
    if milestone is None or payer_present:
        return
    notify(
        recipient=milestone.contract.client,
        kind="milestone.payment_failed",
        title=f"Payment declined: “{milestone.title}”",
        body=payment.failure_message,
        url=reverse("milestone_fund", args=[milestone.pk]),
    )


def on_card_saved(*, user_id: int) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is not None:
        client_payment_method_verified(user=user)


def _milestone_of(payment) -> Milestone | None:
    kind, _, pk = payment.reference.partition(":")
    if kind != "milestone" or not pk.split(":")[0].isdigit():
        return None
    return Milestone.objects.select_related("contract").filter(pk=int(pk.split(":")[0])).first()


@transaction.atomic
def on_charge_disputed(*, payment, reason: str, amount_cents: int) -> None:
    """A chargeback at the card's bank: what the payment holds is frozen until staff decide."""
    milestone = _milestone_of(payment)
    if milestone is None:
        return
    contract, milestone = lock_milestone(milestone)
    note = f"The client's bank opened a chargeback ({reason.replace('_', ' ')}, {money(amount_cents)})."
    # Its held money freezes in a dispute that goes straight to the staff queue.
    dispute_open_chargeback(milestone=milestone, reason=reason, amount_cents=amount_cents)
    for person in (contract.client, contract.freelancer):
        notify(
            recipient=person,
            kind="milestone.chargeback",
            title=f"Payment disputed at the bank: “{milestone.title}”",
            body=note + " The money stays held until staff decide.",
            url=milestone_url(milestone),
        )
    _tell_staff(
        kind="staff.chargeback",
        title=f"Chargeback on “{milestone.title}” ({money(amount_cents)})",
        body=f"{note} Contract {contract.pk}: {contract.title}.",
        url=milestone_url(milestone),
    )


def on_refund_failed(*, call) -> None:
    _tell_staff(
        kind="staff.refund_failed",
        title=f"A refund of {money(call.amount_cents)} could not be made",
        body=f"{call.idempotency_key}: {call.last_error or 'refused by the processor'}. The ledger already "
        "returned it to the client; pay it back by hand and note it.",
    )


def on_transfer_partly_reversed(*, call, amount_cents: int) -> None:
    _tell_staff(
        kind="staff.refund_failed",
        title=f"Part of a withdrawal came back: {money(amount_cents)} of {money(call.amount_cents)}",
        body=f"{call.idempotency_key} (withdrawal {call.payout_id}) was partly reversed at the processor. Settle "
        "the freelancer's balance by hand and note it.",
    )


def on_payout_sent(*, payout) -> None:
    notify(
        recipient=payout.freelancer,
        kind="payout.sent",
        title=f"Withdrawal of {money(payout.amount_cents)} sent",
        body=f"It is on its way to {payout.destination or 'your payout account'}; banks take 1–3 business days.",
        url=reverse("earnings"),
    )


def on_payout_returned(*, payout, reason: str) -> None:
    notify(
        recipient=payout.freelancer,
        kind="payout.returned",
        title=f"Withdrawal of {money(payout.amount_cents)} returned to your balance",
        body=reason,
        url=reverse("earnings"),
    )


def on_payout_account_updated(*, account) -> None:
    user = User.objects.filter(pk=account.user_id).first()
    if user is None:
        return
    notify(
        recipient=user,
        kind="payout_account.updated",
        title="Your payout account can receive withdrawals"
        if account.payouts_enabled
        else "Your payout account needs attention",
        body="" if account.payouts_enabled else (account.disabled_reason or "Finish the steps Stripe asks for."),
        url=reverse("earnings"),
    )


def on_bank_payout_failed(*, bank_payout) -> None:
    user = User.objects.filter(pk=bank_payout.account.user_id).first()
    if user is not None:
        notify(
            recipient=user,
            kind="payout.bank_failed",
            title=f"Your bank refused a payout of {money(bank_payout.amount_cents)}",
            body=bank_payout.failure_message or "Check your bank details in your payout account.",
            url=reverse("earnings"),
        )


def on_reconciliation_differences(*, run) -> None:
    _tell_staff(
        kind="staff.reconciliation",
        title=f"Payments reconciliation: {run.differences} difference{pluralize(run.differences)}",
        body=run.error or "Our books and the processor's disagree; see the list in the moderation area.",
    )


def register() -> None:
    listeners.listen(listeners.PAYMENT_SUCCEEDED, on_payment_succeeded)
    listeners.listen(listeners.PAYMENT_FAILED, on_payment_failed)
    listeners.listen(listeners.CARD_SAVED, on_card_saved)
    listeners.listen(listeners.CHARGE_DISPUTED, on_charge_disputed)
    listeners.listen(listeners.REFUND_FAILED, on_refund_failed)
    listeners.listen(listeners.PAYOUT_SENT, on_payout_sent)
    listeners.listen(listeners.PAYOUT_RETURNED, on_payout_returned)
    listeners.listen(listeners.PAYOUT_ACCOUNT_UPDATED, on_payout_account_updated)
    listeners.listen(listeners.TRANSFER_PARTLY_REVERSED, on_transfer_partly_reversed)
    listeners.listen(listeners.BANK_PAYOUT_FAILED, on_bank_payout_failed)
    listeners.listen(listeners.RECONCILIATION_DIFFERENCES, on_reconciliation_differences)
