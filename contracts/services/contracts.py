from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from contracts.models import Contract, ContractEvent, Milestone
from contracts.services._common import check_party, lock_contract, move_milestone, require_no_payment_processing
from contracts.services.milestones import withdraw_pending_edits
from core import transitions
from core.exceptions import DomainError, InvalidTransition
from core.moments import moment_for
from notifications.services import notify

END_NOTE_MAX_LENGTH = 500


def _end_reason_checked(reason: str, note: str) -> tuple[str, str]:
    errors = {}
    if reason and reason not in Contract.EndReasonDetail.values:
        errors["reason"] = ["Choose a reason from the list."]
    note = (note or "").strip()
    if len(note) > END_NOTE_MAX_LENGTH:
        errors["note"] = [f"Keep the note to {END_NOTE_MAX_LENGTH} characters or fewer."]
    if errors:
        raise ValidationError(errors)
    return reason, note


@transaction.atomic
def contract_end(*, contract: Contract, by, reason: str = "", note: str = "") -> Contract:
    """Either side ends a contract once no money is held, giving a reason (one of
    Contract.EndReasonDetail) and an optional note that the other party reads. It is completed when
    every milestone was settled and something was paid; when unfunded milestones are left (they are
    removed) or nothing was paid, it ended early. Held money must be released or refunded by
    agreement first. The pages and the API always send a reason; only internal callers (demo data)
    leave it blank."""
    reason, note = _end_reason_checked(reason, note)
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
    outcome = Contract.end_outcome(milestones)  # read before the unfunded ones are removed
    for milestone in milestones:
        if milestone.status == Milestone.Status.PENDING:
            move_milestone(
                milestone, to=Milestone.Status.CANCELLED, by=by, verb=ContractEvent.Verb.REMOVED, settled_at=now
            )
            withdraw_pending_edits(milestone, contract, note="The contract ended.")
    event_note = Contract.EndReason(outcome).label
    if reason:
        event_note += f" · {Contract.EndReasonDetail(reason).label}"
    contract = transitions.move(
        contract,
        to=Contract.Status.ENDED,
        by=by,
        event_model=ContractEvent,
        event_field="contract",
        note=event_note,
        refuse="This contract has already ended.",
        event={"verb": ContractEvent.Verb.ENDED},
        end_reason=outcome,
        end_reason_detail=reason,
        end_note=note,
        ended_at=now,
    )
    other = contract.freelancer if by.pk == contract.client_id else contract.client
    body = f"{by.display_name} ended it ({contract.get_end_reason_display().lower()})."
    if reason:
        body += f" Reason: {contract.get_end_reason_detail_display()}."
    if note:
        body += f"\n\n{note}"
    if any(m.released_cents for m in milestones):
        # Money was paid, so both may review: say until when, and that neither reads the other's first.
        closes = moment_for(other, now + timedelta(days=settings.REVIEW_WINDOW_DAYS))
        body += (
            f"\n\nReview each other by {closes} on the contract page. Neither of you reads the other's "
            "review before writing your own; both are published together."
        )
    notify(
        recipient=other,
        kind="contract.ended",
        title=f"Contract ended: “{contract.title}”",
        body=body,
        url=contract.get_absolute_url(),
    )
    return contract
