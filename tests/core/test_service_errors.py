"""A service's refusal lands on the form field it names when the form has that field, else on the form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from core.exceptions import DomainError
from core.forms import add_service_error


class AmountForm(forms.Form):
    amount = forms.CharField(required=False)
    note = forms.CharField(required=False)


def bound() -> AmountForm:
    form = AmountForm({"amount": "5", "note": ""})
    assert form.is_valid()
    return form


def test_a_domain_error_goes_on_the_field_it_names_or_on_the_form():
    form = bound()
    add_service_error(form, DomainError("Too much.", field="amount"))
    add_service_error(form, DomainError("Card declined.", field="card"))
    assert form.errors == {"amount": ["Too much."], "__all__": ["Card declined."]}


def test_a_validation_error_by_field_goes_on_each_field_the_form_has():
    form = bound()
    add_service_error(form, ValidationError({"amount": ["Whole cents."], "slots": ["Pick a time."]}))
    add_service_error(form, ValidationError("Nothing changed."))
    assert form.errors == {"amount": ["Whole cents."], "__all__": ["Pick a time.", "Nothing changed."]}


def test_a_field_map_renames_and_a_list_collects_texts_shown_apart():
    form, elsewhere = bound(), []
    error = ValidationError({"amount_cents": ["Above the cap."], "milestones": ["Add one."], "note": ["Too long."]})
    add_service_error(form, error, field_map={"amount_cents": "amount", "milestones": elsewhere})
    # "note" is not in the map, so it goes on the form as a whole
    assert form.errors == {"amount": ["Above the cap."], "__all__": ["Too long."]}
    assert elsewhere == ["Add one."]
    form = bound()
    add_service_error(form, DomainError("Budget too low.", field="budget_cents"), field_map=lambda key: "amount")
    assert form.errors == {"amount": ["Budget too low."]}
