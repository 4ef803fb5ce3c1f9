"""The terms of one milestone as a proposal, an offer or a change order states them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class MilestoneTerms:
    """A milestone before it exists: what is to be delivered, for how much, by when."""

    title: str
    amount_cents: int  # minor units of the deal's currency
    due_date: date
