"""Image uploads: the bytes decide what a file is, never its name.

Every accepted image is decoded and written again by Pillow, which drops anything that is
not pixels (scripts appended to a PNG, EXIF location data) before it reaches storage.
"""

from __future__ import annotations

import io
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from PIL import Image, UnidentifiedImageError

ALLOWED_IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
MAX_IMAGE_PIXELS = 40_000_000
MAX_IMAGE_SIDE = 2400


def validate_image_file(upload) -> None:
    """Form-field validator: a real JPEG, PNG, WebP or GIF no larger than the configured limit."""
    limit = settings.MAX_IMAGE_UPLOAD_BYTES
    if upload.size > limit:
        raise ValidationError(
            f"This image is {filesizeformat(upload.size)}; the limit is {filesizeformat(limit)}.",
            code="too_large",
        )
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ValidationError(
            "This file is not an image we can read. Upload a JPEG, PNG, WebP or GIF.", code="not_image"
        ) from error
    finally:
        upload.seek(0)
    if image_format not in ALLOWED_IMAGE_FORMATS:
        raise ValidationError("Upload a JPEG, PNG, WebP or GIF image.", code="bad_format")
    if width * height > MAX_IMAGE_PIXELS:
        raise ValidationError("This image has too many pixels. Use one under 40 megapixels.", code="too_big")


def normalized_image(upload, *, prefix: str) -> ContentFile:
    """Decode and re-encode an already validated image, scaled down to a sensible size."""
    upload.seek(0)
    with Image.open(upload) as image:
        image_format = image.format
        image.load()
        if image_format == "GIF":
            image = image.convert("RGBA")
            image_format = "PNG"
        elif image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        if image_format == "JPEG" and image.mode != "RGB" and image.mode != "L":
            image = image.convert("RGB")
        image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
        buffer = io.BytesIO()
        save_kwargs = {"quality": 88} if image_format in ("JPEG", "WEBP") else {}
        image.save(buffer, format=image_format, **save_kwargs)
    extension = ALLOWED_IMAGE_FORMATS[image_format]
    return ContentFile(buffer.getvalue(), name=f"{prefix}-{uuid.uuid4().hex[:12]}.{extension}")
