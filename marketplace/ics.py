"""Calendar files (RFC 5545) for interviews, so both people can put the meeting in their calendar.

One VEVENT per interview with a stable UID; SEQUENCE follows Interview.sequence, so a calendar
that imported an earlier file replaces the event instead of adding a second one. The icalendar
package escapes the text and folds long lines.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone
from icalendar import Calendar, Event

from marketplace.models import Interview

PRODID = "-//Proofwork//Interviews//EN"


def interview_uid(interview: Interview) -> str:
    """The same for every file of one interview, whatever happens to it."""
    return f"interview-{interview.pk}@proofwork"


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

    event = Event()
    event.add("uid", interview_uid(interview))
    event.add("sequence", interview.sequence)
    # In UTC, written with a Z: no calendar has to know our timezone names.
    event.add("dtstamp", (now or timezone.now()).astimezone(UTC))
    event.add("dtstart", interview.starts_at.astimezone(UTC))
    event.add("dtend", interview.ends_at.astimezone(UTC))
    event.add("summary", f"Interview: {project.title}")
    event.add("description", description)
    event.add("location", interview.meeting_url)
    event.add("url", page_url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")

    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")
