"""What an uploaded file is comes from its bytes: checked for every kind of attachment alike
(project and proposal files, message attachments, delivered work)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.files import sniff
from tests.factories import image_upload

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def zipped() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("brief.pdf", PDF, "pdf"),
        ("BRIEF.PDF", PDF, "pdf"),
        ("photo.jpeg", image_upload(image_format="JPEG").read(), "jpg"),
        ("notes.csv", b"name,amount\nPriya,400\n", "txt"),
        ("README", b"Plain words.\n", "txt"),
        ("sources.zip", zipped(), "zip"),
    ],
)
def test_files_whose_bytes_match_their_names_are_accepted(name, data, kind):
    assert sniff(upload(name, data)).extension == kind


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("brief.pdf", image_upload().read(), "named like a PDF but holds a PNG image"),
        ("logo.png", b"Just some text.\n", "named like a PNG image but holds plain text"),
        ("contract.docx", PDF, "named like a Word document but holds a PDF"),
    ],
)
def test_a_name_that_lies_about_the_content_is_refused(name, data, says):
    with pytest.raises(ValidationError) as refused:
        sniff(upload(name, data))
    assert says in refused.value.messages[0]
    assert "Rename it or upload the file you meant" in refused.value.messages[0]


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>',
        b"<!DOCTYPE html><html><body>hi</body></html>",
    ],
)
def test_svg_and_html_are_refused_whatever_they_are_called(data):
    for name in ("drawing.svg", "drawing.txt", "notes"):
        with pytest.raises(ValidationError, match="HTML or SVG"):
            sniff(upload(name, data))


def test_a_file_over_the_limit_is_refused_with_both_sizes(settings):
    settings.MAX_ATTACHMENT_BYTES = 1024
    with pytest.raises(ValidationError) as refused:
        sniff(upload("big.txt", b"x" * 1025))
    assert "the limit is 1.0" in refused.value.messages[0]
    assert sniff(upload("fits.txt", b"x" * 1024)).extension == "txt"


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError, match="is empty"):
        sniff(upload("empty.pdf", b""))


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64, "is an EXE file"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "is an ELF file"),
        (b"BZh91AY&SY" + b"\x00" * 64, "is a BZ2 file"),
    ],
    ids=["exe", "elf", "bz2"],
)
def test_a_refused_type_is_named_with_the_right_article(data, says):
    with pytest.raises(ValidationError) as refused:
        sniff(upload("fake.pdf", data))
    assert f"“fake.pdf” {says}, which is not accepted." in refused.value.messages[0]
