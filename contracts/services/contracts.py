from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from contracts.models import Contract, ContractEvent, Milestone
from contracts.services._common import check_party, lock_contract, move_milestone, require_no_payment_processing
from contracts.services.milestones import withdraw_pending_edits
from core import transitions
from core.exceptions import DomainError, InvalidTransition
from notifications.services import notify


@transaction.atomic
def contract_end(*, contract: Contract, by) -> Contract:
    """Either side ends a contract once no money is held. It is completed when every milestone was
    settled and something was paid; when unfunded milestones are left (they are removed) or nothing
    was paid, it ended early. Held money must be released or refunded by agreement first."""
    contract = lock_contract(contract)
    check_party(contract, by, action="end the contract")
    if not contract.is_active:
        raise InvalidTransition("This contract has already ended.")
    milestones = list(contract.milestones.select_for_update().order_by("pk"))
    held = [m for m in milestones if m.status in Milestone.HELD]
    if held:
        names = ", ".join(f"“{m.title}”" for m in held)
        raise DomainError(f"Money is still held for {names}. Approve it or agree a refund before ending the contract.")
    require_no_payment_processing(contract, [m for m in milestones if m.status == Milestone.Status.PENDING])
    now = timezone.now()
    unfinished = any(m.status == Milestone.Status.PENDING for m in milestones)
    for milestone in milestones:
        if milestone.status == Milestone.Status.PENDING:
            move_milestone(
                milestone, to=Milestone.Status.CANCELLED, by=by, verb=ContractEvent.Verb.REMOVED, settled_at=now
            )
            withdraw_pending_edits(milestone, contract, note="The contract ended.")
    paid = any(m.released_cents for m in milestones)
    reason = Contract.EndReason.COMPLETED if paid and not unfinished else Contract.EndReason.CANCELLED
    contract = transitions.move(
        contract,
        to=Contract.Status.ENDED,
        by=by,
        event_model=ContractEvent,
        event_field="contract",
        note=reason.label,
        refuse="This contract has already ended.",
        event={"verb": ContractEvent.Verb.ENDED},
        end_reason=reason,
        ended_at=now,
    )
    other = contract.freelancer if by.pk == contract.client_id else contract.client
    notify(
        recipient=other,
        kind="contract.ended",
        title=f"Contract ended: “{contract.title}”",
        body=f"{by.display_name} ended it ({contract.get_end_reason_display().lower()}).",
        url=contract.get_absolute_url(),
    )
    return contract
