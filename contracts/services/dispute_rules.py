"""What the dispute services share: who is who, amounts and texts checked, the lock order
(contract → milestone → dispute), moves through core.transitions, notifications, and the end
of a dispute with its money (resolve: split_disputed, key split:<milestone>)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from contracts.models import ContractEvent, Dispute, DisputeEvent, DisputeProposal, DisputeProposalEvent, Milestone
from contracts.services._common import event, lock_milestone, milestone_url
from contracts.services.refunds import split_disputed
from core import transitions
from core.moments import moment_for
from core.templatetags.core_tags import money
from notifications.services import notify

TEXT_MAX = 4000
NOTE_MAX = 500
MAX_EVIDENCE_FILES = 10
MAX_EVIDENCE_TOTAL = 30
DISPUTABLE = (Milestone.Status.FUNDED, Milestone.Status.SUBMITTED, Milestone.Status.CHANGES_REQUESTED)


# --- reading the parties -------------------------------------------------------------------------


def role_of(dispute: Dispute, user) -> str:
    if user.pk == dispute.contract.client_id:
        return "client"
    if user.pk == dispute.contract.freelancer_id:
        return "freelancer"
    return ""


def other_party(dispute: Dispute, user) -> User:
    contract = dispute.contract
    return contract.freelancer if user.pk == contract.client_id else contract.client


def split_words(dispute: Dispute, freelancer_cents: int) -> str:
    return (
        f"{money(freelancer_cents)} to the freelancer and {money(dispute.held_cents - freelancer_cents)} "
        "back to the client"
    )


def default_outcome_words(dispute: Dispute, *, reader=None) -> str:
    """What happens if the respondent does not respond in time, as both sides read it from the start
    (in the reader's timezone: a notification's recipient; on a page, the viewer's)."""
    return (
        f"If there is no response by {moment_for(reader, dispute.respond_by)}, "
        f"what was asked applies: {split_words(dispute, dispute.asked_freelancer_cents)}."
    )


def check_cents(value, *, held: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({field: ["Amounts are whole cents."]})
    if not 0 <= value <= held:
        raise ValidationError({field: [f"Choose an amount from {money(0)} to {money(held)}, what is held."]})
    return value


def check_text(value, *, field: str, required: bool = True, most: int = TEXT_MAX) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationError({field: ["Say what happened, in a few sentences."]})
    if len(text) > most:
        raise ValidationError({field: [f"Keep it under {most} characters."]})
    return text


def lock_dispute(dispute: Dispute) -> tuple[Dispute, Milestone]:
    contract, milestone = lock_milestone(dispute.milestone)
    current = transitions.lock(dispute)
    current.contract, current.milestone = contract, milestone
    return current, milestone


def move_dispute(dispute: Dispute, *, to: str, by, note: str = "", **changes) -> Dispute:
    moved = transitions.move(
        dispute, to=to, by=by, event_model=DisputeEvent, event_field="dispute", note=note[:500], **changes
    )
    moved.contract, moved.milestone = dispute.contract, dispute.milestone
    return moved


def tell(dispute: Dispute, people, *, title: str, body: str) -> None:
    for person in people:
        if person is not None:
            notify(
                recipient=person, kind="dispute.updated", title=title, body=body, url=milestone_url(dispute.milestone)
            )


def tell_staff(dispute: Dispute, *, title: str, body: str) -> None:
    moderators = User.objects.filter(is_staff=True, is_active=True)
    for person in moderators:
        notify(recipient=person, kind="staff.dispute", title=title, body=body, url=reverse("moderation_home"))


def can_decide(user) -> bool:
    return bool(user and user.is_authenticated and user.is_staff and user.has_perm("accounts.moderate"))


def move_proposal(proposal: DisputeProposal, *, to: str, by, note: str = "") -> DisputeProposal:
    return transitions.move(
        proposal, to=to, by=by, event_model=DisputeProposalEvent, event_field="proposal", note=note[:500]
    )


def close_proposals(dispute: Dispute, *, by) -> None:
    for proposal in dispute.proposals.filter(status=DisputeProposal.Status.PENDING):
        move_proposal(proposal, to=DisputeProposal.Status.WITHDRAWN, by=by, note="The dispute ended.")


def resolve(
    dispute: Dispute, milestone: Milestone, *, to: str, by, freelancer_cents: int, rationale: str = ""
) -> Dispute:
    """End the dispute with an outcome and move the money of it (split_disputed) in this transaction."""
    now = timezone.now()
    words = split_words(dispute, freelancer_cents)
    dispute = move_dispute(
        dispute,
        to=to,
        by=by,
        note=words,
        outcome_freelancer_cents=freelancer_cents,
        rationale=rationale,
        decided_by=by if to == Dispute.Status.DECIDED else None,
        resolved_at=now,
    )
    close_proposals(dispute, by=by)
    how = {
        Dispute.Status.SETTLED: "Settled by both sides",
        Dispute.Status.DECIDED: "Decided by staff",
        Dispute.Status.DEFAULTED: "No response in time, so what was asked applies",
    }[to]
    split_disputed(dispute.contract, milestone, by=by, freelancer_cents=freelancer_cents, note=f"{how}.")
    event(
        contract=dispute.contract,
        milestone=milestone,
        verb=ContractEvent.Verb.DISPUTE_RESOLVED,
        actor=by,
        amount_cents=freelancer_cents,
        note=f"{how}: {words}."[:500],
    )
    tell(
        dispute,
        [dispute.contract.client, dispute.contract.freelancer],
        title=f"Dispute over “{milestone.title}” resolved",
        body=f"{how}: {words}." + (f" The moderator's reasons: {rationale}" if rationale else ""),
    )
    return dispute
