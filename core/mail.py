"""Email written to a folder as a person reads it: one file per email, its headers and text
decoded (Django's own file backend writes the raw MIME, quoted-printable and all, and puts every
email a connection sends in one file). `EMAIL_URL=file://` with `EMAIL_FILE_PATH` uses it;
`make run` writes to var/mail/."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend as FileEmailBackend
from django.utils import timezone
from django.utils.text import slugify


def readable(message) -> str:
    """Headers, a blank line and the text, as a mail program shows them."""
    lines = [
        f"Subject: {message.subject}",
        f"From: {message.from_email}",
        f"To: {', '.join(message.to)}",
    ]
    if message.cc:
        lines.append(f"Cc: {', '.join(message.cc)}")
    if message.reply_to:
        lines.append(f"Reply-To: {', '.join(message.reply_to)}")
    lines.append(f"Date: {timezone.localtime():%a, %d %b %Y %H:%M:%S %z}")
    body = message.body
    if getattr(message, "content_subtype", "plain") == "html":
        lines.append("(The email is HTML; its source follows.)")
    lines += ["", body.rstrip("\n"), ""]
    for alternative in getattr(message, "alternatives", []):
        mimetype = alternative[1] if isinstance(alternative, tuple | list) else alternative.mimetype
        lines.append(f"[Also sent as {mimetype}]")
    for attachment in message.attachments:
        name = attachment[0] if isinstance(attachment, tuple | list) else attachment.get_filename()
        lines.append(f"[Attached: {name}]")
    return "\n".join(lines).rstrip("\n") + "\n"


class ReadableFileBackend(FileEmailBackend):
    def open(self) -> bool:
        return False  # each email opens a file of its own; the connection holds none

    def close(self) -> None:
        pass

    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            name = (
                f"{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}-{slugify(message.subject)[:50] or 'email'}.txt"
            )
            with (Path(self.file_path) / name).open("x", encoding="utf-8") as file:
                file.write(readable(message))
            sent += 1
        return sent
