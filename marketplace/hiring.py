"""The interface between the market and contracts: a hire decision hands over the agreed terms.

The market does not import contracts (contracts depends on the market, not the other way
round). The contracts app registers the function that turns terms into an offer when it
loads; a hire with no handler registered is refused rather than silently lost. It registers
the lookup of the offer a hire made the same way, so a proposal can show its offer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings

from core.milestones import MilestoneTerms


@dataclass(frozen=True)
class HireTerms:
    """What the client and freelancer agreed when the client hired: a snapshot, not a reference."""

    project_id: int
    proposal_id: int
    client_id: int
    freelancer_id: int
    title: str
    scope: str
    acceptance_criteria: str
    currency: str
    total_cents: int
    is_test_project: bool
    milestones: tuple[MilestoneTerms, ...]


_handler: Callable[[HireTerms], object] | None = None


def register_hire_handler(handler: Callable[[HireTerms], object]) -> None:
    global _handler
    _handler = handler


def hand_over(terms: HireTerms) -> object:
    if _handler is None:
        raise RuntimeError("No contracts handler is registered for hires.")
    return _handler(terms)


@dataclass(frozen=True)
class OfferSummary:
    """The offer a hire made, as the proposal shows it: contracts answers, the market only reads."""

    id: int
    status: str
    status_label: str
    is_offered: bool  # still waiting for an answer
    awaiting: str  # "client" or "freelancer": whose answer the offer waits for
    total_cents: int
    currency: str
    milestone_count: int
    url: str


_offer_lookup: Callable[[list[int]], dict[int, OfferSummary]] | None = None


def register_offer_lookup(lookup: Callable[[list[int]], dict[int, OfferSummary]]) -> None:
    global _offer_lookup
    _offer_lookup = lookup


def offers_for_proposals(proposal_ids: list[int]) -> dict[int, OfferSummary]:
    """The offer made from each of these proposals, by proposal id; none without a contracts app."""
    if _offer_lookup is None or not proposal_ids:
        return {}
    return _offer_lookup(list(proposal_ids))


def offer_for_proposal(proposal_id: int) -> OfferSummary | None:
    return offers_for_proposals([proposal_id]).get(proposal_id)


# A paid test is small and short on both sides of the hire: the market checks proposals with
# these, contracts checks offers, change orders and edits with the same ones.


def paid_test_due_by(today: date) -> date:
    """The latest due date of a paid test's milestone."""
    return today + timedelta(days=settings.TEST_PROJECT_MAX_DAYS)


def paid_test_due_message(today: date) -> str:
    due_by = paid_test_due_by(today)
    return (
        f"A paid test is delivered within {settings.TEST_PROJECT_MAX_DAYS} days: "
        f"choose a due date by {due_by.day} {due_by:%b %Y}."
    )
