"""Forms for proposals and interviews. They check the shape of what was typed; the services
check the rules (milestones add up to the bid, caps for paid tests, times in the future)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, tzinfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.forms import (
    MilestoneFormSet,
    MultipleFileField,
    add_service_error,
    dollars_for_input,
    milestone_formset,
    milestone_rows,
    optional_text,
    parse_dollars,
)
from core.milestones import MilestoneTerms
from marketplace.models import COVER_LETTER_MAX_LENGTH, Project, Proposal
from marketplace.services.interviews import DURATIONS, EARLIEST, LATEST, MAX_SLOTS
from marketplace.services.proposals import MAX_ATTACHMENTS

ANSWER_MAX_LENGTH = 2000
# The proposal form's field for each field a service names.
SERVICE_FIELDS = {
    "bid_cents": "bid",
    "duration_days": "duration_days",
    "cover_letter": "cover_letter",
    "attachments": "attachments",
}


class ProposalForm(forms.Form):
    """Cover letter, bid, duration, answers to the project's screening questions and files."""

    cover_letter = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 9, "maxlength": COVER_LETTER_MAX_LENGTH}),
        max_length=COVER_LETTER_MAX_LENGTH,
        help_text="Why you, and how you would approach this work. Plain text; line breaks are kept.",
        error_messages={"required": "Write a cover letter."},
    )
    bid = forms.CharField(
        label="Your bid (USD)",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "data-bid": ""}),
        help_text="The fixed price for the whole job, for example 1200 or 1,200.50.",
    )
    duration_days = forms.IntegerField(
        label="Estimated duration (days)",
        min_value=1,
        widget=forms.NumberInput(attrs={"min": 1, "max": 365, "inputmode": "numeric"}),
        error_messages={
            "required": "Say how many days the work will take.",
            "invalid": "Enter a whole number of days.",
        },
    )
    attachments = MultipleFileField(
        max_files=MAX_ATTACHMENTS,
        help_text=f"Up to {MAX_ATTACHMENTS} files: PDF, images, ZIP, Office documents or plain text.",
    )

    def __init__(self, *args, project: Project, proposal: Proposal | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.proposal = proposal
        answers = {}
        if proposal is not None:
            answers = {answer.question_id: answer.text for answer in proposal.answers.all()}
            self.initial.setdefault("cover_letter", proposal.cover_letter)
            self.initial.setdefault("bid", dollars_for_input(proposal.bid_cents))
            self.initial.setdefault("duration_days", proposal.duration_days)
            attached = proposal.attachments.count()
            help_text = f"Add files; {attached} already attached, at most {MAX_ATTACHMENTS} in all."
            self.fields["attachments"].help_text = help_text
        if project.is_test:
            self.fields["duration_days"].help_text = f"A paid test takes at most {settings.TEST_PROJECT_MAX_DAYS} days."
        self.question_fields: list[tuple[object, str]] = []
        for question in project.questions.all():
            name = f"answer_{question.pk}"
            self.fields[name] = forms.CharField(
                label=question.text,
                required=question.required,
                max_length=ANSWER_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 3, "maxlength": ANSWER_MAX_LENGTH}),
                help_text="Required" if question.required else "Optional",
                error_messages={"required": "Answer this question; the client asked it of everyone."},
            )
            if question.pk in answers:
                self.initial.setdefault(name, answers[question.pk])
            self.question_fields.append((question, name))

    @property
    def answer_fields(self) -> list:
        return [self[name] for _, name in self.question_fields]

    def clean_bid(self) -> int:
        return parse_dollars(self.cleaned_data.get("bid", ""), empty_message="Enter your bid, for example 1200.")

    def answers(self) -> dict[int, str]:
        return {question.pk: self.cleaned_data.get(name, "") for question, name in self.question_fields}

    def read_terms(self) -> dict:
        """What the fields that passed their own checks hold, for the service's rules; a field
        with an error of its own is left out (None), so it is not reported twice."""
        data = self.cleaned_data
        return {
            "cover_letter": data.get("cover_letter"),
            "bid_cents": data.get("bid"),
            "duration_days": data.get("duration_days"),
        }

    def add_service_errors(self, error: ValidationError, *, milestone_errors: list[str]) -> None:
        """A service's refusal, each error on its field: an unanswered question on that question,
        the milestone rules with the milestone table."""
        if not hasattr(error, "error_dict"):
            add_service_error(self, error)
            return
        by_question = {question.pk: name for question, name in self.question_fields}
        for key, errors in error.error_dict.items():
            for one in errors:
                text = one.message % one.params if one.params else one.message
                if key == "answers" and (one.params or {}).get("question_id") in by_question:
                    name = by_question[one.params["question_id"]]
                    if name not in self.errors:
                        self.add_error(name, text)
                elif key == "milestones":
                    milestone_errors.append(text)
                else:
                    target = SERVICE_FIELDS.get(key)
                    self.add_error(target if target in self.fields else None, text)

    def service_kwargs(self, milestones: list[MilestoneTerms]) -> dict:
        return {
            "cover_letter": self.cleaned_data["cover_letter"],
            "bid_cents": self.cleaned_data["bid"],
            "duration_days": self.cleaned_data["duration_days"],
            "milestones": milestones,
            "answers": self.answers(),
            "attachments": self.cleaned_data["attachments"],
        }


def proposal_milestone_formset(data=None, *, project: Project, proposal: Proposal | None = None) -> MilestoneFormSet:
    """Rows to fill: one for a paid test, three for a project; an edit shows the current ones and two more."""
    initial = milestone_rows(proposal.milestones.all()) if proposal is not None else []
    # A paid test has one milestone; a project gets three rows, or two more than it has.
    extra = (0 if initial else 1) if project.is_test else (2 if initial else 3)
    # An empty table reaches the service, which says so next to the other terms it checks.
    return milestone_formset(data, initial=initial, extra=extra, require_one=False)


class DeclineForm(forms.Form):
    reason = optional_text(label="Reason (optional)", help_text="The freelancer sees this reason.", rows=3)


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class LocalDateTimeField(forms.Field):
    """A date and time typed in a given timezone (the person's own), returned as an aware datetime."""

    widget = LocalDateTimeInput
    default_error_messages = {"invalid": "Enter a date and time such as 2025-06-30 14:00."}
    FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")

    def __init__(self, *args, zone: tzinfo | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone or zoneinfo.ZoneInfo("UTC")

    def to_python(self, value):
        value = (value or "").strip() if isinstance(value, str) else value
        if not value:
            return None
        for fmt in self.FORMATS:
            try:
                naive = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        first, second = naive.replace(tzinfo=self.zone, fold=0), naive.replace(tzinfo=self.zone, fold=1)
        if first.utcoffset() != second.utcoffset():
            raise ValidationError(
                f"{naive:%H:%M} on {naive.day} {naive:%b} does not exist or happens twice in {self.zone} because the "
                "clocks change. Choose another time.",
                code="ambiguous",
            )
        return first


class InterviewTimesForm(forms.Form):
    """Up to three times, typed in the person's own timezone."""

    slot_1 = LocalDateTimeField(label="Time 1", error_messages={"required": "Offer at least one time."})
    slot_2 = LocalDateTimeField(label="Time 2", required=False)
    slot_3 = LocalDateTimeField(label="Time 3", required=False)
    note = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
        help_text="Optional: anything the other person should know.",
    )
    SLOT_FIELDS = ("slot_1", "slot_2", "slot_3")

    def __init__(self, *args, zone: tzinfo, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        for name in self.SLOT_FIELDS[:MAX_SLOTS]:
            self.fields[name].zone = zone

    def clean(self):
        """Each time that read is checked on its own field, all at once: not too soon, not too far
        ahead, not offered twice (the service checks the same rules again)."""
        data = super().clean()
        now, seen = timezone.now(), set()
        for name in self.SLOT_FIELDS:
            slot = data.get(name)
            if not slot:
                continue
            if slot < now + EARLIEST:
                self.add_error(name, "This time is less than 30 minutes from now: offer a later one.")
            elif slot > now + LATEST:
                self.add_error(name, f"Offer a time within the next {LATEST.days} days.")
            elif slot in seen:
                self.add_error(name, "You offered this time already: choose another or leave it empty.")
            seen.add(slot)
        return data

    @property
    def slot_fields(self) -> list:
        return [self[name] for name in self.SLOT_FIELDS]

    def slots(self) -> list[datetime]:
        return [self.cleaned_data[name] for name in self.SLOT_FIELDS if self.cleaned_data.get(name)]

    def service_kwargs(self) -> dict:
        return {"slots": self.slots(), "note": self.cleaned_data.get("note", "")}


class InterviewProposeForm(InterviewTimesForm):
    duration_minutes = forms.TypedChoiceField(
        label="Length",
        choices=[(minutes, f"{minutes} minutes") for minutes in DURATIONS],
        coerce=int,
        initial=30,
    )
    field_order = ["slot_1", "slot_2", "slot_3", "duration_minutes", "note"]

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "duration_minutes": self.cleaned_data["duration_minutes"]}


class CancelInterviewForm(forms.Form):
    reason = optional_text(label="Reason (optional)", help_text="The other person sees this.", max_length=300)
