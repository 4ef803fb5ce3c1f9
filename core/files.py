"""Attachments: the bytes decide what a file is, never its name or the browser's claim.

Accepted: PDF, PNG, JPEG, GIF, WebP, ZIP, Office documents (docx, xlsx, pptx) and plain
UTF-8 text. Never accepted: HTML, SVG, scripts or anything else a browser could run.
Attachments live in private storage (not under MEDIA_URL) and are only ever sent by a view
that has checked who is asking, as a download with `nosniff`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import models, transaction
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

ALLOWED_TYPES = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/zip": "zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "text/plain": "txt",
}
# Names that claim a binary type: the bytes must be of that type (or its family) for the file to be
# accepted. Other names (.csv, .md, …) are plain text kept as .txt.
CLAIMED_FAMILIES = {
    "pdf": {"pdf"},
    "png": {"png"},
    "jpg": {"jpg"},
    "jpeg": {"jpg"},
    "gif": {"gif"},
    "webp": {"webp"},
    "zip": {"zip", "docx", "xlsx", "pptx"},
    "docx": {"docx", "zip"},
    "xlsx": {"xlsx", "zip"},
    "pptx": {"pptx", "zip"},
}
KIND_NAMES = {
    "pdf": "a PDF",
    "png": "a PNG image",
    "jpg": "a JPEG image",
    "jpeg": "a JPEG image",
    "gif": "a GIF image",
    "webp": "a WebP image",
    "zip": "a ZIP archive",
    "docx": "a Word document",
    "xlsx": "an Excel workbook",
    "pptx": "a PowerPoint presentation",
    "txt": "plain text",
}
MARKUP = re.compile(rb"<\s*(!doctype|html|head|body|script|svg|iframe|object|embed|meta|style|xml)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    extension: str


def sniff(upload) -> Sniffed:
    """What the file really is, or a ValidationError that says what to upload instead. A name that
    claims one type over bytes of another ("brief.pdf" holding a PNG) is refused, not renamed."""
    sniffed = _sniff_bytes(upload)
    name = upload.name or ""
    claimed = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if claimed in CLAIMED_FAMILIES and sniffed.extension not in CLAIMED_FAMILIES[claimed]:
        raise ValidationError(
            f"“{name}” is named like {KIND_NAMES[claimed]} but holds {KIND_NAMES[sniffed.extension]}. "
            "Rename it or upload the file you meant.",
            code="mismatch",
        )
    return sniffed


def _a_or_an(initials: str) -> str:
    """A file type's name with its article, read letter by letter as such names are: "an EXE",
    "an MP3", "a ZIP" (the listed letters' names start with a vowel sound)."""
    return f"{'an' if initials[:1] in 'AEFHILMNORSX' else 'a'} {initials}"


def _sniff_bytes(upload) -> Sniffed:
    limit = settings.MAX_ATTACHMENT_BYTES
    if upload.size > limit:
        raise ValidationError(
            f"“{upload.name}” is {filesizeformat(upload.size)}; the limit is {filesizeformat(limit)}.",
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(f"“{upload.name}” is empty.", code="empty")
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is not None:
        if kind.mime in ALLOWED_TYPES:
            return Sniffed(kind.mime, ALLOWED_TYPES[kind.mime])
        raise ValidationError(
            f"“{upload.name}” is {_a_or_an(kind.extension.upper())} file, which is not accepted. "
            "Upload a PDF, image, ZIP, Office document or plain text.",
            code="bad_type",
        )
    data = upload.read()
    upload.seek(0)
    if b"\x00" in data:
        raise ValidationError(f"We can't tell what “{upload.name}” is, so it was not accepted.", code="unknown")
    if MARKUP.search(data):
        raise ValidationError(f"“{upload.name}” contains HTML or SVG, which is not accepted.", code="markup")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValidationError(
            f"We can't tell what “{upload.name}” is, so it was not accepted.", code="unknown"
        ) from error
    return Sniffed("text/plain", "txt")


def check_uploads(uploads) -> None:
    """Check every upload's bytes before any is written, so a refused file never leaves the
    accepted ones behind on disk when the transaction rolls back."""
    for upload in uploads:
        sniff(upload)


def validate_attachment(upload) -> None:
    """Form-field validator."""
    sniff(upload)


def private_storage():
    return storages["private"]


def attachment_upload_to(instance, filename: str) -> str:
    return f"{instance._meta.app_label}/{instance._meta.model_name}/{uuid.uuid4().hex}"


class StoredFile(models.Model):
    """An uploaded attachment: stored privately under a random name; its type comes from its bytes."""

    file = models.FileField(upload_to=attachment_upload_to, storage=private_storage, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name

    @classmethod
    def build(cls, upload, **fields):
        """An unsaved row for a validated upload; the caller saves it inside its transaction."""
        sniffed = sniff(upload)
        name = (upload.name or "attachment").replace("/", "_").replace("\\", "_")[-200:]
        stem = name.rsplit(".", 1)[0] if "." in name else name
        instance = cls(
            original_name=f"{stem}.{sniffed.extension}", content_type=sniffed.content_type, size=upload.size, **fields
        )
        instance.file.save(instance.original_name, upload, save=False)
        return instance


def attachment_response(stored: StoredFile) -> FileResponse:
    """Send an attachment as a download that no browser will render as a page."""
    try:
        handle = stored.file.open("rb")
    except OSError as error:  # the row outlived its file: a 404, not a 500
        raise Http404("This file is no longer available.") from error
    response = FileResponse(handle, as_attachment=True, filename=stored.original_name, content_type=stored.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def delete_file_after_commit(sender, instance: StoredFile, **kwargs) -> None:
    """A removed attachment's bytes go too, but only once the removal is committed: a rolled-back
    delete keeps its row, so it must keep its file."""
    name, storage = instance.file.name, instance.file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def change_files(
    attachments, build, *, add=(), remove_ids=(), limit: int, field: str = "files"
) -> tuple[list[str], int]:
    """Remove some of an object's files and add others, within `limit` files in all. `attachments`
    is the object's related manager, `build` makes an unsaved row from an upload. Errors are
    reported under `field`; call it inside the transaction that locked the owner.
    Returns the names of the added files and how many were removed."""
    add, remove_ids = list(add), list(remove_ids)
    if not add and not remove_ids:
        raise ValidationError({field: ["Send at least one file."]})
    removed, _ = attachments.filter(pk__in=remove_ids).delete()
    if attachments.count() + len(add) > limit:
        raise ValidationError({field: [f"Attach at most {limit} files."]})
    try:
        check_uploads(add)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from error
    names = []
    for upload in add:
        try:
            row = build(upload)
        except ValidationError as error:
            raise ValidationError({field: error.messages}) from error
        row.save()
        names.append(row.original_name)
    return names, removed
