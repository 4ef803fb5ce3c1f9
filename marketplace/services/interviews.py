from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core import transitions
from core.exceptions import DomainError, InvalidTransition, NotAllowed
from marketplace.models import Interview, InterviewEvent, InterviewSlot, Proposal
from notifications.services import notify

MAX_SLOTS = 3
DURATIONS = (15, 30, 45, 60)
EARLIEST = timedelta(minutes=30)
LATEST = timedelta(days=60)


def _validate_slots(slots: list[datetime], now: datetime) -> list[datetime]:
    if any(timezone.is_naive(slot) for slot in slots):
        raise ValidationError({"slots": ["Times need a timezone."]})
    slots = sorted(set(slots))
    if not 1 <= len(slots) <= MAX_SLOTS:
        raise ValidationError({"slots": [f"Offer between 1 and {MAX_SLOTS} times."]})
    for slot in slots:
        if slot < now + EARLIEST:
            raise ValidationError({"slots": ["Offer times at least 30 minutes from now."]})
        if slot > now + LATEST:
            raise ValidationError({"slots": ["Offer times within the next 60 days."]})
    return slots


def _other_party(interview: Interview, user: User) -> User:
    proposal = interview.proposal
    return proposal.freelancer if user.pk == proposal.project.client_id else proposal.project.client


def _parties(proposal: Proposal) -> set[int]:
    return {proposal.freelancer_id, proposal.project.client_id}


def _check_party(interview: Interview, by: User) -> None:
    if by.pk not in _parties(interview.proposal):
        raise NotAllowed("Only the client and the freelancer take part in this interview.")
    if by.is_suspended:
        raise NotAllowed("Your account is suspended.")


def _check_proposal_active(proposal: Proposal) -> None:
    if proposal.status not in Proposal.EDITABLE:
        raise DomainError(
            f"This proposal is {proposal.get_status_display().lower()}; interviews are no longer possible."
        )


def _move(
    interview: Interview,
    *,
    to: str,
    by: User | None,
    note: str = "",
    refuse: str = "This interview is {status}.",
    **changes,
) -> Interview:
    """An interview moves through core.transitions; every move bumps the calendar sequence."""
    return transitions.move(
        interview,
        to=to,
        by=by,
        event_model=InterviewEvent,
        event_field="interview",
        note=note,
        refuse=refuse,
        sequence=F("sequence") + 1,
        updated_at=timezone.now(),
        **changes,
    )


@transaction.atomic
def interview_propose(
    *, proposal: Proposal, by: User, slots: list[datetime], duration_minutes: int = 30, note: str = ""
) -> Interview:
    """The client invites a proposal's author to a video interview, offering up to three times."""
    if proposal.project.client_id != by.pk:
        raise NotAllowed("Only the client can invite the freelancer to an interview.")
    if by.is_suspended:
        raise NotAllowed("Your account is suspended.")
    _check_proposal_active(proposal)
    if duration_minutes not in DURATIONS:
        raise ValidationError({"duration_minutes": ["Choose 15, 30, 45 or 60 minutes."]})
    if proposal.interviews.exclude(status=Interview.Status.CANCELLED).exists():
        raise DomainError("An interview about this proposal is already arranged. Reschedule it instead.")
    slots = _validate_slots(list(slots), timezone.now())
    interview = Interview.objects.create(
        proposal=proposal, offered_by=by, duration_minutes=duration_minutes, note=note.strip()[:500]
    )
    InterviewSlot.objects.bulk_create(InterviewSlot(interview=interview, starts_at=slot) for slot in slots)
    InterviewEvent.objects.create(
        interview=interview, actor=by, to_status=interview.status, note=f"{len(slots)} times offered"
    )
    notify(
        recipient=proposal.freelancer,
        kind="interview.proposed",
        title=f"{by.display_name} invites you to an interview",
        body=f"About “{proposal.project.title}”. Pick one of {len(slots)} times or suggest another.",
        url=reverse("interview_detail", args=[interview.pk]),
    )
    return interview


@transaction.atomic
def interview_pick(*, interview: Interview, by: User, slot: InterviewSlot) -> Interview:
    """The person who did not offer the times picks one of them; the interview is scheduled."""
    interview = transitions.lock(interview)
    _check_party(interview, by)
    if interview.status != Interview.Status.PROPOSED:
        raise InvalidTransition(f"This interview is {interview.get_status_display().lower()}.")
    _check_proposal_active(interview.proposal)
    if interview.offered_by_id == by.pk:
        raise DomainError("You offered these times; the other side picks one.")
    # Re-read under the lock: the other side may have replaced the times since the page loaded.
    slot = interview.slots.filter(pk=slot.pk, is_open=True).first()
    if slot is None:
        raise DomainError("That time is no longer on offer.")
    if slot.starts_at <= timezone.now():
        raise DomainError("That time has passed. Suggest another time.")
    interview = _move(
        interview,
        to=Interview.Status.SCHEDULED,
        by=by,
        note=f"Picked {slot.starts_at.isoformat()}",
        starts_at=slot.starts_at,
    )
    other = _other_party(interview, by)
    for person in (other, by):
        notify(
            recipient=person,
            kind="interview.confirmed",
            title=f"Interview confirmed: “{interview.proposal.project.title}”",
            body="The meeting link and a calendar file are on the interview page.",
            url=reverse("interview_detail", args=[interview.pk]),
        )
    return interview


@transaction.atomic
def interview_offer_times(*, interview: Interview, by: User, slots: list[datetime], note: str = "") -> Interview:
    """Either side suggests other times (before or after scheduling); the other side then picks."""
    interview = transitions.lock(interview)
    _check_party(interview, by)
    if not interview.can_move_to(Interview.Status.PROPOSED):
        raise InvalidTransition(f"This interview is {interview.get_status_display().lower()}.")
    _check_proposal_active(interview.proposal)
    slots = _validate_slots(list(slots), timezone.now())
    rescheduled = interview.status == Interview.Status.SCHEDULED
    interview = _move(
        interview,
        to=Interview.Status.PROPOSED,
        by=by,
        note=f"{'Rescheduling' if rescheduled else 'Other times'}: {len(slots)} times offered",
        offered_by=by,
        starts_at=None,
        fields={"note": note.strip()[:500]},
    )
    interview.slots.filter(is_open=True).update(is_open=False)
    InterviewSlot.objects.bulk_create(InterviewSlot(interview=interview, starts_at=slot) for slot in slots)
    notify(
        recipient=_other_party(interview, by),
        kind="interview.proposed",
        title=(
            f"{by.display_name} asks to reschedule the interview"
            if rescheduled
            else f"{by.display_name} suggests other interview times"
        ),
        body=f"About “{interview.proposal.project.title}”. Pick one of {len(slots)} times.",
        url=reverse("interview_detail", args=[interview.pk]),
    )
    return interview


@transaction.atomic
def interview_cancel(*, interview: Interview, by: User, reason: str = "") -> Interview:
    """Either side cancels; the other is told why."""
    interview = transitions.lock(interview)
    if by.pk not in _parties(interview.proposal):
        raise NotAllowed("Only the client and the freelancer take part in this interview.")
    reason = reason.strip()[:300]
    interview = _move(
        interview,
        to=Interview.Status.CANCELLED,
        by=by,
        note=reason,
        refuse="This interview is already cancelled.",
        cancelled_by=by,
        cancel_reason=reason,
    )
    notify(
        recipient=_other_party(interview, by),
        kind="interview.cancelled",
        title=f"{by.display_name} cancelled the interview",
        body=f"About “{interview.proposal.project.title}”."
        + (f" Reason: {interview.cancel_reason}" if interview.cancel_reason else ""),
        url=reverse("interview_detail", args=[interview.pk]),
    )
    return interview


def interviews_cancel_for_proposal(*, proposal: Proposal, by: User | None, reason: str) -> int:
    """When a proposal ends (withdrawn, declined, hired elsewhere) its open interviews are cancelled."""
    cancelled = 0
    for interview in proposal.interviews.exclude(status=Interview.Status.CANCELLED):
        try:
            _move(
                interview,
                to=Interview.Status.CANCELLED,
                by=by,
                note=reason,
                cancelled_by=by,
                cancel_reason=reason[:300],
            )
        except InvalidTransition:
            continue  # cancelled by one of the parties meanwhile
        cancelled += 1
    return cancelled
