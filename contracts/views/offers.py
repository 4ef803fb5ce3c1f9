"""Offer pages: the terms, their history, and accepting, declining, withdrawing or revising them."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from contracts import selectors, services
from contracts.forms import OfferDeclineForm, OfferReviseForm
from contracts.presenters import offer_context, offer_groups
from contracts.views._common import ServiceError, _party_offer, _rules_beside_form_errors, _run
from core.forms import add_service_error, milestone_formset, milestone_rows


@login_required
@require_safe
def offer_detail(request, pk: int):
    offer = _party_offer(request, pk)
    return render(request, "contracts/offer_detail.html", offer_context(request, offer))


# The newest offers only, whatever a person's history: older ones live on their contracts.
OFFER_LIST_LIMIT = 100


@login_required
@require_safe
def offer_list(request):
    offers = list(selectors.offers_for_user(request.user).prefetch_related("milestones")[: OFFER_LIST_LIMIT + 1])
    truncated = len(offers) > OFFER_LIST_LIMIT
    offers = offers[:OFFER_LIST_LIMIT]
    context = {
        "groups": offer_groups(offers, request.user),
        "total": len(offers),
        "truncated": truncated,
        "shown_limit": OFFER_LIST_LIMIT,
    }
    return render(request, "contracts/offer_list.html", context)


@login_required
@require_POST
def offer_accept(request, pk: int):
    offer = _party_offer(request, pk)
    contract = _run(
        request,
        lambda: services.offer_accept(offer=offer, by=request.user),
        success="You accepted the offer. The contract has started.",
    )
    return redirect(contract or offer)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def offer_decline(request, pk: int):
    offer = _party_offer(request, pk)
    if request.method != "POST":
        return redirect(offer)
    form = OfferDeclineForm(request.POST)
    if not form.is_valid():
        return render(
            request, "contracts/offer_detail.html", offer_context(request, offer, decline_form=form), status=400
        )
    _run(
        request,
        lambda: services.offer_decline(offer=offer, by=request.user, reason=form.cleaned_data["reason"]),
        success="You declined the offer. The client has been told.",
    )
    return redirect(offer)


@login_required
@require_POST
def offer_withdraw(request, pk: int):
    offer = _party_offer(request, pk)
    _run(
        request,
        lambda: services.offer_withdraw(offer=offer, by=request.user),
        success="You withdrew the offer. The freelancer has been told.",
    )
    return redirect(offer)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def offer_revise(request, pk: int):
    offer = _party_offer(request, pk)
    if not offer.is_offered:
        messages.error(request, f"This offer is {offer.get_status_display().lower()}, so its terms are final.")
        return redirect(offer)
    posted = request.POST if request.method == "POST" else None
    form = OfferReviseForm(posted, initial={"change_rounds": offer.change_rounds})
    max_rows = 1 if offer.is_test_project else None
    formset = milestone_formset(
        posted, initial=milestone_rows(offer.milestones.all()), extra=0 if offer.is_test_project else 1
    )
    milestone_errors: list[str] = []
    status = 200
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            try:
                services.offer_revise(
                    offer=offer,
                    by=request.user,
                    milestones=formset.milestones(),
                    note=form.cleaned_data["note"],
                    change_rounds=form.cleaned_data["change_rounds"],
                )
            except ServiceError as error:
                # The terms are the milestones: every refusal is shown above their table.
                add_service_error(form, error, field_map=lambda key: milestone_errors)
            else:
                messages.success(request, "You proposed changed terms. The other side has to accept them now.")
                return redirect(offer)
        else:
            _rules_beside_form_errors(formset, milestone_errors, is_test=offer.is_test_project)
        status = 400
    context = {
        "offer": offer,
        "form": form,
        "formset": formset,
        "milestone_errors": milestone_errors,
        "has_errors": bool(form.errors or milestone_errors or any(formset.errors) or formset.non_form_errors()),
        "max_rows": max_rows or formset.max_num,
        "expiry_days": settings.OFFER_EXPIRY_DAYS,
    }
    return render(request, "contracts/offer_revise.html", context, status=status)
