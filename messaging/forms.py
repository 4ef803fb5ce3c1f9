from __future__ import annotations

from django import forms

from core.files import validate_attachment
from messaging.models import MESSAGE_MAX_FILES, MESSAGE_MAX_LENGTH


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file input that accepts several files; cleans to a list, each file checked on its own."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, list | tuple) else [data]
        cleaned = []
        for upload in uploads:
            if upload:
                cleaned.append(super().clean(upload, initial))
        return cleaned


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Message",
        required=False,
        max_length=MESSAGE_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    files = MultipleFileField(
        label="Attach files",
        required=False,
        validators=[validate_attachment],
        help_text=f"Up to {MESSAGE_MAX_FILES} files: PDF, images, ZIP, Office documents or plain text.",
    )

    def __init__(self, *args, conversation_id: int | None = None, **kwargs):
        # Distinct ids, so two conversation panels on one page keep their labels apart.
        if conversation_id is not None:
            kwargs.setdefault("auto_id", f"id_conversation{conversation_id}_%s")
        super().__init__(*args, **kwargs)
