"""The review form: the overall stars and the aspects of the direction, a public comment and
private feedback. Shapes only; reviews.services checks the rules."""

from __future__ import annotations

from django import forms

from reviews.models import Review

STARS = [("", "Choose"), *[(str(n), f"{n} star{'s' if n > 1 else ''}") for n in range(5, 0, -1)]]
LABELS = {
    "overall": "Overall",
    "quality": "Quality of the work",
    "communication": "Communication",
    "timeliness": "Timeliness",
    "expertise": "Expertise",
    "clarity": "Clarity of the scope",
    "payment": "Paying on time",
}


def _stars_field(name: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=LABELS[name],
        choices=STARS,
        coerce=int,
        error_messages={"required": "Give 1 to 5 stars.", "invalid_choice": "Give 1 to 5 stars."},
    )


class ReviewForm(forms.Form):
    def __init__(self, *args, direction: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.aspect_names = Review.ASPECTS[direction]
        self.fields["overall"] = _stars_field("overall")
        for name in self.aspect_names:
            self.fields[name] = _stars_field(name)
        self.fields["comment"] = forms.CharField(
            label="Your public review",
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 5, "maxlength": 2000}),
            help_text="Everyone reads this on their profile.",
            error_messages={"required": "Write a few words others can read."},
        )
        self.fields["private_feedback"] = forms.CharField(
            label="Private feedback (optional)",
            required=False,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
            help_text="Never shown to them or on any profile; our moderators may read it.",
        )
        self.fields["would_work_again"] = forms.TypedChoiceField(
            label="Would you work with them again? (private)",
            required=False,
            choices=[("", "Prefer not to say"), ("yes", "Yes"), ("no", "No")],
            coerce=lambda value: value == "yes",
            empty_value=None,
            help_text="Never shown on its own: it only counts in the share of people who would work with them "
            "again, once at least three have answered.",
        )

    def aspects(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.aspect_names}


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Your public reply",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
        error_messages={"required": "Write your reply."},
    )
