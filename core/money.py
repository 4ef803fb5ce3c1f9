"""Parsing money typed by people into integer minor units. No floats anywhere."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from core.exceptions import DomainError


def parse_amount_to_cents(value: str | int | Decimal, *, field: str | None = None) -> int:
    """Turn "1,250.5" or Decimal("12.34") into cents; refuse fractional cents and garbage."""
    try:
        amount = Decimal(str(value).replace(",", "").replace("$", "").strip())
    except InvalidOperation as error:
        raise DomainError("Enter an amount such as 45 or 45.50.", field=field) from error
    if not amount.is_finite():
        raise DomainError("Enter an amount such as 45 or 45.50.", field=field)
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise DomainError("Amounts can have at most two decimal places.", field=field)
    return int(cents)
