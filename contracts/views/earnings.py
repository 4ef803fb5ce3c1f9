"""The freelancer's earnings page: balances, releases clearing, payouts, and withdrawing."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from contracts import selectors
from contracts.forms import WithdrawForm
from contracts.presenters import sandbox as _sandbox
from contracts.views._common import ServiceError
from core.forms import add_service_error as _show_error
from core.forms import dollars_for_input
from core.templatetags.core_tags import money
from payments.services import payout_request


def _earnings_context(request, form: WithdrawForm | None = None) -> dict:
    user = request.user
    balances = selectors.earnings_for_user(user)
    releases = selectors.releases_for_freelancer(user)
    clearing = [line for line in releases if not line.cleared]
    return {
        "balances": balances,
        "releases": releases,
        "next_clearing": min((line.clears_at for line in clearing), default=None),
        "payouts": list(selectors.payouts_for_user(user)[:50]),
        "form": form or WithdrawForm(initial={"amount": dollars_for_input(balances["available"])}),
        "clearance_days": settings.CLEARANCE_DAYS,
        **_sandbox(payouts=True),
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def earnings(request):
    if request.method != "POST":
        return render(request, "contracts/earnings.html", _earnings_context(request))
    form = WithdrawForm(request.POST)
    if form.is_valid():
        amount = form.cleaned_data["amount"]
        # The key names the person too, so one person's form can never replay another's payout.
        key = f"withdraw:{request.user.pk}:{form.cleaned_data['key']}"
        try:
            payout = payout_request(freelancer=request.user, amount_cents=amount, key=key)
        except ServiceError as error:
            _show_error(form, error)
        else:
            messages.success(
                request,
                f"Withdrawal of {money(payout.amount_cents, payout.currency)} sent. It reaches your bank in 1–3 days.",
            )
            return redirect(reverse("earnings"))
    return render(request, "contracts/earnings.html", _earnings_context(request, form), status=400)
