"""Text that must stay on one line: names and titles, which end up in email subjects and headers."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# C0 and C1 control characters (line breaks and tabs among them) and the Unicode line and paragraph
# separators: none belongs in a name or a title, and a line break in an email header stops the email.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_RUNS = re.compile(r"(?:\s|[\x00-\x1f\x7f-\x9f\u2028\u2029])+")


def single_line(value: str) -> None:
    """A validator for names and titles (forms and serializers): no line breaks or control characters."""
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValidationError(
            "Keep this on one line: no line breaks, tabs or other control characters.", code="control_characters"
        )


def one_line(text: str, *, max_length: int = 200) -> str:
    """`text` as one line, whatever it holds: every run of spaces, line breaks and control characters
    becomes one space, and a text longer than `max_length` ends in an ellipsis. For email subjects."""
    text = _CONTROL_RUNS.sub(" ", str(text)).strip()
    return text if len(text) <= max_length else text[: max_length - 1].rstrip() + "…"


# A spreadsheet reads a cell that starts with one of these as a formula (or, with a tab or a
# carriage return first, may): a title such as "=HYPERLINK(…)" in an export would run when opened.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(text: str) -> str:
    """User text for a CSV cell: a leading apostrophe on anything a spreadsheet would run as a formula."""
    text = str(text)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text
