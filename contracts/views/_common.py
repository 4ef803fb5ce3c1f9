"""What every contract page shares: scoped lookups, service errors as messages, and
re-rendering the contract page when a form on it fails."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render

from contracts import selectors
from contracts.models import Contract, Milestone, MilestoneEdit, Offer, RefundRequest
from contracts.presenters import contract_context
from core.exceptions import DomainError

ServiceError = (DomainError, ValidationError)


def _error_text(error) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return error.message


def _back_to(milestone: Milestone) -> str:
    return milestone.contract.get_absolute_url() + f"#milestone-{milestone.pk}"


def _party_offer(request, pk: int) -> Offer:
    return get_object_or_404(selectors.offers_for_user(request.user), pk=pk)


def _party_contract(request, pk: int) -> Contract:
    return get_object_or_404(selectors.contracts_for_user(request.user), pk=pk)


def _party_milestone(request, pk: int) -> Milestone:
    return get_object_or_404(selectors.milestones_for_user(request.user), pk=pk)


def _party_refund_request(request, pk: int) -> RefundRequest:
    return get_object_or_404(selectors.refund_requests_for_user(request.user), pk=pk)


def _party_edit(request, pk: int) -> MilestoneEdit:
    return get_object_or_404(selectors.milestone_edits_for_user(request.user), pk=pk)


def _render_contract(request, contract: Contract, *, status: int = 200, **kwargs):
    return render(
        request, "contracts/contract_detail.html", contract_context(request, contract, **kwargs), status=status
    )
