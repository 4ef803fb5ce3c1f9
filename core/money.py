"""Parsing money typed by people into integer minor units. No floats anywhere."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from core.exceptions import DomainError

# Digits with an optional sign and decimal part: no exponents, no NaN. Callers cap the size.
PLAIN_NUMBER = re.compile(r"[+-]?\d{1,30}(\.\d{1,30})?")
GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d{1,30})?")


def parse_amount_to_cents(value: str | int | Decimal, *, field: str | None = None) -> int:
    """Turn "1,250.5" or Decimal("12.34") into cents; refuse fractional cents and garbage."""
    text = str(value).replace("$", "").strip()
    if "," in text:
        # Thousands separators only where they belong: "1,250.50" yes, "4,5,0" or "12,50" no.
        if not GROUPED_NUMBER.fullmatch(text):
            raise DomainError("Enter an amount such as 1,250 or 1250.50; commas only between thousands.", field=field)
        text = text.replace(",", "")
    if not PLAIN_NUMBER.fullmatch(text):
        raise DomainError("Enter an amount such as 45 or 45.50.", field=field)
    try:
        amount = Decimal(text)
        cents = amount * 100
    except (InvalidOperation, ArithmeticError) as error:
        raise DomainError("Enter an amount such as 45 or 45.50.", field=field) from error
    if cents != cents.to_integral_value():
        raise DomainError("Amounts can have at most two decimal places.", field=field)
    return int(cents)
