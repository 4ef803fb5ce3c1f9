"""Contract pages: the list, one contract with its milestones, ending it, adding a change order,
and continuing after a paid test."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Count, Q, When
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_http_methods, require_safe

from contracts import selectors, services
from contracts.forms import AddMilestoneForm, ContractEndForm, FollowOnForm
from contracts.models import Contract
from contracts.presenters import ADD_FORM, contract_context, contract_list_rows, end_context, restored_forms
from contracts.views._common import (
    ServiceError,
    _back_to,
    _milestone_rules_beside_form_errors,
    _party_contract,
    _rules_beside_form_errors,
)
from core.failed_forms import keep_failed_form, take_failed_form
from core.forms import add_service_error, dollars_for_input, milestone_formset
from messaging.services import conversation_shown

FOLLOW_ON_HOURS = 20
FOLLOW_ON_DUE_DAYS = 30


@login_required
@require_safe
def contract_detail(request, pk: int):
    contract = get_object_or_404(selectors.contracts_for_user(request.user).select_related("follow_on_of"), pk=pk)
    context = contract_context(request, contract, **restored_forms(take_failed_form(request)))
    if request.method == "GET":  # the page shows the conversation's latest messages: read, as in the inbox
        conversation_shown(conversation=context["conversation"], user=request.user)
    return render(request, "contracts/contract_detail.html", context)


CONTRACTS_PER_PAGE = 25


class _CountedPaginator(Paginator):
    """A paginator told its total up front, from a query that counts more than one thing at once."""

    def __init__(self, object_list, per_page: int, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


@login_required
@require_safe
def contract_list(request):
    """Active contracts first, then ended ones, newest first, a page at a time: a person with
    hundreds of contracts gets one page of rows, with the totals of both kinds."""
    user = request.user
    contracts = selectors.contracts_for_user(user)
    totals = contracts.order_by().aggregate(
        active=Count("pk", filter=Q(status=Contract.Status.ACTIVE)),
        ended=Count("pk", filter=~Q(status=Contract.Status.ACTIVE)),
    )
    ordered = contracts.prefetch_related("milestones").order_by(
        Case(When(status=Contract.Status.ACTIVE, then=0), default=1), "-started_at", "-pk"
    )
    page = _CountedPaginator(ordered, CONTRACTS_PER_PAGE, count=totals["active"] + totals["ended"]).get_page(
        request.GET.get("page")
    )
    rows = contract_list_rows(list(page), user)
    context = {
        "page": page,
        "active": [r for r in rows if r["contract"].is_active],
        "ended": [r for r in rows if not r["contract"].is_active],
        "active_total": totals["active"],
        "ended_total": totals["ended"],
        "offers_waiting": selectors.offers_awaiting(user).count(),
    }
    return render(request, "contracts/contract_list.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def contract_end(request, pk: int):
    """GET: what ending it now would do (money that must be settled first, unfunded milestones it
    removes, completed or ended early) and a reason to give; POST: end it with that reason."""
    contract = _party_contract(request, pk)
    if not contract.is_active:
        messages.info(request, "This contract has already ended.")
        return redirect(contract)
    if request.method == "POST":
        form = ContractEndForm(request.POST)
        if form.is_valid():
            try:
                ended = services.contract_end(
                    contract=contract,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                )
            except ServiceError as error:
                add_service_error(form, error)
            else:
                other = ended.freelancer if ended.client_id == request.user.pk else ended.client
                messages.success(
                    request,
                    f"The contract has ended ({ended.get_end_reason_display().lower()}). "
                    f"{other.display_name} has been told why.",
                )
                return redirect(ended)
        return keep_failed_form(request, form, page=request.path, name="end")
    failure = take_failed_form(request)
    form = failure.bind(ContractEndForm) if failure else ContractEndForm()
    return render(request, "contracts/contract_end.html", end_context(request, contract, form))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def contract_milestone_add(request, pk: int):
    contract = _party_contract(request, pk)
    if request.method != "POST":
        return redirect(contract)
    form = AddMilestoneForm(request.POST, prefix=ADD_FORM)
    if not form.is_valid():
        _milestone_rules_beside_form_errors(form, contract=contract)
    else:
        try:
            milestone = services.milestone_add(
                contract=contract,
                by=request.user,
                title=form.cleaned_data["title"],
                amount_cents=form.cleaned_data["amount"],
                due_date=form.cleaned_data["due_date"],
            )
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Milestone “{milestone.title}” added. Fund it so the freelancer can start.")
            return redirect(_back_to(milestone))
    return keep_failed_form(request, form, page=contract.get_absolute_url(), name=ADD_FORM, anchor="#add-milestone")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def contract_continue(request, pk: int):
    """After a completed paid test, the client offers the freelancer longer work, linked to the test."""
    contract = _party_contract(request, pk)
    if contract.client_id != request.user.pk:
        messages.error(request, "Only the client can offer more work.")
        return redirect(contract)
    posted = request.POST if request.method == "POST" else None
    profile = getattr(contract.freelancer, "freelancer_profile", None)
    rate = getattr(profile, "hourly_rate_cents", None)
    initial_rows = []
    if rate:
        initial_rows.append(
            {
                "title": f"First {FOLLOW_ON_HOURS} hours",
                "amount": dollars_for_input(rate * FOLLOW_ON_HOURS),
                "due_date": timezone.localdate() + timedelta(days=FOLLOW_ON_DUE_DAYS),
            }
        )
    form = FollowOnForm(posted, initial={"title": f"Continued: {contract.title}"[:120], "scope": contract.scope})
    formset = milestone_formset(posted, initial=initial_rows, extra=0 if initial_rows else 1)
    milestone_errors: list[str] = []
    status = 200
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            try:
                offer = services.offer_create_follow_on(
                    contract=contract,
                    by=request.user,
                    title=form.cleaned_data["title"],
                    scope=form.cleaned_data["scope"],
                    milestones=formset.milestones(),
                )
            except ServiceError as error:
                # On the form's own fields where named; the rest is about the milestones' table.
                add_service_error(form, error, field_map=lambda key: key if key in form.fields else milestone_errors)
            else:
                messages.success(
                    request,
                    f"Offer sent to {contract.freelancer.display_name}. The new contract starts when they accept.",
                )
                return redirect(offer)
        else:
            _rules_beside_form_errors(formset, milestone_errors, is_test=False)
        status = 400
    context = {
        "contract": contract,
        "form": form,
        "formset": formset,
        "milestone_errors": milestone_errors,
        "has_errors": bool(form.errors or milestone_errors or any(formset.errors) or formset.non_form_errors()),
        "rate": rate,
        "currency": getattr(profile, "currency", "USD"),
        "hours": FOLLOW_ON_HOURS,
        "max_rows": formset.max_num,
        "follow_on_offers": list(contract.follow_on_offers.all()),
    }
    return render(request, "contracts/contract_continue.html", context, status=status)
