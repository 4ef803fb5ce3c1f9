"""Reads of money by calendar month, for the charts on the earnings and billing pages: the last
twelve months in the current time zone (the person's own), a month without money at zero, one
query per chart whatever the number of months or payments.

Each figure means what the page it is drawn on already says: on earnings, what was released to the
person after the service fee (the "You received" of each release); on billing, what was charged to
the card, the client fee included (the "Charged to your card" of the totals).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from django.db.models import F, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from core.charts import ChartRow, month_rows, month_starts, start_of
from payments import accounts
from payments.models import LedgerEntry, Payment
from payments.selectors import RELEASE_KINDS

MONTHS = 12


def _month(value: datetime | date) -> date:
    """TruncMonth's answer as the first day of the month, in the current time zone."""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date()
    return value


def earnings_by_month(user) -> list[ChartRow]:
    """What was released to the person, net of the service fee, in each of the last twelve months."""
    months = month_starts(MONTHS)
    if not getattr(user, "is_authenticated", False):
        return month_rows({}, months)
    rows = (
        LedgerEntry.objects.filter(
            account=accounts.pending(user.pk),
            amount_cents__gt=0,
            transaction__kind__in=RELEASE_KINDS,
            transaction__created_at__gte=start_of(months[0]),
        )
        .annotate(month=TruncMonth("transaction__created_at"))
        .order_by()
        .values("month")
        .annotate(total=Sum("amount_cents"))
        .values_list("month", "total")
    )
    totals: dict[date, int] = defaultdict(int)
    for month, total in rows:
        totals[_month(month)] += total
    return month_rows(totals, months)


def charged_by_month(user) -> dict[str, list[ChartRow]]:
    """What the person's card was charged (the client fee included) in each of the last twelve
    months, by currency; a currency with no charge in that time is left out."""
    months = month_starts(MONTHS)
    if not getattr(user, "is_authenticated", False):
        return {}
    rows = (
        Payment.objects.filter(payer=user, status=Payment.Status.SUCCEEDED)
        # A payment counts when it was paid, as on its billing line.
        .annotate(paid_at=Coalesce("settled_at", "created_at"))
        .filter(paid_at__gte=start_of(months[0]))
        .annotate(month=TruncMonth("paid_at"))
        .order_by()
        .values("currency", "month")
        .annotate(total=Sum(F("amount_cents") + F("fee_cents")))
        .values_list("currency", "month", "total")
    )
    totals: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for currency, month, total in rows:
        totals[currency][_month(month)] += total
    return {currency: month_rows(by_month, months) for currency, by_month in sorted(totals.items())}
