from __future__ import annotations

from django import template

register = template.Library()

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


@register.filter
def money(amount_cents: int | None, currency: str = "USD") -> str:
    """The one way money is shown: integer minor units to "$1,234.50"."""
    if amount_cents is None or amount_cents == "":
        return "—"
    amount_cents = int(amount_cents)
    sign = "-" if amount_cents < 0 else ""
    whole, cents = divmod(abs(amount_cents), 100)
    symbol = CURRENCY_SYMBOLS.get(currency.upper(), "")
    suffix = "" if symbol else f" {currency.upper()}"
    return f"{sign}{symbol}{whole:,}.{cents:02d}{suffix}"
