"""The pages around the processor: a payer's card (saved on the processor's page, or with a
sandbox test card here) and a freelancer's payout account (Stripe's onboarding, or the sandbox's
bank form). Each POST calls one service; a refusal is shown on the page and changes nothing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from core.exceptions import DomainError
from core.forms import add_service_error
from payments.cards import card_setup_finish, card_setup_start
from payments.forms import SandboxBankForm, SandboxCardForm
from payments.gateways import GatewayUnavailable, get_gateway
from payments.models import BillingProfile, PayoutAccount
from payments.payout_accounts import payout_account_refresh, payout_account_start

PROCESSOR_DOWN = "The payment processor did not answer. Nothing changed; try again in a minute."


def _next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return default


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def card(request):
    """Save or replace the card payments are made with."""
    gateway = get_gateway()
    back = _next(request, reverse("billing"))
    profile = BillingProfile.objects.filter(user=request.user).first()
    form = SandboxCardForm(request.POST or None) if gateway.is_sandbox else None
    if request.method == "POST":
        if form is None or form.is_valid():
            return_url = request.build_absolute_uri(reverse("billing_card_return")) + f"?next={back}"
            try:
                setup = card_setup_start(
                    user=request.user,
                    return_url=return_url,
                    cancel_url=request.build_absolute_uri(back),
                    card_number=form.cleaned_data["card_number"] if form else "",
                )
            except GatewayUnavailable:
                messages.error(request, PROCESSOR_DOWN)
                return redirect(back)
            except DomainError as error:
                if form is None:
                    messages.error(request, str(error))
                    return redirect(back)
                add_service_error(form, error)
            else:
                if setup.redirect_url:
                    return redirect(setup.redirect_url)
                messages.success(request, "Card saved. Payments are made with it from now on.")
                return redirect(back)
        return render(
            request,
            "payments/card.html",
            {"form": form, "profile": profile, "next": back, "gateway": gateway},
            status=400,
        )
    return render(request, "payments/card.html", {"form": form, "profile": profile, "next": back, "gateway": gateway})


@login_required
@require_http_methods(["GET", "HEAD"])
def card_return(request):
    """Back from the processor's card page."""
    back = _next(request, reverse("billing"))
    try:
        profile = card_setup_finish(user=request.user, setup_id=request.GET.get("session_id", "")[:100])
    except GatewayUnavailable:
        messages.error(request, PROCESSOR_DOWN)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{profile.card_label} saved. Payments are made with it from now on.")
    return redirect(back)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def payout_account(request):
    """Connect the account withdrawals go to (Stripe Express), or the sandbox's bank form."""
    gateway = get_gateway()
    account = PayoutAccount.objects.filter(user=request.user).first()
    form = SandboxBankForm(request.POST or None) if gateway.is_sandbox else None
    if request.method == "POST":
        if form is None or form.is_valid():
            try:
                url = payout_account_start(
                    user=request.user,
                    return_url=request.build_absolute_uri(reverse("payout_account_return")),
                    refresh_url=request.build_absolute_uri(reverse("payout_account")),
                    details=form.cleaned_data if form else None,
                )
            except GatewayUnavailable:
                messages.error(request, PROCESSOR_DOWN)
                return redirect(reverse("payout_account"))
            except DomainError as error:
                if form is None:
                    messages.error(request, str(error))
                    return redirect(reverse("payout_account"))
                add_service_error(form, error)
            else:
                if url:
                    return redirect(url)
                messages.success(request, "Payout account added. You can withdraw available money to it.")
                return redirect(reverse("earnings"))
        return render(
            request, "payments/payout_account.html", {"form": form, "account": account, "gateway": gateway}, status=400
        )
    return render(request, "payments/payout_account.html", {"form": form, "account": account, "gateway": gateway})


@login_required
@require_http_methods(["GET", "HEAD"])
def payout_account_return(request):
    """Back from Stripe's onboarding: read the account's status now (account.updated follows)."""
    try:
        account = payout_account_refresh(user=request.user)
    except GatewayUnavailable:
        messages.error(request, PROCESSOR_DOWN)
        return redirect(reverse("earnings"))
    except DomainError as error:
        messages.error(request, str(error))
        return redirect(reverse("earnings"))
    if account is None:
        messages.error(request, "You have no payout account yet.")
    elif account.payouts_enabled:
        messages.success(request, "Your payout account is ready: you can withdraw available money to it.")
    else:
        messages.info(request, "Stripe still needs some details before you can withdraw. Continue when you can.")
    return redirect(reverse("earnings"))
