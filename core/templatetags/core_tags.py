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


@register.filter
def money_short(amount_cents: int | None, currency: str = "USD") -> str:
    """Money rounded for a label on a chart, where the exact figure is in a table beside it:
    "$950", "$1.2k", "$48k", "$1.3M"."""
    if amount_cents is None or amount_cents == "":
        return "—"
    amount_cents = int(amount_cents)
    sign = "-" if amount_cents < 0 else ""
    dollars = (abs(amount_cents) + 50) // 100  # half a unit rounds up
    symbol = CURRENCY_SYMBOLS.get(currency.upper(), "")
    suffix = "" if symbol else f" {currency.upper()}"
    return f"{sign}{symbol}{_short_number(dollars)}{suffix}"


def _short_number(whole: int) -> str:
    """950 → "950", 1_240 → "1.2k", 48_300 → "48k", 999_700 → "1M": three figures at most."""
    if whole < 1_000:
        return str(whole)
    for size, unit in ((1_000, "k"), (1_000_000, "M"), (1_000_000_000, "B")):
        tenths = (whole * 10 + size // 2) // size
        if tenths < 100:
            return f"{tenths // 10}{unit}" if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}{unit}"
        rounded = (whole + size // 2) // size
        if rounded < 1_000 or unit == "B":
            return f"{rounded}{unit}"
    raise AssertionError("unreachable")
