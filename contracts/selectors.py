"""Reads of offers, contracts and money, always scoped to one person: what they are not a party
to does not exist for them (a 404, never a 403 that confirms it exists)."""

from __future__ import annotations

from django.db.models import Count, FilteredRelation, Q, QuerySet, Sum

from contracts.models import (
    Contract,
    ContractEvent,
    Milestone,
    MilestoneEdit,
    Offer,
    RefundRequest,
    Submission,
    SubmissionFile,
)
from marketplace.hiring import OfferSummary
from payments.fees import FeeBreakdown, fee_breakdown
from payments.selectors import ReferenceLabel, earnings_for_user


def _signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def offers_for_user(user) -> QuerySet[Offer]:
    """Offers the person made (client) or received (freelancer)."""
    if not _signed_in(user):
        return Offer.objects.none()
    return Offer.objects.filter(Q(client=user) | Q(freelancer=user)).select_related("client", "freelancer")


def offers_awaiting(user) -> QuerySet[Offer]:
    """Open offers waiting for this person's answer, on either side."""
    if not _signed_in(user):
        return Offer.objects.none()
    return Offer.objects.filter(
        Q(client=user, awaiting=Offer.Party.CLIENT) | Q(freelancer=user, awaiting=Offer.Party.FREELANCER),
        status=Offer.Status.OFFERED,
    )


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
    """The contract's milestones in two queries, however many deliveries and files they hold.

    Each carries `pending_refund` and `pending_edit` (the ones waiting for an answer, or None),
    joined to its row: a UNIQUE key allows at most one of each per milestone. And `deliveries`:
    its submissions, oldest first, each with its `delivered_files`, read in one joined query."""
    milestones = list(
        contract.milestones.order_by("position", "pk")
        .annotate(
            pending_refund=FilteredRelation(
                "refund_requests", condition=Q(refund_requests__status=RefundRequest.Status.PENDING)
            ),
            pending_edit=FilteredRelation("edits", condition=Q(edits__status=MilestoneEdit.Status.PENDING)),
        )
        .select_related("pending_refund", "pending_edit__proposed_by")
    )
    deliveries: dict[int, list[Submission]] = {}
    submissions: dict[int, Submission] = {}
    joined = (
        Submission.objects.filter(milestone__contract=contract)
        .annotate(stored=FilteredRelation("files"))
        .select_related("stored")
        .order_by("created_at", "pk", "stored__pk")
    )
    for row in joined:  # one row per file, or one for a delivery without files
        submission = submissions.get(row.pk)
        if submission is None:
            submission = submissions[row.pk] = row
            submission.delivered_files = []
            deliveries.setdefault(row.milestone_id, []).append(submission)
        stored = getattr(row, "stored", None)  # a filtered join that found nothing sets no attribute
        if stored is not None:
            submission.delivered_files.append(stored)
    for milestone in milestones:
        milestone.pending_refund = getattr(milestone, "pending_refund", None)
        milestone.pending_edit = getattr(milestone, "pending_edit", None)
        milestone.deliveries = deliveries.get(milestone.pk, [])
    return milestones


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


def milestone_references(references: list[str], viewer) -> dict[str, ReferenceLabel]:
    """What the ledger's "milestone:<id>" references are, for the payee's earnings page and the
    payer's billing page: only milestones of contracts the viewer is a party to; any other is left out."""
    ids = set()
    for reference in references:
        prefix, _, number = reference.partition(":")
        if prefix == "milestone" and number.isdigit():
            ids.add(int(number))
    if not ids or not _signed_in(viewer):
        return {}
    milestones = Milestone.objects.filter(
        Q(contract__freelancer=viewer) | Q(contract__client=viewer), pk__in=ids
    ).select_related("contract")
    return {
        m.ledger_reference: ReferenceLabel(
            title=m.title,
            context=m.contract.title,
            url=f"{m.contract.get_absolute_url()}#milestone-{m.pk}",
            context_url=m.contract.get_absolute_url(),
        )
        for m in milestones
    }


# A dashboard lists this many of each kind of thing to act on; the rest are one click away on
# /contracts/ and /offers/, so a long history does not make the page long or slow.
DASHBOARD_LIMIT = 10


def _first(rows: QuerySet, limit: int = DASHBOARD_LIMIT) -> tuple[list, bool]:
    """The first `limit` rows and whether there are more, from one query of `limit + 1` rows."""
    found = list(rows[: limit + 1])
    return found[:limit], len(found) > limit


def client_dashboard(user) -> dict:
    """What a client should act on: work awaiting review (soonest automatic approval first),
    milestones awaiting funding, and offers waiting for the client's answer; at most
    `DASHBOARD_LIMIT` of each, with `more_*` set when there are more."""
    active = milestones_for_user(user).filter(contract__client=user, contract__status=Contract.Status.ACTIVE)
    awaiting_review, more_review = _first(
        active.filter(status=Milestone.Status.SUBMITTED).order_by("auto_release_at", "pk")
    )
    awaiting_funding, more_funding = _first(active.filter(status=Milestone.Status.PENDING).order_by("due_date", "pk"))
    offers, more_offers = _first(
        offers_for_user(user)
        .filter(client=user, status=Offer.Status.OFFERED, awaiting=Offer.Party.CLIENT)
        .order_by("-created_at", "-pk")
    )
    return {
        "awaiting_review": awaiting_review,
        "more_review": more_review,
        "awaiting_funding": awaiting_funding,
        "more_funding": more_funding,
        "offers": offers,
        "more_offers": more_offers,
    }


def freelancer_dashboard(user) -> dict:
    """What a freelancer should act on: funded work to deliver (soonest due first), offers to
    answer, and their pending and available earnings; at most `DASHBOARD_LIMIT` of each list."""
    active = milestones_for_user(user).filter(contract__freelancer=user, contract__status=Contract.Status.ACTIVE)
    to_deliver, more_to_deliver = _first(
        active.filter(status__in=[Milestone.Status.FUNDED, Milestone.Status.CHANGES_REQUESTED]).order_by(
            "due_date", "pk"
        )
    )
    offers, more_offers = _first(
        offers_for_user(user)
        .filter(freelancer=user, status=Offer.Status.OFFERED, awaiting=Offer.Party.FREELANCER)
        .order_by("-created_at", "-pk")
    )
    return {
        "to_deliver": to_deliver,
        "more_to_deliver": more_to_deliver,
        "offers": offers,
        "more_offers": more_offers,
        "earnings": earnings_for_user(user),
    }


def offer_summaries(proposal_ids: list[int]) -> dict[int, OfferSummary]:
    """The latest offer made from each proposal (a proposal hired again has earlier, ended ones), for
    the market's proposal pages and API, in one query."""
    offers = (
        Offer.objects.filter(proposal_id__in=proposal_ids)
        .annotate(milestone_count=Count("milestones"))
        .order_by("created_at", "pk")  # oldest first, so each proposal's latest offer is the one kept
    )
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


def disputes_for_user(user) -> QuerySet:
    """Disputes on the person's contracts; staff with the moderation permission see every one.
    Anyone else's is not found."""
    from contracts.models import Dispute

    if not _signed_in(user):
        return Dispute.objects.none()
    disputes = Dispute.objects.select_related(
        "milestone", "contract", "contract__client", "contract__freelancer", "opened_by", "decided_by"
    )
    if user.is_staff and user.has_perm("accounts.moderate"):
        return disputes
    return disputes.filter(Q(contract__client=user) | Q(contract__freelancer=user))


def dispute_queue(*, limit: int = 50) -> list:
    """Open disputes for the moderation queue: the ones staff must decide first (oldest escalation
    first), then those still between the parties, oldest first, each with its next deadline."""
    from contracts.models import Dispute

    disputes = Dispute.objects.filter(status__in=Dispute.OPEN_STATUSES).select_related(
        "milestone", "contract", "contract__client", "contract__freelancer"
    )
    escalated = list(disputes.filter(status=Dispute.Status.ESCALATED).order_by("escalated_at", "pk")[:limit])
    waiting = list(disputes.exclude(status=Dispute.Status.ESCALATED).order_by("opened_at", "pk")[:limit])
    for dispute in waiting:
        dispute.deadline = dispute.respond_by if dispute.status == Dispute.Status.OPEN else dispute.settle_by
    for dispute in escalated:
        dispute.deadline = None
    return (escalated + waiting)[:limit]
