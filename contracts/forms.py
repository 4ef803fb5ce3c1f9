"""Forms for offers and milestones. They check the shape of what was typed (dollars
to whole cents, dates, files); the services check the rules (limits, states, who may act)."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

from contracts.models import Contract, Dispute
from contracts.services.contracts import END_NOTE_MAX_LENGTH
from contracts.services.milestones import MAX_SUBMISSION_FILES
from core.forms import IntentField, IntentFormMixin, MultipleFileField, optional_text, parse_dollars
from core.text import single_line

AMOUNT_MAX_LENGTH = 20
CARD_DIGITS = re.compile(r"\d{12,19}")


class AmountField(forms.CharField):
    """An amount in dollars as typed; cleaned to integer cents."""

    def __init__(self, *args, empty_message: str = "Enter an amount, such as 250 or 250.50.", **kwargs):
        kwargs.setdefault("max_length", AMOUNT_MAX_LENGTH)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "amount-input"})
        )
        kwargs.setdefault("error_messages", {"required": empty_message})
        super().__init__(*args, **kwargs)
        self.empty_message = empty_message

    def clean(self, value):
        value = super().clean(value)
        if not self.required and not (value or "").strip():
            return None
        return parse_dollars(value, empty_message=self.empty_message)


# --- Offers ---------------------------------------------------------------------------------


class OfferDeclineForm(forms.Form):
    reason = optional_text(label="Reason (optional)", help_text="The client sees this reason.", rows=3)


class OfferReviseForm(forms.Form):
    change_rounds = forms.TypedChoiceField(
        label="Change rounds per milestone",
        choices=[(n, str(n)) for n in range(6)],
        coerce=int,
        required=False,
        empty_value=None,  # not sent: the offer keeps its rounds
        help_text="How many times the client may ask for changes on a delivery before approving it.",
    )
    note = optional_text(
        label="Note to the other side (optional)",
        help_text="Why you propose these terms. It goes with the notification.",
        max_length=300,
    )


class FollowOnForm(forms.Form):
    title = forms.CharField(
        max_length=120, validators=[single_line], error_messages={"required": "Give the new work a title."}
    )
    scope = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10_000,
        help_text="What the freelancer will do. Plain text; line breaks are kept.",
        error_messages={"required": "Describe the work."},
    )


# --- Contracts ------------------------------------------------------------------------------


class ContractEndForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why are you ending it?",
        choices=Contract.EndReasonDetail.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose why you are ending the contract.",
            "invalid_choice": "Choose a reason from the list.",
        },
    )
    note = optional_text(
        label="Note (optional)",
        help_text="The other party reads it with the reason, on the contract and in their notification.",
        max_length=END_NOTE_MAX_LENGTH,
        rows=3,
    )


# --- Milestones -----------------------------------------------------------------------------


class FundForm(forms.Form):
    """The card for a payment. In the sandbox a test card number is typed here (optional when a
    card is saved); with Stripe the saved card is charged and there is no field at all."""

    card_number = forms.CharField(
        label="Card number",
        max_length=40,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "cc-number", "placeholder": "4242 4242 4242 4242"}
        ),
        error_messages={"required": "Enter a card number."},
    )

    def __init__(self, *args, card_entry: bool = True, saved_card: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if not card_entry:
            del self.fields["card_number"]
        elif saved_card:
            field = self.fields["card_number"]
            field.required = False
            field.help_text = f"Leave it empty to pay with your saved {saved_card}."

    def clean_card_number(self) -> str:
        digits = re.sub(r"[\s-]", "", self.cleaned_data["card_number"])
        if not digits and not self.fields["card_number"].required:
            return ""
        if not CARD_DIGITS.fullmatch(digits):
            raise ValidationError("Enter a card number: 12 to 19 digits.", code="invalid")
        return digits


class SubmitWorkForm(forms.Form):
    message = optional_text(
        label="What you delivered",
        help_text="Describe the work and how it meets the acceptance criteria.",
        max_length=5000,
        rows=4,
    )
    files = MultipleFileField(
        max_files=MAX_SUBMISSION_FILES,
        label="Files",
        help_text=f"Up to {MAX_SUBMISSION_FILES} files: PDF, images, ZIP, Office documents or plain text.",
    )

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("message") or "").strip() and not data.get("files"):
            raise ValidationError("Describe what you delivered, or attach it.", code="empty")
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="What needs to change",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
        error_messages={"required": "Say what needs to change."},
    )


class PartialReleaseForm(IntentFormMixin, forms.Form):
    amount = AmountField(label="Amount to release now (USD)", empty_message="Enter the amount to release.")
    intent = IntentField()


class RefundRequestForm(forms.Form):
    amount = AmountField(
        label="Amount (USD)",
        required=False,
        help_text="Leave empty to ask for everything still held.",
    )
    reason = optional_text(label="Reason", help_text="The freelancer sees this.")


class RefundOfferForm(IntentFormMixin, forms.Form):
    amount = AmountField(label="Amount to give back (USD)", empty_message="Enter the amount to give back.")
    intent = IntentField()


class RefundDeclineForm(forms.Form):
    reason = optional_text(label="Reason (optional)", help_text="The client sees this.")


class AddMilestoneForm(forms.Form):
    title = forms.CharField(
        max_length=120, validators=[single_line], error_messages={"required": "Give the milestone a title."}
    )
    amount = AmountField(label="Amount (USD)")
    due_date = forms.DateField(
        label="Due date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={"required": "Choose a due date.", "invalid": "Enter a date such as 2025-06-30."},
    )


class MilestoneEditForm(AddMilestoneForm):
    """New terms for an unfunded milestone; the other side accepts or declines them."""

    note = optional_text(
        label="Note (optional)", help_text="Why you propose this. The other side sees it.", max_length=300
    )


class MilestoneEditDeclineForm(forms.Form):
    reason = optional_text(label="Reason (optional)", help_text="The other side sees this.")


# --- Disputes -------------------------------------------------------------------------------


class DisputeOpenForm(forms.Form):
    reason = forms.ChoiceField(
        label="What went wrong",
        choices=[("", "Choose a reason")] + [c for c in Dispute.Reason.choices if c[0] != Dispute.Reason.CHARGEBACK],
        error_messages={
            "required": "Choose a reason from the list.",
            "invalid_choice": "Choose a reason from the list.",
        },
    )
    description = forms.CharField(
        label="What happened",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 4000}),
        help_text="Dates, what was agreed and what was delivered. The other side and, if it comes to that, a "
        "moderator read this.",
        error_messages={"required": "Say what happened, in a few sentences."},
    )
    asked = AmountField(label="What you ask for (USD)")
    files = MultipleFileField(label="Evidence (optional)", max_files=10, help_text="Screenshots, files, exports.")


class DisputeRespondForm(forms.Form):
    response = forms.CharField(
        label="Your account",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 4000}),
        error_messages={"required": "Give your side, in a few sentences."},
    )
    asked = AmountField(label="What you think is fair for you (USD)")
    files = MultipleFileField(label="Evidence (optional)", max_files=10)


class DisputeSplitForm(forms.Form):
    """A split of what is held, as the freelancer's part (a proposal, or a moderator's decision)."""

    freelancer_amount = AmountField(label="To the freelancer (USD)", help_text="The rest goes back to the client.")
    note = optional_text(label="Note (optional)", help_text="The other side reads it.", max_length=500)


class DisputeDecideForm(forms.Form):
    freelancer_amount = AmountField(label="To the freelancer (USD)", help_text="The rest goes back to the client.")
    rationale = forms.CharField(
        label="Rationale",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 4000}),
        help_text="Both parties read it.",
        error_messages={"required": "Write why: both parties read it."},
    )


class EvidenceForm(forms.Form):
    files = MultipleFileField(label="Add evidence", max_files=10, required=True)
    note = forms.CharField(label="About these files (optional)", max_length=300, required=False)
