"""What every contract page shares: scoped lookups, service errors as messages, and sending a
form that failed on the contract page back to it (post/redirect/get)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from contracts import selectors, services
from contracts.models import Contract, Milestone, MilestoneEdit, Offer, RefundRequest
from contracts.presenters import contract_context, failed_form_name, form_prefix
from core.exceptions import DomainError
from core.failed_forms import keep_failed_form
from core.forms import add_service_error

ServiceError = (DomainError, ValidationError)


def _error_text(error) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return error.message


def _rules_beside_form_errors(formset, milestone_errors: list[str], *, is_test: bool) -> None:
    """A form of terms failed its own checks: the milestone rules (caps, due dates) still run on
    the rows as far as they did read, so every error shows in one answer. In a row with a field at
    fault, that field stands in as acceptable: each message is about something that was typed."""
    rows = formset.milestones() if formset.is_valid() else _rows_as_read(formset)
    if not rows:
        return  # nothing read: the table's own error says so
    try:
        services.offer_terms_check(milestones=rows, is_test=is_test)
    except ValidationError as error:
        milestone_errors.extend(message for message in error.messages if message not in milestone_errors)


def _rows_as_read(formset) -> list:
    rows = []
    for form in formset.forms:
        if form.is_blank():
            continue
        data, faulty = getattr(form, "cleaned_data", {}), form.errors
        amount = data.get("amount")
        rows.append(
            services.MilestoneTerms(
                title=data.get("title") if "title" not in faulty and data.get("title") else "(title)",
                amount_cents=amount
                if "amount" not in faulty and isinstance(amount, int)
                else settings.MILESTONE_MIN_CENTS,
                due_date=data.get("due_date")
                if "due_date" not in faulty and data.get("due_date")
                else timezone.localdate(),
            )
        )
    return rows


def _milestone_rules_beside_form_errors(form, *, contract: Contract, milestone: Milestone | None = None) -> None:
    """A milestone's form (a change order, a proposed change) failed its own checks: the milestone
    rules (limits, a paid test's cap and window, a past due date) still run on the fields that did
    read, so every error shows in one answer, each on its field."""
    data = form.cleaned_data
    try:
        services.check_milestone_terms(
            contract=contract,
            milestone=milestone,
            title=data.get("title"),
            amount_cents=data.get("amount"),
            due_date=data.get("due_date"),
        )
    except ValidationError as error:
        for field, found in error.message_dict.items():
            if field in data and field not in form.errors:
                form.add_error(field, found)


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


def _run(request, call: Callable[[], Any], *, success: str | Callable[[Any], str], failed: str = "") -> Any:
    """A button on a page: one service call. A refusal is shown as an error message (after `failed`,
    what did not happen); otherwise `success`, a text or a function of what the service returned.
    Returns what the service returned, or None when it refused."""
    try:
        result = call()
    except ServiceError as error:
        messages.error(request, f"{failed} {_error_text(error)}".lstrip())
        return None
    messages.success(request, success(result) if callable(success) else success)
    return result


def _failed_on_contract(request, milestone: Milestone, *, action: str, form):
    """A form of a milestone that failed goes back to the contract page, on a GET: the page shows it
    again with what was typed and its errors, once, so a refresh never posts it again."""
    return keep_failed_form(
        request,
        form,
        page=milestone.contract.get_absolute_url(),
        name=failed_form_name(action, milestone.pk),
        anchor=f"#milestone-{milestone.pk}",
    )


def _milestone_form_action(request, milestone: Milestone, *, action: str, form_class, call, success: str, rules=None):
    """A form posted from a milestone on the contract page: one service call with the form's data;
    a refusal goes on the form, shown inline on the contract page it redirects back to. `rules(form)`
    adds the service's rules to a form that failed its own checks."""
    if request.method != "POST":
        return redirect(_back_to(milestone))
    form = form_class(request.POST, request.FILES, prefix=form_prefix(action, milestone))
    if not form.is_valid():
        if rules is not None:
            rules(form)
    else:
        try:
            call(form.cleaned_data)
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, success)
            return redirect(_back_to(milestone))
    return _failed_on_contract(request, milestone, action=action, form=form)
