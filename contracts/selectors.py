"""Reads of offers, contracts and money, always scoped to one person: what they are not a party
to does not exist for them (a 404, never a 403 that confirms it exists)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from contracts.models import Contract, ContractEvent, Milestone, Offer, RefundRequest, Submission, SubmissionFile
from marketplace.hiring import OfferSummary
from payments import accounts
from payments.fees import FeeBreakdown, fee_breakdown
from payments.ledger import balance
from payments.models import LedgerEntry, LedgerTransaction, Payout

RELEASE_KINDS = (LedgerTransaction.Kind.RELEASE, LedgerTransaction.Kind.PARTIAL_RELEASE, LedgerTransaction.Kind.SPLIT)
# How a release reads from the freelancer's side.
RELEASE_LABELS = {
    LedgerTransaction.Kind.RELEASE: "Approved",
    LedgerTransaction.Kind.PARTIAL_RELEASE: "Part released early",
    LedgerTransaction.Kind.SPLIT: "Split in a dispute",
}


def _signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def offers_for_user(user) -> QuerySet[Offer]:
    """Offers the person made (client) or received (freelancer)."""
    if not _signed_in(user):
        return Offer.objects.none()
    return Offer.objects.filter(Q(client=user) | Q(freelancer=user)).select_related("client", "freelancer")


def contracts_for_user(user) -> QuerySet[Contract]:
    """Contracts the person is a party to; anyone else's is not found."""
    if not _signed_in(user):
        return Contract.objects.none()
    return Contract.objects.filter(Q(client=user) | Q(freelancer=user)).select_related("client", "freelancer")


def milestones_for_user(user) -> QuerySet[Milestone]:
    if not _signed_in(user):
        return Milestone.objects.none()
    return Milestone.objects.filter(Q(contract__client=user) | Q(contract__freelancer=user)).select_related(
        "contract", "contract__client", "contract__freelancer"
    )


def milestone_edits_for_user(user):
    """Proposed changes to milestones of the person's contracts; anyone else's are not found."""
    from contracts.models import MilestoneEdit

    if not _signed_in(user):
        return MilestoneEdit.objects.none()
    return MilestoneEdit.objects.filter(
        Q(milestone__contract__client=user) | Q(milestone__contract__freelancer=user)
    ).select_related("proposed_by", "milestone", "milestone__contract")


def refund_requests_for_user(user) -> QuerySet[RefundRequest]:
    if not _signed_in(user):
        return RefundRequest.objects.none()
    return RefundRequest.objects.filter(
        Q(milestone__contract__client=user) | Q(milestone__contract__freelancer=user)
    ).select_related("milestone", "milestone__contract")


def submission_files_for_user(user) -> QuerySet[SubmissionFile]:
    if not _signed_in(user):
        return SubmissionFile.objects.none()
    return SubmissionFile.objects.filter(
        Q(submission__milestone__contract__client=user) | Q(submission__milestone__contract__freelancer=user)
    )


def contract_milestones(contract: Contract) -> list[Milestone]:
    """The contract's milestones with their submissions (and files) and refund requests."""
    return list(
        contract.milestones.order_by("position", "pk").prefetch_related(
            Prefetch("submissions", queryset=Submission.objects.order_by("created_at", "pk").prefetch_related("files")),
            Prefetch("refund_requests", queryset=RefundRequest.objects.order_by("-created_at", "-pk")),
        )
    )


def contract_timeline(contract: Contract) -> list[ContractEvent]:
    """Every event on the contract, oldest first: who did what, to which milestone, when."""
    return list(contract.events.select_related("actor", "milestone").order_by("at", "pk"))


def billed_between(*, client_id: int, freelancer_id: int) -> int:
    """What this client has paid this freelancer so far: the base of the fee tiers."""
    return (
        Milestone.objects.filter(contract__client_id=client_id, contract__freelancer_id=freelancer_id).aggregate(
            total=Sum("released_cents")
        )["total"]
        or 0
    )


def offer_fees(offer: Offer) -> FeeBreakdown:
    """The fee on the whole offer, given the pair's history, as the freelancer will be paid it."""
    billed = billed_between(client_id=offer.client_id, freelancer_id=offer.freelancer_id)
    return fee_breakdown(amount_cents=offer.total_cents, billed_before_cents=billed)


def release_fees(milestone: Milestone, amount_cents: int) -> FeeBreakdown:
    """The fee a release of `amount_cents` from this milestone would carry now."""
    contract = milestone.contract
    billed = billed_between(client_id=contract.client_id, freelancer_id=contract.freelancer_id)
    return fee_breakdown(amount_cents=amount_cents, billed_before_cents=billed)


def funding_fees(milestone: Milestone) -> FeeBreakdown:
    """What funding this milestone charges the client's card (the amount plus any client fee)."""
    return release_fees(milestone, milestone.amount_cents)


@dataclass(frozen=True)
class ReleaseLine:
    """One release into a freelancer's pending balance and when it becomes withdrawable."""

    released_at: datetime
    clears_at: datetime
    net_cents: int
    cleared: bool
    kind_label: str
    milestone: Milestone | None


def releases_for_freelancer(user, *, limit: int = 50) -> list[ReleaseLine]:
    """The freelancer's releases, newest first, each with the moment it clears."""
    if not _signed_in(user):
        return []
    entries = list(
        LedgerEntry.objects.filter(
            account=accounts.pending(user.pk), amount_cents__gt=0, transaction__kind__in=RELEASE_KINDS
        )
        .select_related("transaction")
        .order_by("-transaction__created_at", "-pk")[:limit]
    )
    keys = [f"clear:{entry.transaction_id}" for entry in entries]
    cleared = set(LedgerTransaction.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True))
    milestone_ids = {
        int(reference.split(":", 1)[1])
        for reference in (entry.transaction.reference for entry in entries)
        if reference.startswith("milestone:") and reference.split(":", 1)[1].isdigit()
    }
    milestones = Milestone.objects.filter(pk__in=milestone_ids, contract__freelancer=user).select_related("contract")
    by_reference = {m.ledger_reference: m for m in milestones}
    clearance = timedelta(days=settings.CLEARANCE_DAYS)
    return [
        ReleaseLine(
            released_at=entry.transaction.created_at,
            clears_at=entry.transaction.created_at + clearance,
            net_cents=entry.amount_cents,
            cleared=f"clear:{entry.transaction_id}" in cleared,
            kind_label=RELEASE_LABELS.get(entry.transaction.kind, entry.transaction.get_kind_display()),
            milestone=by_reference.get(entry.transaction.reference),
        )
        for entry in entries
    ]


def payouts_for_user(user) -> QuerySet[Payout]:
    if not _signed_in(user):
        return Payout.objects.none()
    return Payout.objects.filter(freelancer=user).order_by("-created_at", "-pk")


def earnings_for_user(user) -> dict[str, int]:
    """Pending (still clearing) and available (withdrawable) balances, in cents."""
    return {"pending": balance(accounts.pending(user.pk)), "available": balance(accounts.available(user.pk))}


def client_dashboard(user) -> dict:
    """What a client should act on: work awaiting review (soonest automatic approval first),
    milestones awaiting funding, and offers waiting for the client's answer."""
    active = milestones_for_user(user).filter(contract__client=user, contract__status=Contract.Status.ACTIVE)
    return {
        "awaiting_review": list(active.filter(status=Milestone.Status.SUBMITTED).order_by("auto_release_at", "pk")),
        "awaiting_funding": list(active.filter(status=Milestone.Status.PENDING).order_by("due_date", "pk")),
        "offers": list(
            offers_for_user(user).filter(client=user, status=Offer.Status.OFFERED, awaiting=Offer.Party.CLIENT)
        ),
    }


def freelancer_dashboard(user) -> dict:
    """What a freelancer should act on: funded work to deliver (soonest due first), offers to
    answer, and their pending and available earnings."""
    active = milestones_for_user(user).filter(contract__freelancer=user, contract__status=Contract.Status.ACTIVE)
    return {
        "to_deliver": list(
            active.filter(status__in=[Milestone.Status.FUNDED, Milestone.Status.CHANGES_REQUESTED]).order_by(
                "due_date", "pk"
            )
        ),
        "offers": list(
            offers_for_user(user).filter(freelancer=user, status=Offer.Status.OFFERED, awaiting=Offer.Party.FREELANCER)
        ),
        "earnings": earnings_for_user(user),
    }


def offer_summaries(proposal_ids: list[int]) -> dict[int, OfferSummary]:
    """The offer made from each proposal, for the market's proposal pages and API, in one query."""
    offers = Offer.objects.filter(proposal_id__in=proposal_ids).annotate(milestone_count=Count("milestones"))
    return {
        offer.proposal_id: OfferSummary(
            id=offer.pk,
            status=offer.status,
            status_label=offer.get_status_display(),
            is_offered=offer.is_offered,
            awaiting=offer.awaiting,
            total_cents=offer.total_cents,
            currency=offer.currency,
            milestone_count=offer.milestone_count,
            url=offer.get_absolute_url(),
        )
        for offer in offers
    }
