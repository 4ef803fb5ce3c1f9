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


CARD_DIGITS = re.compile(r"[0-9]{12,19}")


class SandboxCardForm(forms.Form):
    """The sandbox's stand-in for the processor's card page: a test card number."""

    card_number = forms.CharField(
        label="Card number",
        max_length=40,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "cc-number", "placeholder": "4242 4242 4242 4242"}
        ),
        error_messages={"required": "Enter a card number."},
    )

    def clean_card_number(self) -> str:
        digits = re.sub(r"[\s-]", "", self.cleaned_data["card_number"])
        if not CARD_DIGITS.fullmatch(digits):
            raise ValidationError("Enter a card number: 12 to 19 digits.", code="invalid")
        return digits


class SandboxBankForm(forms.Form):
    """The sandbox's stand-in for Stripe's onboarding: where simulated withdrawals go."""

    holder = forms.CharField(label="Account holder's name", max_length=100)
    routing_number = forms.RegexField(
        label="Routing number",
        regex=r"^[0-9]{9}$",
        initial="110000000",
        error_messages={"invalid": "A routing number is 9 digits (the sandbox's test number is 110000000)."},
    )
    account_number = forms.RegexField(
        label="Account number",
        regex=r"^[0-9]{4,17}$",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"invalid": "An account number is 4 to 17 digits (try 000123456789)."},
    )
