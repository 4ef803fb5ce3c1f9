"""The earnings page: what a person was paid, what is still clearing, and withdrawals.

A POST parses the form and calls payout_request; a refusal is shown on the form and changes
nothing. What each release paid for is named through payments.selectors' reference resolvers.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.exceptions import DomainError
from core.forms import add_service_error, dollars_for_input
from core.templatetags.core_tags import money
from payments import selectors
from payments.forms import WithdrawForm
from payments.gateways import get_gateway
from payments.services import payout_request

SANDBOX_PAYOUT_NOTICE = "Sandbox payments: withdrawals are simulated and no real money is sent to your bank."


def _earnings_context(request, form: WithdrawForm | None = None) -> dict:
    user = request.user
    balances = selectors.earnings_for_user(user)
    releases = selectors.releases_for_payee(user)
    clearing = [line for line in releases if not line.cleared]
    return {
        "balances": balances,
        "releases": releases,
        "next_clearing": min((line.clears_at for line in clearing), default=None),
        "payouts": list(selectors.payouts_for_user(user)[:50]),
        "form": form or WithdrawForm(initial={"amount": dollars_for_input(balances["available"])}),
        "clearance_days": settings.CLEARANCE_DAYS,
        "sandbox_notice": SANDBOX_PAYOUT_NOTICE if getattr(get_gateway(), "is_sandbox", False) else "",
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def earnings(request):
    if request.method != "POST":
        return render(request, "payments/earnings.html", _earnings_context(request))
    form = WithdrawForm(request.POST)
    if form.is_valid():
        amount = form.cleaned_data["amount"]
        # The key names the person too, so one person's form can never replay another's payout.
        key = f"withdraw:{request.user.pk}:{form.cleaned_data['key']}"
        try:
            payout = payout_request(freelancer=request.user, amount_cents=amount, key=key)
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                f"Withdrawal of {money(payout.amount_cents, payout.currency)} sent. It reaches your bank in 1–3 days.",
            )
            return redirect(reverse("earnings"))
    return render(request, "payments/earnings.html", _earnings_context(request, form), status=400)
