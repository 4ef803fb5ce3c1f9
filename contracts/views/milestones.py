"""Milestone pages and the forms posted from a milestone on the contract page: funding, delivery,
approval, partial release, refunds, removal, and downloading delivered files.

A refusal from a service is shown as a message or inline error and changes nothing: every
service runs in its own transaction."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from contracts import selectors, services
from contracts.forms import (
    FundForm,
    PartialReleaseForm,
    ReasonForm,
    RefundDeclineForm,
    RefundOfferForm,
    RefundRequestForm,
    SubmitWorkForm,
)
from contracts.presenters import form_prefix, sandbox
from contracts.services.downloads import submission_file_download
from contracts.views._common import (
    ServiceError,
    _back_to,
    _error_text,
    _failed_on_contract,
    _milestone_form_action,
    _party_milestone,
    _party_refund_request,
    _run,
)
from core.failed_forms import keep_failed_form, take_failed_form
from core.files import attachment_response
from core.forms import add_service_error, dollars_for_input
from payments.charges import latest_payment
from payments.gateways import get_gateway
from payments.models import BillingProfile


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_fund(request, pk: int):
    """The funding page: the amount, any client fee and the total charged, then the card. With
    Stripe the saved card is charged (or the client saves one on Stripe's page first); the
    milestone is funded when Stripe confirms, and this page says so until then."""
    milestone = _party_milestone(request, pk)
    contract = milestone.contract
    if contract.client_id != request.user.pk:
        messages.error(request, "Only the client funds milestones.")
        return redirect(_back_to(milestone))
    gateway = get_gateway()
    profile = BillingProfile.objects.filter(user=request.user).first()
    saved_card = profile.card_label if profile and profile.has_card else ""
    form_kwargs = {"card_entry": gateway.is_sandbox, "saved_card": saved_card}
    failure = take_failed_form(request) if request.method != "POST" else None
    form = (
        failure.bind(FundForm, **form_kwargs)
        if failure
        else FundForm(request.POST if request.method == "POST" else None, **form_kwargs)
    )
    payment = latest_payment(milestone.ledger_reference)
    if request.method == "POST":
        if form.is_valid():
            try:
                funded = services.milestone_fund(
                    milestone=milestone, by=request.user, card_number=form.cleaned_data.get("card_number", "")
                )
            except ServiceError as error:
                add_service_error(form, error)
            else:
                if funded.status == funded.Status.PENDING:
                    messages.info(
                        request,
                        f"Payment processing. “{milestone.title}” is funded as soon as the card payment is confirmed; "
                        "this takes a few seconds.",
                    )
                    return redirect(reverse("milestone_fund", args=[milestone.pk]))
                messages.success(
                    request,
                    f"Funded. The money for “{milestone.title}” is held until you approve the work; "
                    f"{contract.freelancer.display_name} can start.",
                )
                return redirect(_back_to(milestone))
        # Shown again on a GET of this page, the card number left out: it is typed again, not kept.
        return keep_failed_form(request, form, page=request.path, name="fund", exclude=("card_number",))
    elif not milestone.is_pending:
        if failure:  # it was funded meanwhile: say why the payment was refused where the person lands
            for texts in failure.errors.values():
                for text in texts:
                    messages.error(request, text)
        else:
            messages.info(request, f"“{milestone.title}” is already {milestone.get_status_display().lower()}.")
        return redirect(_back_to(milestone))
    context = {
        "milestone": milestone,
        "contract": contract,
        "fees": selectors.funding_fees(milestone),
        "form": form,
        "processing": payment is not None and payment.status == payment.Status.PROCESSING,
        "declined": payment if payment is not None and payment.status == payment.Status.FAILED else None,
        "saved_card": saved_card,
        "card_entry": gateway.is_sandbox,
        **sandbox(),
    }
    return render(request, "contracts/milestone_fund.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_submit(request, pk: int):
    milestone = _party_milestone(request, pk)
    return _milestone_form_action(
        request,
        milestone,
        action="submit",
        form_class=SubmitWorkForm,
        call=lambda data: services.milestone_submit(
            milestone=milestone, by=request.user, message=data["message"], files=data["files"]
        ),
        success="Your work is delivered. The client has been told and can review it now.",
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_request_changes(request, pk: int):
    milestone = _party_milestone(request, pk)
    return _milestone_form_action(
        request,
        milestone,
        action="request_changes",
        form_class=ReasonForm,
        call=lambda data: services.milestone_request_changes(
            milestone=milestone, by=request.user, reason=data["reason"]
        ),
        success="Changes requested. The freelancer has your reason; the money stays held.",
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_approve(request, pk: int):
    """GET: the freelancer's fee breakdown; POST: approve and release what is held."""
    milestone = _party_milestone(request, pk)
    contract = milestone.contract
    if request.method == "POST":
        try:
            services.milestone_approve(milestone=milestone, by=request.user)
        except ServiceError as error:
            messages.error(request, f"Nothing was released. {_error_text(error)}")
        else:
            milestone.refresh_from_db()
            messages.success(
                request,
                f"Approved. The payment for “{milestone.title}” is on its way to {contract.freelancer.display_name}.",
            )
        return redirect(_back_to(milestone))
    if contract.client_id != request.user.pk:
        messages.error(request, "Only the client can approve work.")
        return redirect(_back_to(milestone))
    if not milestone.is_held:
        messages.info(request, f"“{milestone.title}” is {milestone.get_status_display().lower()}; nothing to approve.")
        return redirect(_back_to(milestone))
    context = {
        "milestone": milestone,
        "contract": contract,
        "fees": selectors.release_fees(milestone, milestone.held_cents),
        "mode": "approve",
        "clearance_days": settings.CLEARANCE_DAYS,
    }
    return render(request, "contracts/release_confirm.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_release_partial(request, pk: int):
    """Two steps: the amount (checked), then the fee breakdown to confirm; only then money moves."""
    milestone = _party_milestone(request, pk)
    if request.method != "POST":
        return redirect(_back_to(milestone))
    contract = milestone.contract
    form = PartialReleaseForm(request.POST, prefix=form_prefix("release_part", milestone))
    if form.is_valid():
        amount = form.cleaned_data["amount"]
        if request.POST.get("confirm") == "yes":
            try:
                services.milestone_release_partial(
                    milestone=milestone, by=request.user, amount_cents=amount, intent=form.cleaned_data["intent"]
                )
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(request, f"Released part of “{milestone.title}” early. The rest stays held.")
                return redirect(_back_to(milestone))
        else:
            try:
                services.release_partial_check(milestone=milestone, by=request.user, amount_cents=amount)
            except ServiceError as error:
                add_service_error(form, error)
            else:
                context = {
                    "milestone": milestone,
                    "contract": contract,
                    "fees": selectors.release_fees(milestone, amount),
                    "mode": "partial",
                    "form": form,
                    "amount_input": dollars_for_input(amount),
                    "still_held": milestone.held_cents - amount,
                    "clearance_days": settings.CLEARANCE_DAYS,
                }
                return render(request, "contracts/release_confirm.html", context)
    return _failed_on_contract(request, milestone, action="release_part", form=form)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_refund_request(request, pk: int):
    milestone = _party_milestone(request, pk)
    return _milestone_form_action(
        request,
        milestone,
        action="refund_request",
        form_class=RefundRequestForm,
        call=lambda data: services.milestone_refund_request(
            milestone=milestone, by=request.user, amount_cents=data["amount"], reason=data["reason"]
        ),
        success="Refund requested. The freelancer can agree or decline; the money stays held meanwhile.",
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_refund_offer(request, pk: int):
    milestone = _party_milestone(request, pk)
    return _milestone_form_action(
        request,
        milestone,
        action="refund_offer",
        form_class=RefundOfferForm,
        call=lambda data: services.milestone_refund_offer(
            milestone=milestone, by=request.user, amount_cents=data["amount"], intent=data["intent"]
        ),
        success="Refunded. The money goes back to the client's card.",
    )


@login_required
@require_POST
def milestone_cancel(request, pk: int):
    milestone = _party_milestone(request, pk)
    as_client = milestone.contract.client_id == request.user.pk
    _run(
        request,
        lambda: services.milestone_cancel(milestone=milestone, by=request.user),
        success=f"“{milestone.title}” {'is removed' if as_client else 'is declined'}.",
    )
    return redirect(_back_to(milestone))


@login_required
@require_POST
def refund_request_accept(request, pk: int):
    refund_request = _party_refund_request(request, pk)
    _run(
        request,
        lambda: services.refund_request_accept(request=refund_request, by=request.user),
        success="You agreed. The money goes back to the client's card.",
        failed="Nothing was refunded.",
    )
    return redirect(_back_to(refund_request.milestone))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def refund_request_decline(request, pk: int):
    refund_request = _party_refund_request(request, pk)
    return _milestone_form_action(
        request,
        refund_request.milestone,
        action="answer_refund",
        form_class=RefundDeclineForm,
        call=lambda data: services.refund_request_decline(
            request=refund_request, by=request.user, reason=data["reason"]
        ),
        success="You declined the refund. The money stays held; the client has been told.",
    )


@login_required
@require_safe
def submission_file(request, pk: int):
    return attachment_response(submission_file_download(user=request.user, file_pk=pk))
