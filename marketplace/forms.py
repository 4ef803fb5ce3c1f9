"""Forms for the market pages: they check the shape of what people type; services check the rules."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from accounts.models import Skill, SkillCategory
from core.exceptions import DomainError
from core.forms import MultipleFileField
from core.money import parse_amount_to_cents
from core.text import single_line
from marketplace.models import DEFAULT_NDA_TEXT, DESCRIPTION_MAX_LENGTH, Project

# ---------------------------------------------------------------------------------------------
# Projects, search and invitations
# ---------------------------------------------------------------------------------------------

QUESTION_SLOTS = 5
MONEY_INPUT_MAX_LENGTH = 20


def cents_to_input(cents: int | None) -> str:
    """Cents as a person would type them back: "450" or "450.50"."""
    if cents is None:
        return ""
    whole, part = divmod(int(cents), 100)
    return f"{whole}" if part == 0 else f"{whole}.{part:02d}"


# Digits with optional thousands commas and cents; no exponents ("1e99999999" overflows Decimal).
PLAIN_AMOUNT = re.compile(r"-?\$?\s*[0-9][0-9,]*(\.[0-9]*)?|-?\$?\s*\.[0-9]+")


def _parse_money(value: str) -> int:
    """Dollars typed by a person to cents above zero, or a ValidationError that says what to type."""
    if not PLAIN_AMOUNT.fullmatch(value.strip()):
        raise ValidationError("Enter an amount such as 45 or 45.50.", code="invalid")
    try:
        cents = parse_amount_to_cents(value)
    except DomainError as error:
        raise ValidationError(error.message, code="invalid") from error
    if cents <= 0:
        raise ValidationError("Enter an amount above zero, such as 450 or 450.50.", code="not_positive")
    return cents


class SkillChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Skill) -> str:
        return obj.name


class ProjectForm(forms.Form):
    """Create or edit a draft project of one kind (a paid test or a standard project)."""

    BUDGET_FIXED = "fixed"
    BUDGET_RANGE = "range"

    title = forms.CharField(
        max_length=120,
        validators=[single_line],
        widget=forms.TextInput(attrs={"placeholder": "Add Stripe refunds to our Django shop"}),
        help_text="What needs doing, in a few words.",
    )
    summary = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 300}),
        help_text="Shown to everyone, also when the project is confidential. Up to 300 characters.",
    )
    description = forms.CharField(
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 10, "maxlength": DESCRIPTION_MAX_LENGTH}),
        help_text="The full brief. Plain text; line breaks are kept.",
    )
    acceptance_criteria = forms.CharField(
        label="Acceptance criteria",
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 3000}),
        help_text="Say what “done” means, so both sides know when the work is finished.",
    )
    follow_on_plan = forms.CharField(
        label="If this goes well, I plan to offer…",
        label_suffix="",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
        help_text="For example: a three-month contract to build the rest of the checkout.",
    )
    category = forms.ModelChoiceField(queryset=SkillCategory.objects.all(), empty_label="Choose a category")
    skills = SkillChoiceField(
        queryset=Skill.objects.all(), required=False, widget=forms.CheckboxSelectMultiple, label="Skills"
    )
    experience_level = forms.ChoiceField(
        choices=Project.ExperienceLevel.choices, initial=Project.ExperienceLevel.INTERMEDIATE
    )
    budget_type = forms.ChoiceField(
        label="Budget",
        choices=[(BUDGET_FIXED, "Fixed price"), (BUDGET_RANGE, "Range")],
        initial=BUDGET_FIXED,
        required=False,
        widget=forms.RadioSelect,
    )
    budget_min = forms.CharField(
        label="Amount (USD)",
        max_length=MONEY_INPUT_MAX_LENGTH,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "450", "autocomplete": "off"}),
        help_text="In dollars, for example 450 or 450.50. For a range, the lower end.",
    )
    budget_max = forms.CharField(
        label="Up to (USD)",
        required=False,
        max_length=MONEY_INPUT_MAX_LENGTH,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "900", "autocomplete": "off"}),
        help_text="The upper end of the range.",
    )
    duration_days = forms.IntegerField(
        label="Expected duration (days)", min_value=1, max_value=365, widget=forms.NumberInput(attrs={"min": 1})
    )
    apply_by = forms.DateField(
        label="Deadline to apply",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The last day freelancers can send proposals.",
    )
    attachments = MultipleFileField(
        required=False,
        help_text="Up to 5 files: PDF, images, ZIP, Office documents or plain text, 10 MB each.",
    )
    remove_attachments = forms.ModelMultipleChoiceField(
        queryset=Project.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label="Remove"
    )
    visibility = forms.ChoiceField(
        choices=Project.Visibility.choices, initial=Project.Visibility.PUBLIC, widget=forms.RadioSelect
    )
    is_confidential = forms.BooleanField(
        label="Confidential: show only the title, summary, budget and skills until a freelancer accepts the NDA",
        required=False,
    )
    nda_text = forms.CharField(
        label="NDA text",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 5000}),
        help_text="What freelancers agree to before they can read the full brief.",
    )

    def __init__(self, *args, kind: str, project: Project | None = None, **kwargs):
        self.kind = kind
        self.project = project
        if project is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(project)
        super().__init__(*args, **kwargs)
        for slot in range(1, QUESTION_SLOTS + 1):
            self.fields[f"question_{slot}"] = forms.CharField(label=f"Question {slot}", required=False, max_length=300)
            self.fields[f"question_{slot}_required"] = forms.BooleanField(
                label="Required", required=False, initial=True
            )
        if project is not None:
            self.fields["remove_attachments"].queryset = project.attachments.all()
        else:
            del self.fields["remove_attachments"]
        if self.is_test:
            self.fields["budget_min"].label = "Fixed price (USD)"
            self.fields["budget_min"].help_text = (
                f"In dollars, for example 450 or 450.50. A paid test is at most "
                f"${settings.TEST_PROJECT_MAX_CENTS // 100:,}."
            )
            self.fields["duration_days"].help_text = f"At most {settings.TEST_PROJECT_MAX_DAYS} days for a paid test."
            self.fields["acceptance_criteria"].label = "Acceptance criteria (required)"
        else:
            del self.fields["follow_on_plan"]
        if project is None:
            self.initial.setdefault("nda_text", DEFAULT_NDA_TEXT)
        for name, text in self.REQUIRED.items():
            if name in self.fields:
                self.fields[name].error_messages["required"] = text
        self.fields["duration_days"].error_messages["min_value"] = "The work takes at least 1 day."

    # What a missing field says, in the site's words rather than "This field is required."
    REQUIRED = {
        "title": "Give the project a title.",
        "summary": "Write a one-line summary: freelancers read it in search results.",
        "description": "Describe the work.",
        "category": "Choose a category.",
        "experience_level": "Choose the experience you need.",
        "budget_min": "Enter the budget, such as 1500 or 1,500.50.",
        "duration_days": "Enter how many days the work takes.",
        "apply_by": "Choose the last day freelancers can apply.",
        "visibility": "Choose who can see the project.",
    }

    @property
    def is_test(self) -> bool:
        return self.kind == Project.Kind.TEST

    @property
    def question_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"question_{slot}"], self[f"question_{slot}_required"]) for slot in range(1, QUESTION_SLOTS + 1)]

    @property
    def selected_skill_ids(self) -> set[int]:
        return {int(pk) for pk in self["skills"].value() or [] if str(pk).isdigit()}

    @property
    def is_range(self) -> bool:
        value = self.data.get("budget_type") if self.is_bound else self.initial.get("budget_type")
        return value == self.BUDGET_RANGE

    @staticmethod
    def initial_from(project: Project) -> dict:
        initial = {
            "title": project.title,
            "summary": project.summary,
            "description": project.description,
            "acceptance_criteria": project.acceptance_criteria,
            "follow_on_plan": project.follow_on_plan,
            "category": project.category_id,
            "skills": [skill.pk for skill in project.skills.all()],
            "experience_level": project.experience_level,
            "budget_type": ProjectForm.BUDGET_FIXED if project.is_fixed_amount else ProjectForm.BUDGET_RANGE,
            "budget_min": cents_to_input(project.budget_min_cents),
            "budget_max": "" if project.is_fixed_amount else cents_to_input(project.budget_max_cents),
            "duration_days": project.duration_days,
            "apply_by": project.apply_by,
            "visibility": project.visibility,
            "is_confidential": project.is_confidential,
            "nda_text": project.nda_text,
        }
        for slot, question in enumerate(project.questions.all(), start=1):
            initial[f"question_{slot}"] = question.text
            initial[f"question_{slot}_required"] = question.required
        return initial

    def clean_budget_min(self) -> int:
        return _parse_money(self.cleaned_data["budget_min"])

    def clean(self):
        data = super().clean()
        budget_type = data.get("budget_type") or self.BUDGET_FIXED
        data["budget_type"] = budget_type
        raw_max = (data.get("budget_max") or "").strip()
        if budget_type == self.BUDGET_RANGE:
            if not raw_max:
                self.add_error("budget_max" if not self.is_test else "budget_min", "Enter the upper end of the range.")
            else:
                try:
                    data["budget_max_cents"] = _parse_money(raw_max)
                except ValidationError as error:
                    self.add_error("budget_max" if not self.is_test else "budget_min", error)
        elif "budget_min" in data:
            data["budget_max_cents"] = data["budget_min"]
        return data

    def error_field_for(self, service_field: str) -> str | None:
        """Where a service's error about `service_field` shows on this form (None: at the top)."""
        if service_field == "budget_min_cents":
            return "budget_min"
        if service_field == "budget_max_cents":
            return "budget_max" if self.is_range and not self.is_test else "budget_min"
        return service_field if service_field in self.fields else None

    def rules_input(self) -> dict:
        """What the fields that passed their own checks hold, for project_rules_check."""
        data = self.cleaned_data
        fields = {
            "title": data.get("title"),
            "summary": data.get("summary"),
            "description": data.get("description"),
            "acceptance_criteria": (data.get("acceptance_criteria") or "").strip(),
            "category": data.get("category"),
            "budget_min_cents": data.get("budget_min"),
            "budget_max_cents": data.get("budget_max_cents", data.get("budget_min")),
            "duration_days": data.get("duration_days"),
            "apply_by": data.get("apply_by"),
            "is_confidential": bool(data.get("is_confidential")),
            "nda_text": (data.get("nda_text") or "").strip(),
        }
        return {
            "kind": self.kind,
            "data": {key: value for key, value in fields.items() if value is not None},
            "skills": list(data.get("skills") or []),
            "questions": [],
        }

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        questions = []
        for slot in range(1, QUESTION_SLOTS + 1):
            text = (data.get(f"question_{slot}") or "").strip()
            if text:  # blank slots are simply not asked
                questions.append({"text": text, "required": bool(data.get(f"question_{slot}_required"))})
        fields = {
            "title": data["title"].strip(),
            "summary": data["summary"].strip(),
            "description": data["description"].strip(),
            "acceptance_criteria": data.get("acceptance_criteria", "").strip(),
            "follow_on_plan": data.get("follow_on_plan", "").strip() if self.is_test else "",
            "category": data["category"],
            "experience_level": data["experience_level"],
            "budget_min_cents": data["budget_min"],
            "budget_max_cents": data["budget_max_cents"],
            "duration_days": data["duration_days"],
            "apply_by": data["apply_by"],
            "visibility": data["visibility"],
            "is_confidential": data["is_confidential"],
            "nda_text": data.get("nda_text", "").strip(),
        }
        kwargs = {
            "data": fields,
            "skills": list(data["skills"]),
            "questions": questions,
            "attachments": data.get("attachments") or [],
        }
        if self.project is None:
            fields["kind"] = self.kind
        else:
            kwargs["remove_attachment_ids"] = [attachment.pk for attachment in data.get("remove_attachments") or []]
        return kwargs


class ProjectSearchForm(forms.Form):
    """Search filters from the query string. Values that make no sense are dropped, never fatal."""

    POSTED_CHOICES = [
        ("", "Any time"),
        ("1", "Last 24 hours"),
        ("3", "Last 3 days"),
        ("7", "Last 7 days"),
        ("30", "Last 30 days"),
    ]
    SORT_CHOICES = [
        ("relevance", "Best match"),
        ("newest", "Newest"),
        ("budget_high", "Budget: high to low"),
        ("budget_low", "Budget: low to high"),
    ]
    LABELS = {
        "q": "search words",
        "skills": "skills",
        "category": "category",
        "budget_min": "minimum budget",
        "budget_max": "maximum budget",
        "posted": "posted within",
        "sort": "sort order",
    }

    q = forms.CharField(label="Search", required=False, max_length=200)
    skills = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)
    category = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    budget_min = forms.CharField(label="Budget from (USD)", required=False, max_length=MONEY_INPUT_MAX_LENGTH)
    budget_max = forms.CharField(label="Budget up to (USD)", required=False, max_length=MONEY_INPUT_MAX_LENGTH)
    test_only = forms.BooleanField(label="Paid test projects only", required=False)
    posted = forms.TypedChoiceField(
        label="Posted", choices=POSTED_CHOICES, coerce=int, required=False, empty_value=None
    )
    verified = forms.BooleanField(label="Client payment verified", required=False)
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        skills = [skill for category in categories for skill in category.skills.all()]
        self.fields["skills"].choices = [(skill.pk, skill.name) for skill in skills]
        self.fields["category"].choices = [("", "Any category")] + [(c.pk, c.name) for c in categories]

    def _clean_money(self, name: str) -> int | None:
        raw = (self.cleaned_data.get(name) or "").strip()
        if not raw:
            return None
        # No project budget exceeds the site's limit; clamping keeps huge numbers inside 64 bits.
        return min(_parse_money(raw), settings.PROJECT_MAX_BUDGET_CENTS + 1)

    def clean_budget_min(self) -> int | None:
        return self._clean_money("budget_min")

    def clean_budget_max(self) -> int | None:
        return self._clean_money("budget_max")

    @property
    def selected_skill_ids(self) -> set[int]:
        return {int(pk) for pk in self.data.getlist("skills") if str(pk).isdigit()} if self.is_bound else set()

    def ignored(self) -> list[str]:
        """What was dropped from the search, for a small note above the results."""
        notes = []
        for name, errors in self.errors.items():
            raw = self.data.getlist(name) if name == "skills" else [self.data.get(name, "")]
            label = self.LABELS.get(name, name)
            notes.append(f"We ignored the {label} “{', '.join(raw)[:40]}”: {errors[0]}")
        return notes

    def filters_kwargs(self) -> dict:
        """SearchFilters arguments from the fields that were valid; the others are left out."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        valid = {name: data[name] for name in data if name not in self.errors}
        return {
            "query": valid.get("q") or "",
            "skills": tuple(valid.get("skills") or ()),
            "category": valid.get("category"),
            "budget_min_cents": valid.get("budget_min"),
            "budget_max_cents": valid.get("budget_max"),
            "test_only": bool(valid.get("test_only")),
            "posted_within_days": valid.get("posted"),
            "payment_verified": bool(valid.get("verified")),
            "sort": valid.get("sort") or "relevance",
        }


class FreelancerSearchForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    skills = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skills"].choices = [(s.pk, s.name) for c in categories for s in c.skills.all()]

    @property
    def selected_skill_ids(self) -> set[int]:
        return {int(pk) for pk in self.data.getlist("skills") if str(pk).isdigit()} if self.is_bound else set()

    def search_kwargs(self) -> dict:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return {
            "query": "" if "q" in self.errors else data.get("q") or "",
            "skill_ids": () if "skills" in self.errors else tuple(data.get("skills") or ()),
        }


class InvitationSendForm(forms.Form):
    freelancer = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    message = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}),
        help_text="Optional: why you think they fit.",
    )


class InvitationDeclineForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"maxlength": 300, "placeholder": "Fully booked this month"}),
        help_text="The client sees this.",
    )


# ---------------------------------------------------------------------------------------------
# Proposals and interviews (below)
# ---------------------------------------------------------------------------------------------
