from __future__ import annotations

import zoneinfo
from decimal import Decimal

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import models

from accounts.models import (
    HOURLY_RATE_MAX_CENTS,
    HOURLY_RATE_MIN_CENTS,
    ClientProfile,
    FreelancerProfile,
    PortfolioItem,
    Report,
    Skill,
    User,
)
from core.text import single_line
from core.uploads import validate_image_file


def image_field() -> forms.FileField:
    """An optional picture: the bytes are checked and re-encoded, whatever the name says."""
    return forms.FileField(
        required=False,
        validators=[validate_image_file],
        help_text="JPEG, PNG, WebP or GIF, up to 5 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
    )


def new_upload(value):
    """What a ClearableFileInput gave, if it is a new file: False when "clear" is ticked, the stored
    file when unchanged, an upload (with a content type) only when a new file came."""
    return value if value and hasattr(value, "content_type") else None


def https_urls(field, **kwargs):
    """Model URL fields become form fields that assume https:// when the scheme is left out."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


TIMEZONE_CHOICES = [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class RoleForm(forms.Form):
    is_client = forms.BooleanField(label="I want to hire", required=False)
    is_freelancer = forms.BooleanField(label="I want to work", required=False)

    def clean(self):
        data = super().clean()
        if not (data.get("is_client") or data.get("is_freelancer")):
            raise forms.ValidationError("Choose at least one: hire, work, or both.")
        return data


class UserDetailsForm(forms.ModelForm):
    timezone = forms.ChoiceField(choices=TIMEZONE_CHOICES, initial="UTC")
    avatar = image_field()

    class Meta:
        model = User
        fields = ["full_name", "country", "timezone"]
        help_texts = {"full_name": "Shown on your public profile."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].required = True
        self.fields["full_name"].validators.append(single_line)
        if self.instance.avatar:
            self.fields["avatar"].initial = self.instance.avatar

    def clean_avatar(self):
        return new_upload(self.cleaned_data.get("avatar"))

    def service_kwargs(self) -> dict:
        data = {name: self.cleaned_data[name] for name in ("full_name", "country", "timezone")}
        data["avatar"] = self.cleaned_data.get("avatar")
        data["remove_avatar"] = self.data.get("avatar-clear") == "on"
        return data


class SkillChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Skill) -> str:
        return obj.name


class FreelancerProfileForm(forms.ModelForm):
    # One message per mistake: no max_digits, whose "no more than 4 digits before the decimal
    # point" would repeat the range error for any rate over the top.
    hourly_rate = forms.DecimalField(
        label="Hourly rate (USD)",
        min_value=Decimal(HOURLY_RATE_MIN_CENTS) / 100,
        max_value=Decimal(HOURLY_RATE_MAX_CENTS) / 100,
        decimal_places=2,
        help_text="What you charge per hour before fees, for example 45 or 62.50.",
        error_messages={
            "min_value": f"Enter a rate from ${HOURLY_RATE_MIN_CENTS // 100} to ${HOURLY_RATE_MAX_CENTS // 100} an hour.",
            "max_value": f"Enter a rate from ${HOURLY_RATE_MIN_CENTS // 100} to ${HOURLY_RATE_MAX_CENTS // 100} an hour.",
            "max_decimal_places": "Enter at most two decimals (cents), for example 62.50.",
        },
    )
    skills = SkillChoiceField(
        queryset=Skill.objects.select_related("category"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = FreelancerProfile
        fields = ["headline", "bio", "availability", "skills"]
        widgets = {
            "bio": forms.Textarea(attrs={"rows": 8, "maxlength": 5000}),
            "headline": forms.TextInput(attrs={"placeholder": "Django developer for payment-heavy products"}),
        }
        help_texts = {
            "headline": "One line that says what you do best.",
            "bio": "Up to 5,000 characters. Plain text; line breaks are kept.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["headline"].required = True
        self.fields["headline"].error_messages["required"] = "Write a headline: clients read it first."
        self.fields["bio"].required = True
        if self.instance and self.instance.hourly_rate_cents:
            self.initial["hourly_rate"] = Decimal(self.instance.hourly_rate_cents) / 100

    def clean_skills(self):
        skills = self.cleaned_data["skills"]
        if len(skills) > settings.FREELANCER_MAX_SKILLS:
            raise forms.ValidationError(f"Choose at most {settings.FREELANCER_MAX_SKILLS} skills.")
        return skills

    def service_kwargs(self) -> dict:
        return {
            "headline": self.cleaned_data["headline"].strip(),
            "bio": self.cleaned_data["bio"].strip(),
            "availability": self.cleaned_data["availability"],
            "hourly_rate_cents": int(self.cleaned_data["hourly_rate"] * 100),
            "skills": list(self.cleaned_data["skills"]),
        }


class ClientProfileForm(forms.ModelForm):
    class Meta:
        model = ClientProfile
        formfield_callback = https_urls
        fields = ["company_name", "website", "team_size", "about_team", "vision", "values"]
        widgets = {
            "website": forms.URLInput(attrs={"placeholder": "https://example.com"}),
            "about_team": forms.Textarea(attrs={"rows": 5, "maxlength": 3000}),
            "vision": forms.Textarea(attrs={"rows": 4, "maxlength": 3000}),
            "values": forms.Textarea(attrs={"rows": 4, "maxlength": 3000}),
        }
        help_texts = {
            "company_name": "Your own name if you hire as a person.",
            "about_team": "Who you are and who the freelancer will work with.",
            "vision": "What you are building and why it matters.",
            "values": "How you work: communication, feedback, pace.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company_name"].required = True
        self.fields["about_team"].required = True

    def service_kwargs(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class PortfolioItemForm(forms.ModelForm):
    image = image_field()

    class Meta:
        model = PortfolioItem
        formfield_callback = https_urls
        fields = ["title", "description", "url"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
            "url": forms.URLInput(attrs={"placeholder": "https://"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.image:
            self.fields["image"].initial = self.instance.image

    def clean_image(self):
        return new_upload(self.cleaned_data.get("image"))

    def service_kwargs(self) -> dict:
        return {
            "title": self.cleaned_data["title"].strip(),
            "description": self.cleaned_data["description"].strip(),
            "url": self.cleaned_data["url"],
            "image": self.cleaned_data.get("image"),
            "remove_image": self.data.get("image-clear") == "on",
        }


class SuspensionForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text="The person sees this reason in their notifications and by email.",
    )


class SignupForm(AllauthSignupForm):
    """allauth's sign-up, doing the same work whether or not the email already has an account, so
    the answer's timing does not tell which addresses are registered."""

    def clean(self):
        # allauth compares the two passwords only when the first passed its strength checks, so a
        # weak password that was also mistyped would need two tries to hear both: say both at once.
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        data = super().clean()
        if first and second and first != second and "password2" not in self.errors:
            self.add_error("password2", "You must type the same password each time.")
        return data

    def try_save(self, request):
        if self.account_already_exists:
            # A new account hashes its password; hash this one too (and throw it away).
            make_password(self.cleaned_data.get("password1"))
        return super().try_save(request)


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label="What is wrong",
        choices=[("", "Choose a reason"), *Report.Reason.choices],
        error_messages={
            "required": "Choose a reason from the list.",
            "invalid_choice": "Choose a reason from the list.",
        },
    )
    note = forms.CharField(
        label="Anything a moderator should know (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 1000}),
    )


class ReportAnswerForm(forms.Form):
    outcome = forms.CharField(
        label="What the reporter reads",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
        error_messages={"required": "Write what the reporter reads: what was done, or why nothing needed doing."},
    )


class HideForm(forms.Form):
    reason = forms.CharField(
        label="Reason (its author reads it)",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
        error_messages={"required": "Give the reason: its author reads it."},
    )
