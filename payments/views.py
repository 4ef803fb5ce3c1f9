"""The earnings page (what a person was paid, what is still clearing, and withdrawals) and the
billing page (what a person paid, its CSV and a receipt per payment).

A POST parses the form and calls payout_request; a refusal is shown on the form and changes
nothing. What each release paid for is named through payments.selectors' reference resolvers.
"""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.exceptions import DomainError
from core.forms import add_service_error, dollars_for_input
from core.templatetags.core_tags import money
from core.text import spreadsheet_cell
from payments import monthly, selectors
from payments.forms import WithdrawForm
from payments.gateways import SandboxGateway, get_gateway
from payments.models import BankPayout, PayoutAccount
from payments.services import payout_request

SANDBOX_PAYOUT_NOTICE = "Sandbox payments: withdrawals are simulated and no real money is sent to your bank."
SANDBOX_CHARGE_NOTICE = "Sandbox payments: these charges and refunds are simulated; no real card was charged."


def _earnings_context(request, form: WithdrawForm | None = None) -> dict:
    user = request.user
    balances = selectors.earnings_for_user(user)
    releases = selectors.releases_for_payee(user)
    clearing = [line for line in releases if not line.cleared]
    return {
        "balances": balances,
        "releases": releases,
        "next_clearing": min((line.clears_at for line in clearing), default=None),
        "earnings_months": monthly.earnings_by_month(user),
        "payouts": list(selectors.payouts_for_user(user).prefetch_related("calls")[:50]),
        "payout_account": PayoutAccount.objects.filter(user=user).first(),
        "bank_payouts": list(BankPayout.objects.filter(account__user=user)[:20]),
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
                f"Withdrawal of {money(payout.amount_cents, payout.currency)} on its way to "
                f"{payout.destination or 'your payout account'}. It reaches your bank in 1–3 business days.",
            )
            return redirect(reverse("earnings"))
    return render(request, "payments/earnings.html", _earnings_context(request, form), status=400)


@login_required
@require_http_methods(["GET", "HEAD"])
def billing(request):
    """What a client paid: every card payment, refund and fee by contract, what was charged each
    month, and the saved card."""
    billing = selectors.billing_for_user(request.user)
    return render(
        request,
        "payments/billing.html",
        {
            "billing": billing,
            "profile": billing.profile,
            "charged_months": monthly.charged_by_month(request.user),
            "billing_limit": selectors.BILLING_LIMIT,
            "sandbox_notice": SANDBOX_CHARGE_NOTICE if getattr(get_gateway(), "is_sandbox", False) else "",
        },
    )


CSV_COLUMNS = ["date", "contract", "milestone", "kind", "status", "amount", "fee", "currency", "card", "reference"]


def _decimal(cents: int) -> str:
    """Cents as a plain decimal for a spreadsheet: 123456 → "1234.56"."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


@login_required
@require_http_methods(["GET", "HEAD"])
def billing_csv(request):
    """Every money event of the payer's billing, one row each, for a spreadsheet or an accountant."""
    billing = selectors.billing_for_user(request.user, limit=None)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for line in billing.lines:
        if line.status == "declined":
            continue  # no money moved
        contract = line.subject.context if line.subject else line.description
        milestone = line.subject.title if line.subject else ""
        writer.writerow(
            [
                timezone.localtime(line.at).date().isoformat(),
                spreadsheet_cell(contract),
                spreadsheet_cell(milestone),
                line.kind_label,
                line.status_label,
                _decimal(line.amount_cents),
                _decimal(line.fee_cents),
                line.currency,
                spreadsheet_cell(line.card_label),
                spreadsheet_cell(line.reference),
            ]
        )
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="proofwork-billing-{timezone.localdate().isoformat()}.csv"'
    return response


@login_required
@require_http_methods(["GET", "HEAD"])
def billing_receipt(request, pk: int):
    """A printable receipt for one paid payment of the viewer's own; any other is a 404."""
    receipt = selectors.receipt_for_user(request.user, pk)
    if receipt is None:
        raise Http404("No such receipt.")
    return render(
        request,
        "payments/receipt.html",
        {
            "receipt": receipt,
            "payment": receipt.payment,
            "subject": receipt.subject,
            "refunds": receipt.refunds,
            "simulated": receipt.payment.gateway == SandboxGateway.name,
        },
    )
