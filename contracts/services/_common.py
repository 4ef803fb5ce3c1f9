from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Sum

from contracts.models import Contract, ContractEvent, Milestone
from core import transitions
from core.exceptions import InvalidTransition, NotAllowed
from core.templatetags.core_tags import money
from payments.charges import processing_references
from payments.escrow import billing_pair_lock


def event(
    *,
    contract: Contract,
    verb: str,
    actor=None,
    milestone: Milestone | None = None,
    from_status: str = "",
    to_status: str = "",
    amount_cents: int | None = None,
    note: str = "",
) -> ContractEvent:
    """A timeline entry that moves no status (a status move writes its own through move_milestone)."""
    return ContractEvent.objects.create(
        contract=contract,
        milestone=milestone,
        actor=actor,
        verb=ContractEvent.Verb(verb),
        from_status=from_status,
        to_status=to_status,
        amount_cents=amount_cents,
        note=note[:500],
    )


def lock_contract(contract: Contract) -> Contract:
    return Contract.objects.select_for_update().get(pk=contract.pk)


def lock_milestone(milestone: Milestone) -> tuple[Contract, Milestone]:
    """Lock in the one order used everywhere: contract, then milestone (then the billing pair, then the ledger)."""
    contract = lock_contract(milestone.contract)
    return contract, Milestone.objects.select_for_update().select_related("contract").get(pk=milestone.pk)


def check_party(contract: Contract, user, *, role: str | None = None, action: str = "do this") -> None:
    if user is None:
        return
    if role == "client" and user.pk != contract.client_id:
        raise NotAllowed(f"Only the client can {action}.")
    if role == "freelancer" and user.pk != contract.freelancer_id:
        raise NotAllowed(f"Only the freelancer can {action}.")
    if user.pk not in (contract.client_id, contract.freelancer_id):
        raise NotAllowed("Only the client and the freelancer take part in this contract.")
    if user.is_suspended:
        raise NotAllowed("Your account is suspended, so money on contracts cannot move on your say-so now.")


def move_milestone(
    milestone: Milestone, *, to: str, by, verb: str, note: str = "", amount_cents: int | None = None, **changes
) -> Milestone:
    """A milestone moves through core.transitions; its event row is the contract's timeline entry."""
    return transitions.move(
        milestone,
        to=to,
        by=by,
        event_model=ContractEvent,
        event_field="milestone",
        note=note,
        event={"contract_id": milestone.contract_id, "verb": ContractEvent.Verb(verb), "amount_cents": amount_cents},
        **changes,
    )


def billed_before(contract: Contract) -> int:
    """What this client has paid this freelancer over all their contracts: the fee tiers' base.
    Read under the pair's lock, held until the caller's release commits."""
    billing_pair_lock(client_id=contract.client_id, freelancer_id=contract.freelancer_id)
    return (
        Milestone.objects.filter(
            contract__client_id=contract.client_id, contract__freelancer_id=contract.freelancer_id
        ).aggregate(total=Sum("released_cents"))["total"]
        or 0
    )


def milestone_url(milestone: Milestone) -> str:
    return milestone.contract.get_absolute_url() + f"#milestone-{milestone.pk}"


def require_active(contract: Contract) -> None:
    if not contract.is_active:
        raise InvalidTransition("This contract has ended, so its milestones can no longer change.")


def require_held(milestone: Milestone, *, to: str) -> None:
    """Money can move out of a milestone only while it is held and not frozen by a dispute."""
    if not milestone.is_held:
        raise InvalidTransition(f"This milestone is {milestone.get_status_display().lower()}; nothing is held to {to}.")


def require_not_disputed(milestone: Milestone) -> None:
    """A dispute freezes the milestone: only the dispute's own services move it until it ends."""
    if milestone.status == Milestone.Status.DISPUTED:
        raise InvalidTransition("This milestone is in dispute; it stays as it is until the dispute ends.")


def check_amount(amount_cents, *, most: int, what: str) -> int:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise ValidationError({"amount": ["Amounts are whole cents."]})
    if amount_cents <= 0:
        raise ValidationError({"amount": ["Enter an amount above zero."]})
    if amount_cents > most:
        raise ValidationError({"amount": [f"{what} is at most {money(most)}."]})
    return amount_cents


def require_no_payment_processing(contract: Contract, milestones) -> None:
    """A milestone whose card payment the processor has not confirmed yet cannot be changed,
    removed or ended with its contract: the payment would arrive for something that is gone.
    Called under the contract's lock, which payment_record takes too."""
    processing = processing_references(contract.payment_group)
    waiting = [m for m in milestones if m.ledger_reference in processing]
    if waiting:
        names = ", ".join(f"“{m.title}”" for m in waiting)
        raise InvalidTransition(
            f"A card payment for {names} is processing. Wait for it to finish (usually a few seconds), then try again."
        )
