"""Every write to offers and contracts goes through these functions."""

from __future__ import annotations

from django.db import transaction

from contracts.models import Offer, OfferMilestone
from core.exceptions import DomainError
from marketplace.hiring import HireTerms


@transaction.atomic
def offer_create_from_hire(terms: HireTerms) -> Offer:
    """A hire becomes an offer with the agreed terms, once per proposal (a replay returns it)."""
    existing = Offer.objects.filter(proposal_id=terms.proposal_id).first()
    if existing is not None:
        return existing
    if not terms.milestones or sum(m.amount_cents for m in terms.milestones) != terms.total_cents:
        raise DomainError("The milestones of an offer must add up to its total.")
    offer = Offer.objects.create(
        proposal_id=terms.proposal_id,
        client_id=terms.client_id,
        freelancer_id=terms.freelancer_id,
        title=terms.title,
        scope=terms.scope,
        acceptance_criteria=terms.acceptance_criteria,
        currency=terms.currency,
        total_cents=terms.total_cents,
        is_test_project=terms.is_test_project,
    )
    OfferMilestone.objects.bulk_create(
        OfferMilestone(offer=offer, position=i, title=m.title, amount_cents=m.amount_cents, due_date=m.due_date)
        for i, m in enumerate(terms.milestones, start=1)
    )
    return offer
