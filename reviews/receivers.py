"""What makes reputation figures stale: every contract timeline entry (funded, submitted, approved,
refunded, disputed, decided, ended — contracts writes each one), a client's move on a proposal, an
interview proposed. Reviews themselves mark their people stale in reviews.services."""

from __future__ import annotations

from django.db.models.signals import post_save

from contracts.models import ContractEvent
from marketplace.models import Interview, Proposal, ProposalEvent
from reviews.reputation import reputation_stale


def _contract_event(sender, instance: ContractEvent, created: bool, **kwargs) -> None:
    if created and not kwargs.get("raw"):
        contract = instance.contract
        reputation_stale(contract.client_id, contract.freelancer_id)


def _proposal_event(sender, instance: ProposalEvent, created: bool, **kwargs) -> None:
    if created and not kwargs.get("raw"):
        client_id = Proposal.objects.filter(pk=instance.proposal_id).values_list("project__client_id", flat=True)
        reputation_stale(*client_id)


def _interview(sender, instance: Interview, created: bool, **kwargs) -> None:
    if created and not kwargs.get("raw"):
        client_id = Proposal.objects.filter(pk=instance.proposal_id).values_list("project__client_id", flat=True)
        reputation_stale(*client_id)


def connect() -> None:
    post_save.connect(_contract_event, sender=ContractEvent, dispatch_uid="reputation-contract-event")
    post_save.connect(_proposal_event, sender=ProposalEvent, dispatch_uid="reputation-proposal-event")
    post_save.connect(_interview, sender=Interview, dispatch_uid="reputation-interview")
