from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.forms.renderers import TemplatesSetting

from core.exceptions import DomainError
from core.files import validate_attachment
from core.milestones import MilestoneTerms
from core.money import parse_amount_to_cents
from core.text import single_line
from core.viewer_cache import new_form_key


class FormRenderer(TemplatesSetting):
    """Django's form templates, with each field wrapped so labels, help and errors stay together."""

    field_template_name = "forms/field.html"


def _error_target(form, key: str | None, field_map):
    if field_map is None:
        target = key
    elif callable(field_map):
        target = field_map(key)
    else:
        target = field_map.get(key)
    if isinstance(target, list):
        return target
    return target if target in form.fields else None


def add_service_error(
    form, error: ValidationError | DomainError, field_map=None, *, beside_form_errors: bool = False
) -> None:
    """Put a service's refusal on a form: on the field it names when the form has it, else on the form.

    `field_map` renames a service's field to the form's (a dict, or a function of the name; a name
    the dict lacks goes on the form). A list as the target collects the texts instead, for errors
    shown apart from the form (a table of milestones).

    `beside_form_errors`: the service checked what a form that failed its own checks could read,
    so that every error shows at once; a field the form already faults (the service saw it as
    empty) and anything not about one field are left out, so nothing is said twice or wrongly."""
    if isinstance(error, ValidationError):
        pairs = error.message_dict.items() if hasattr(error, "error_dict") else [(None, error.messages)]
    else:
        pairs = [(error.field, [error.message])]
    for key, texts in pairs:
        target = _error_target(form, key, field_map)
        if isinstance(target, list):
            target.extend(texts)
        elif beside_form_errors and (target is None or target in form.errors):
            continue
        else:
            form.add_error(target, texts)


def optional_text(*, label: str, help_text: str, max_length: int = 500, rows: int = 2) -> forms.CharField:
    """Free text a person may leave empty (a reason, a note), its limit kept by the browser too."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": max_length}),
        help_text=help_text,
    )


def parse_dollars(value: str, *, empty_message: str = "Enter an amount, such as 250 or 250.50.") -> int:
    """Dollars typed by a person to cents, with errors a person understands."""
    value = (value or "").strip()
    if not value:
        raise ValidationError(empty_message, code="required")
    try:
        cents = parse_amount_to_cents(value)
    except DomainError as error:
        raise ValidationError(error.message, code="invalid") from error
    if cents <= 0:
        raise ValidationError("Enter an amount above zero, such as 250 or 250.50.", code="min_value")
    return cents


def dollars_for_input(cents: int) -> str:
    """Cents back to what a person would type: 1200 or 1200.50 (no floats on the way)."""
    whole, rest = divmod(cents, 100)
    return f"{whole}.{rest:02d}" if rest else str(whole)


class MilestoneRowForm(forms.Form):
    """One row of the milestone table. A row left entirely blank is ignored."""

    title = forms.CharField(
        max_length=120,
        required=False,
        validators=[single_line],
        widget=forms.TextInput(attrs={"data-milestone-title": ""}),
    )
    amount = forms.CharField(
        label="Amount (USD)",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "data-milestone-amount": ""}),
    )
    due_date = forms.DateField(
        label="Due date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "Enter a date such as 2025-06-30."},
    )

    def is_blank(self) -> bool:
        return not any((self.data.get(self.add_prefix(name)) or "").strip() for name in self.fields)

    def clean(self):
        data = super().clean()
        if self.is_blank():
            return {}
        if not (data.get("title") or "").strip() and "title" not in self.errors:
            self.add_error("title", "Give this milestone a title.")
        if "due_date" not in self.errors and not data.get("due_date"):
            self.add_error("due_date", "Choose a due date.")
        if "amount" not in self.errors:
            try:
                data["amount"] = parse_dollars(data.get("amount", ""), empty_message="Enter an amount.")
            except ValidationError as error:
                self.add_error("amount", error)
        return data


class MilestoneFormSet(forms.BaseFormSet):
    """The milestone rows of a proposal, an offer or a change of terms; blank rows are skipped."""

    # Offers refuse an empty table here; a proposal's service says so itself, next to the bid.
    require_one = True

    def get_form_kwargs(self, index):
        # Blank rows are skipped by the row form itself, so every row may be empty.
        return {"empty_permitted": True, "use_required_attribute": False}

    def clean(self):
        super().clean()
        if any(self.errors) or not self.require_one:
            return
        if not self.milestones():
            raise ValidationError("Fill in at least one milestone.", code="empty")

    def milestones(self) -> list[MilestoneTerms]:
        return [
            MilestoneTerms(
                title=form.cleaned_data["title"].strip(),
                amount_cents=form.cleaned_data["amount"],
                due_date=form.cleaned_data["due_date"],
            )
            for form in self.forms
            if form.cleaned_data and not form.is_blank()
        ]


def milestone_rows(milestones) -> list[dict]:
    """Existing milestones (anything with a title, amount_cents and due_date) as rows to edit."""
    return [{"title": m.title, "amount": dollars_for_input(m.amount_cents), "due_date": m.due_date} for m in milestones]


def milestone_formset(
    data=None, *, initial: list[dict] | None = None, extra: int = 1, require_one: bool = True
) -> MilestoneFormSet:
    """Rows to fill: the `initial` ones and `extra` empty rows, at most PROPOSAL_MAX_MILESTONES."""
    most = settings.PROPOSAL_MAX_MILESTONES
    formset = forms.formset_factory(
        MilestoneRowForm,
        formset=MilestoneFormSet,
        extra=extra,
        max_num=most,
        absolute_max=most,
        validate_max=True,
    )
    formset.require_one = require_one
    if data is not None:
        return formset(data, prefix="milestones")
    return formset(initial=initial or [], prefix="milestones")


# Attachments: what the file picker offers; the bytes are what core.files actually checks.
ACCEPTED_FILES = ".pdf,.png,.jpg,.jpeg,.gif,.webp,.zip,.docx,.xlsx,.pptx,.txt"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input: each file's bytes are checked and every refusal is reported."""

    def __init__(self, *args, max_files: int | None = None, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPTED_FILES}))
        kwargs.setdefault("required", False)
        kwargs.setdefault("validators", [validate_attachment])
        super().__init__(*args, **kwargs)
        self.max_files = max_files

    def clean(self, data, initial=None):
        uploads = [upload for upload in (data if isinstance(data, list | tuple) else [data]) if upload]
        if self.required and not uploads:
            raise ValidationError(self.error_messages["required"], code="required")
        if self.max_files is not None and len(uploads) > self.max_files:
            raise ValidationError(f"Attach at most {self.max_files} files.", code="max_files")
        cleaned, errors = [], []
        for upload in uploads:
            try:
                cleaned.append(super().clean(upload, initial))
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)
        return cleaned


def new_intent() -> str:
    return new_form_key()


class IntentField(forms.CharField):
    """A hidden key made when a money form is shown: posting the same form twice (a double click,
    the back button, a retried request) carries the same key, and the service moves money once."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("initial", new_intent)
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)
        self.validators.append(
            RegexValidator(r"^[A-Za-z0-9_-]{8,64}$", "This form is out of date. Reload the page and try again.")
        )


class IntentFormMixin:
    """A money form with an `intent` field: a bad key is said above the form, not on a hidden field."""

    def clean(self):
        cleaned = super().clean()
        if "intent" in self.errors:
            self.add_error(None, self.errors.pop("intent"))
        return cleaned
