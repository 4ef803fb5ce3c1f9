from __future__ import annotations

from django import forms

from core.forms import MultipleFileField
from messaging.models import MESSAGE_MAX_FILES, MESSAGE_MAX_LENGTH


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
        help_text=f"Up to {MESSAGE_MAX_FILES} files: PDF, images, ZIP, Office documents or plain text.",
    )

    def __init__(self, *args, conversation_id: int | None = None, **kwargs):
        # Distinct ids, so two conversation panels on one page keep their labels apart.
        if conversation_id is not None:
            kwargs.setdefault("auto_id", f"id_conversation{conversation_id}_%s")
        super().__init__(*args, **kwargs)
