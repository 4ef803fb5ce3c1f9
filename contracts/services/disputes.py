"""Disputes over a milestone's held money (contracts/models/disputes.py has the rules).

Every service locks contract → milestone → dispute, re-checks the move against the dispute's
table, and moves the money of an outcome through split_disputed (key split:<milestone>) in the
same transaction, so an outcome reached twice at once (a settlement racing a staff decision or
a deadline) moves the money once and the second is refused.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from contracts.models import ContractEvent, Dispute, DisputeEvidence, DisputeProposal, Milestone
from contracts.services._common import check_party, lock_milestone, milestone_url, move_milestone
from contracts.services.dispute_rules import (
    DISPUTABLE,
    MAX_EVIDENCE_FILES,
    MAX_EVIDENCE_TOTAL,
    NOTE_MAX,
    can_decide,
    check_cents,
    check_text,
    close_proposals,
    default_outcome_words,
    lock_dispute,
    move_dispute,
    move_proposal,
    other_party,
    resolve,
    role_of,
    split_words,
    tell,
)
from contracts.services.refunds import cancel_pending_refund_requests
from core import transitions
from core.exceptions import InvalidTransition, NotAllowed
from core.files import check_uploads
from core.templatetags.core_tags import money
from notifications.services import notify

# --- opening -------------------------------------------------------------------------------------


@transaction.atomic
def dispute_open(*, milestone: Milestone, by, reason: str, description: str, asked_cents: int, files=()) -> Dispute:
    """A party disputes a funded, submitted or changes-requested milestone. `asked_cents` is what
    the filer asks for themselves (the freelancer: paid to them; the client: back to them), from
    nothing to all that is held. The escrow freezes; the other side has DISPUTE_RESPONSE_DAYS."""
    contract, milestone = lock_milestone(milestone)
    check_party(contract, by, action="open a dispute")
    if milestone.status == Milestone.Status.DISPUTED:
        raise InvalidTransition("This milestone is already in dispute.")
    if milestone.status not in DISPUTABLE:
        raise InvalidTransition(
            f"This milestone is {milestone.get_status_display().lower()}: only money still held can be disputed."
        )
    if reason not in Dispute.Reason.values or reason == Dispute.Reason.CHARGEBACK:
        raise ValidationError({"reason": ["Choose a reason from the list."]})
    description = check_text(description, field="description")
    held = milestone.held_cents
    asked = check_cents(asked_cents, held=held, field="asked_cents")
    filer = Dispute.Filer.CLIENT if by.pk == contract.client_id else Dispute.Filer.FREELANCER
    now = timezone.now()
    dispute = _create(
        milestone,
        contract,
        by=by,
        filer=filer,
        reason=reason,
        description=description,
        asked_freelancer_cents=asked if filer == Dispute.Filer.FREELANCER else held - asked,
        status=Dispute.Status.OPEN,
        respond_by=now + timedelta(days=settings.DISPUTE_RESPONSE_DAYS),
    )
    _attach(dispute, by=by, files=files)
    other = other_party(dispute, by)
    asked_words = f"{money(asked)} {'paid to them' if filer == Dispute.Filer.FREELANCER else 'back to them'}"
    notify(
        recipient=other,
        kind="dispute.opened",
        title=f"{by.display_name} opened a dispute on “{milestone.title}”",
        body=f"They ask for {asked_words}. Respond within {settings.DISPUTE_RESPONSE_DAYS} days with your account "
        f"and the amount you think is fair. {default_outcome_words(dispute, reader=other)}",
        url=milestone_url(milestone),
    )
    return dispute


def _create(milestone: Milestone, contract, *, by, filer: str, **fields) -> Dispute:
    """Freeze the milestone's escrow and write the dispute (the milestone and contract are locked)."""
    left = None
    if milestone.status == Milestone.Status.SUBMITTED and milestone.auto_release_at:
        left = max(0, int((milestone.auto_release_at - timezone.now()).total_seconds()))
    before = milestone.status
    held = milestone.held_cents
    cancel_pending_refund_requests(milestone, contract, note="A dispute was opened.")
    milestone = move_milestone(
        milestone,
        to=Milestone.Status.DISPUTED,
        by=by,
        verb=ContractEvent.Verb.CHARGEBACK if filer == Dispute.Filer.BANK else ContractEvent.Verb.DISPUTE_OPENED,
        amount_cents=held,
        note=fields["description"] if filer == Dispute.Filer.BANK else Dispute.Reason(fields["reason"]).label,
        auto_release_at=None,
    )
    try:
        with transaction.atomic():
            dispute = Dispute.objects.create(
                milestone=milestone,
                contract=contract,
                filer=filer,
                opened_by=by,
                held_cents=held,
                milestone_status_before=before,
                auto_release_left_seconds=left,
                **fields,
            )
    except IntegrityError:  # a second open dispute raced this one on SQLite (no row locks)
        raise InvalidTransition("This milestone is already in dispute.") from None
    dispute.contract, dispute.milestone = contract, milestone
    return dispute


def dispute_open_chargeback(*, milestone: Milestone, reason: str, amount_cents: int) -> Dispute | None:
    """A card chargeback at the client's bank: the milestone's held money freezes and the dispute
    goes straight to staff (the bank decides the card side; staff decide what the freelancer keeps).
    The milestone is locked by the caller. An open dispute already there simply stays."""
    contract = milestone.contract
    if milestone.status == Milestone.Status.DISPUTED:
        return Dispute.objects.filter(milestone=milestone, status__in=Dispute.OPEN_STATUSES).first()
    if milestone.status not in DISPUTABLE:
        return None
    note = f"The client's bank opened a chargeback ({reason.replace('_', ' ')}, {money(amount_cents)})."
    return _create(
        milestone,
        contract,
        by=None,
        filer=Dispute.Filer.BANK,
        reason=Dispute.Reason.CHARGEBACK,
        description=note,
        asked_freelancer_cents=0,
        status=Dispute.Status.ESCALATED,
        escalated_at=timezone.now(),
    )


def _attach(dispute: Dispute, *, by, files, note: str = "") -> list[DisputeEvidence]:
    files = list(files)
    if not files:
        return []
    if len(files) > MAX_EVIDENCE_FILES:
        raise ValidationError({"files": [f"Attach at most {MAX_EVIDENCE_FILES} files at a time."]})
    if dispute.evidence.count() + len(files) > MAX_EVIDENCE_TOTAL:
        raise ValidationError({"files": [f"A dispute holds at most {MAX_EVIDENCE_TOTAL} files."]})
    check_uploads(files)
    saved = []
    for upload in files:
        item = DisputeEvidence.build(upload, dispute=dispute, by=by, note=note)
        item.save()
        saved.append(item)
    return saved


@transaction.atomic
def dispute_add_evidence(*, dispute: Dispute, by, files, note: str = "") -> list[DisputeEvidence]:
    """Either side (or a moderator) adds files while the dispute is open: screenshots, the work,
    messages exported. Each file's type comes from its bytes; the same limits as delivered work."""
    dispute, _ = lock_dispute(dispute)
    if not can_decide(by):
        check_party(dispute.contract, by, action="add evidence")
    if not dispute.is_open:
        raise InvalidTransition(f"This dispute is {dispute.get_status_display().lower()}: evidence is closed.")
    note = check_text(note, field="note", required=False, most=300)
    if not list(files):
        raise ValidationError({"files": ["Attach at least one file."]})
    return _attach(dispute, by=by, files=files, note=note)


# --- answering and settling ------------------------------------------------------------------------


@transaction.atomic
def dispute_respond(*, dispute: Dispute, by, response: str, asked_cents: int, files=()) -> Dispute:
    """The respondent gives their account and what they think is fair for themselves. If it is what
    the filer asked, the dispute settles at once; otherwise they have DISPUTE_SETTLEMENT_DAYS."""
    dispute, milestone = lock_dispute(dispute)
    check_party(dispute.contract, by, action="respond to a dispute")
    if by.pk != dispute.respondent_user_id():
        raise NotAllowed("Only the other side responds to a dispute; add to it with a proposal instead.")
    if dispute.status != Dispute.Status.OPEN:
        raise InvalidTransition(f"This dispute is {dispute.get_status_display().lower()}: it was already answered.")
    if timezone.now() > dispute.respond_by:
        raise InvalidTransition("The time to respond has passed: the default outcome applies.")
    response = check_text(response, field="response")
    asked = check_cents(asked_cents, held=dispute.held_cents, field="asked_cents")
    freelancer_cents = asked if role_of(dispute, by) == "freelancer" else dispute.held_cents - asked
    _attach(dispute, by=by, files=files)
    if freelancer_cents == dispute.asked_freelancer_cents:
        dispute = move_dispute(
            dispute,
            to=Dispute.Status.RESPONDED,
            by=by,
            response=response,
            response_freelancer_cents=freelancer_cents,
        )
        return resolve(dispute, milestone, to=Dispute.Status.SETTLED, by=by, freelancer_cents=freelancer_cents)
    dispute = move_dispute(
        dispute,
        to=Dispute.Status.RESPONDED,
        by=by,
        response=response,
        response_freelancer_cents=freelancer_cents,
        settle_by=timezone.now() + timedelta(days=settings.DISPUTE_SETTLEMENT_DAYS),
    )
    tell(
        dispute,
        [other_party(dispute, by)],
        title=f"{by.display_name} responded to the dispute on “{milestone.title}”",
        body=f"They propose {split_words(dispute, freelancer_cents)}. Settle within "
        f"{settings.DISPUTE_SETTLEMENT_DAYS} days by agreeing a split, or staff decide.",
    )
    return dispute


@transaction.atomic
def dispute_propose(*, dispute: Dispute, by, freelancer_cents: int, note: str = "") -> DisputeProposal:
    """Either side offers a split of what is held; a newer offer of theirs replaces the older one."""
    dispute, milestone = lock_dispute(dispute)
    check_party(dispute.contract, by, action="propose a settlement")
    if not dispute.is_open:
        raise InvalidTransition(f"This dispute is {dispute.get_status_display().lower()}.")
    freelancer_cents = check_cents(freelancer_cents, held=dispute.held_cents, field="freelancer_cents")
    note = check_text(note, field="note", required=False, most=NOTE_MAX)
    for older in dispute.proposals.filter(by=by, status=DisputeProposal.Status.PENDING):
        move_proposal(older, to=DisputeProposal.Status.WITHDRAWN, by=by, note="Replaced by a newer proposal.")
    proposal = DisputeProposal.objects.create(dispute=dispute, by=by, freelancer_cents=freelancer_cents, note=note)
    tell(
        dispute,
        [other_party(dispute, by)],
        title=f"{by.display_name} proposes a settlement of “{milestone.title}”",
        body=f"{split_words(dispute, freelancer_cents)}. Accept it and the dispute ends at once."
        + (f" “{note}”" if note else ""),
    )
    return proposal


def _locked_proposal(proposal: DisputeProposal, by) -> tuple[Dispute, Milestone, DisputeProposal]:
    dispute, milestone = lock_dispute(proposal.dispute)
    check_party(dispute.contract, by, action="answer a settlement proposal")
    proposal = transitions.lock(proposal)
    if proposal.by_id == by.pk:
        raise NotAllowed("The other side answers your proposal.")
    if proposal.status != DisputeProposal.Status.PENDING:
        raise InvalidTransition(f"This proposal was already {proposal.get_status_display().lower()}.")
    if not dispute.is_open:
        raise InvalidTransition(f"This dispute is {dispute.get_status_display().lower()}.")
    return dispute, milestone, proposal


@transaction.atomic
def dispute_proposal_accept(*, proposal: DisputeProposal, by) -> Dispute:
    """The other side agrees: the dispute is settled and the money moves as proposed, at once."""
    dispute, milestone, proposal = _locked_proposal(proposal, by)
    move_proposal(proposal, to=DisputeProposal.Status.ACCEPTED, by=by)
    return resolve(dispute, milestone, to=Dispute.Status.SETTLED, by=by, freelancer_cents=proposal.freelancer_cents)


@transaction.atomic
def dispute_proposal_decline(*, proposal: DisputeProposal, by) -> DisputeProposal:
    dispute, milestone, proposal = _locked_proposal(proposal, by)
    proposal = move_proposal(proposal, to=DisputeProposal.Status.DECLINED, by=by)
    tell(
        dispute,
        [other_party(dispute, by)],
        title=f"{by.display_name} declined your settlement of “{milestone.title}”",
        body="Propose another split, or staff decide once the settlement time is over.",
    )
    return proposal


@transaction.atomic
def dispute_withdraw(*, dispute: Dispute, by) -> Dispute:
    """The filer drops their dispute: the milestone goes back to where it was (a submitted one
    with the time it had left before approval by itself)."""
    dispute, milestone = lock_dispute(dispute)
    check_party(dispute.contract, by, action="withdraw a dispute")
    if by.pk != dispute.filer_user_id():
        raise NotAllowed("Only the side that opened a dispute can withdraw it.")
    if not dispute.is_open:
        raise InvalidTransition(f"This dispute is {dispute.get_status_display().lower()}.")
    dispute = move_dispute(dispute, to=Dispute.Status.WITHDRAWN, by=by, resolved_at=timezone.now())
    close_proposals(dispute, by=by)
    back = dispute.milestone_status_before
    changes = {}
    if back == Milestone.Status.SUBMITTED and dispute.auto_release_left_seconds is not None:
        changes["auto_release_at"] = timezone.now() + timedelta(seconds=dispute.auto_release_left_seconds)
    move_milestone(
        milestone, to=back, by=by, verb=ContractEvent.Verb.DISPUTE_WITHDRAWN, amount_cents=dispute.held_cents, **changes
    )
    tell(
        dispute,
        [other_party(dispute, by)],
        title=f"{by.display_name} withdrew the dispute on “{milestone.title}”",
        body="The milestone is back where it was; its money is held as before.",
    )
    return dispute
