"""The withdrawal form. It checks the shape of what was typed (dollars to whole cents, the form's
key); payout_request checks the rules (at most what is available, who may withdraw)."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

from core.forms import new_intent, parse_dollars

AMOUNT_MAX_LENGTH = 20
EMPTY_AMOUNT = "Enter the amount to withdraw."
KEY_PATTERN = re.compile(r"[0-9a-f]{32}")


class WithdrawForm(forms.Form):
    """A withdrawal. `key` is generated when the form is shown, so a double submit pays once."""

    amount = forms.CharField(
        label="Amount to withdraw (USD)",
        max_length=AMOUNT_MAX_LENGTH,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "amount-input"}),
        error_messages={"required": EMPTY_AMOUNT},
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("key", new_intent())

    def clean_amount(self) -> int:
        return parse_dollars(self.cleaned_data["amount"], empty_message=EMPTY_AMOUNT)

    def clean_key(self) -> str:
        key = self.cleaned_data["key"].strip().lower().replace("-", "")
        if not KEY_PATTERN.fullmatch(key):
            raise ValidationError("This form is out of date. Reload the page and try again.", code="invalid")
        return key
