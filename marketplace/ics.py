"""Calendar files (RFC 5545) for interviews, so both people can put the meeting in their calendar.

One VEVENT per interview with a stable UID; SEQUENCE follows Interview.sequence, so a calendar
that imported an earlier file replaces the event instead of adding a second one.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.utils import timezone

from marketplace.models import Interview

PRODID = "-//Proofwork//Interviews//EN"
MAX_OCTETS = 75
# Control characters are not allowed in iCalendar text (tabs are; line breaks are escaped).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
URI_UNSAFE = re.compile(r"[\x00-\x20\x7f]")


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, line breaks as \\n."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = CONTROL.sub("", value)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Lines longer than 75 octets continue after CRLF and a space, never splitting a UTF-8 character."""
    if len(line.encode("utf-8")) <= MAX_OCTETS:
        return line
    parts: list[str] = []
    current, size, limit = "", 0, MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            # A continuation line starts with one space, which counts towards its 75 octets.
            current, size, limit = char, width, MAX_OCTETS - 1
        else:
            current += char
            size += width
    parts.append(current)
    return "\r\n ".join(parts)


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def interview_calendar(interview: Interview, *, page_url: str, now: datetime | None = None) -> str:
    """The iCalendar text for a scheduled (or cancelled) interview; it must have a start time."""
    if interview.starts_at is None:
        raise ValueError("An interview without an agreed time has no calendar entry.")
    proposal = interview.proposal
    project = proposal.project
    description = (
        f"Video interview between {project.client.display_name} and {proposal.freelancer.display_name} "
        f"about “{project.title}”.\nJoin the meeting: {interview.meeting_url}\nDetails: {page_url}"
    )
    if interview.note:
        description += f"\nNote: {interview.note}"
    cancelled = interview.status == Interview.Status.CANCELLED
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:interview-{interview.pk}@proofwork",
        f"SEQUENCE:{interview.sequence}",
        f"DTSTAMP:{utc_stamp(now or timezone.now())}",
        f"DTSTART:{utc_stamp(interview.starts_at)}",
        f"DTEND:{utc_stamp(interview.ends_at)}",
        f"SUMMARY:{escape_text(f'Interview: {project.title}')}",
        f"DESCRIPTION:{escape_text(description)}",
        f"LOCATION:{escape_text(interview.meeting_url)}",
        f"URL:{URI_UNSAFE.sub('', page_url)}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(f"{fold(line)}\r\n" for line in lines)
