"""Conversations about market objects link back to them (see messaging.topics).

Imported from MarketplaceConfig.ready() so the resolver is registered at start-up.
"""

from __future__ import annotations

from django.urls import reverse

from marketplace.models import Proposal
from messaging.topics import register_topic

# The topic type of a proposal's conversation, for messaging's reads and writes.
PROPOSAL_TOPIC = "proposal"


def proposal_topic(topic_id: int) -> tuple[str, str] | None:
    """The label and page of the proposal a conversation is about, or None once it is gone."""
    proposal = Proposal.objects.select_related("project").filter(pk=topic_id).first()
    if proposal is None:
        return None
    return f"Proposal: {proposal.project.title}", reverse("proposal_detail", args=[proposal.pk])


register_topic(PROPOSAL_TOPIC, proposal_topic)
