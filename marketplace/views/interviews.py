"""Interview pages: invite to an interview, pick or suggest times, cancel, and the calendar file."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.exceptions import DomainError
from core.failed_forms import keep_failed_form, take_failed_form
from core.forms import add_service_error
from core.moments import zone_of
from marketplace import ics, selectors, services
from marketplace.models import Interview, InterviewSlot, Proposal
from marketplace.proposal_forms import CancelInterviewForm, InterviewProposeForm, InterviewTimesForm

# Service errors shown on their own field; the rest ("slots") go above the form.
FORM_FIELD_FOR = {"duration_minutes": "duration_minutes", "note": "note"}
MAX_ID_DIGITS = 18  # larger numbers overflow the database's integer column


def _posted(request):
    return request.POST if request.method == "POST" else None


def _url(interview: Interview) -> str:
    return reverse("interview_detail", args=[interview.pk])


def _when(moment, zone, other_zone) -> dict:
    """One moment as each person reads it: "14:00 CET for you, 18:30 IST for Priya"."""
    mine, theirs = moment.astimezone(zone), moment.astimezone(other_zone)
    their_time = date_format(theirs, "H:i T")
    if theirs.date() != mine.date():
        their_time += date_format(theirs, r" \o\n D j M")
    return {"day": date_format(mine, "l j F Y"), "mine": date_format(mine, "H:i T"), "theirs": their_time}


def _other_person(interview: Interview, user):
    proposal = interview.proposal
    return proposal.freelancer if user.pk == proposal.project.client_id else proposal.project.client


def _party_interview(request, pk: int) -> Interview:
    return get_object_or_404(selectors.interviews_for_user(request.user), pk=pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def interview_create(request, pk: int):
    user = request.user
    proposal = get_object_or_404(selectors.proposals_for_user(user).filter(project__client=user), pk=pk)
    if proposal.status not in Proposal.EDITABLE:
        messages.error(request, f"This proposal is {proposal.get_status_display().lower()}, so there is no interview.")
        return redirect(proposal)
    if request.method != "POST":
        existing = proposal.interviews.exclude(status=Interview.Status.CANCELLED).first()
        if existing is not None:
            messages.info(request, "An interview about this proposal is already arranged. Change its times here.")
            return redirect(_url(existing))
    zone = zone_of(user)
    form = InterviewProposeForm(_posted(request), zone=zone)
    if request.method == "POST" and form.is_valid():
        try:
            interview = services.interview_propose(proposal=proposal, by=user, **form.service_kwargs())
        except (ValidationError, DomainError) as error:
            add_service_error(form, error, field_map=FORM_FIELD_FOR)
        else:
            messages.success(
                request,
                f"Interview invitation sent. {proposal.freelancer.display_name} will pick a time or suggest another.",
            )
            return redirect(_url(interview))
    context = {
        "proposal": proposal,
        "project": proposal.project,
        "form": form,
        "zone": zone,
        "other": proposal.freelancer,
        "other_zone": zone_of(proposal.freelancer),
        "same_zone": str(zone) == str(zone_of(proposal.freelancer)),
    }
    return render(request, "marketplace/interview_form.html", context)


def _detail_context(request, interview: Interview, *, times_form=None, cancel_form=None) -> dict:
    user = request.user
    proposal = interview.proposal
    project = proposal.project
    as_client = user.pk == project.client_id
    other = _other_person(interview, user)
    zone, other_zone = zone_of(user), zone_of(other)
    now = timezone.now()
    proposed = interview.status == Interview.Status.PROPOSED
    i_offered = interview.offered_by_id == user.pk
    return {
        "interview": interview,
        "proposal": proposal,
        "project": project,
        "as_client": as_client,
        "other": other,
        "zone": zone,
        "other_zone": other_zone,
        "same_zone": str(zone) == str(other_zone),
        "when": _when(interview.starts_at, zone, other_zone) if interview.starts_at else None,
        "slots": [
            {"slot": slot, "past": slot.starts_at <= now, "when": _when(slot.starts_at, zone, other_zone)}
            for slot in interview.slots.all()
        ],
        "can_pick": proposed and not i_offered,
        "waiting_for_other": proposed and i_offered,
        "is_scheduled": interview.status == Interview.Status.SCHEDULED,
        "is_cancelled": interview.status == Interview.Status.CANCELLED,
        "times_form": times_form or InterviewTimesForm(zone=zone),
        "cancel_form": cancel_form or CancelInterviewForm(),
        "proposal_url": proposal.get_absolute_url(),
    }


@login_required
@require_safe
def interview_detail(request, pk: int):
    interview = _party_interview(request, pk)
    failed = take_failed_form(request)
    times_form = failed.bind(InterviewTimesForm, zone=zone_of(request.user)) if failed else None
    return render(
        request, "marketplace/interview_detail.html", _detail_context(request, interview, times_form=times_form)
    )


@login_required
@require_POST
def interview_pick(request, pk: int):
    interview = _party_interview(request, pk)
    raw = request.POST.get("slot", "")
    slot = None
    if raw.isdigit() and len(raw) <= MAX_ID_DIGITS:
        slot = InterviewSlot.objects.filter(interview=interview, pk=int(raw), is_open=True).first()
    if slot is None:
        messages.error(request, "That time is no longer on offer. Choose one of the times shown.")
        return redirect(_url(interview))
    try:
        services.interview_pick(interview=interview, by=request.user, slot=slot)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "The interview is scheduled. The meeting link and a calendar file are below.")
    return redirect(_url(interview))


@login_required
@require_POST
def interview_offer_times(request, pk: int):
    interview = _party_interview(request, pk)
    form = InterviewTimesForm(request.POST, zone=zone_of(request.user))
    if form.is_valid():
        rescheduling = interview.status == Interview.Status.SCHEDULED
        try:
            services.interview_offer_times(interview=interview, by=request.user, **form.service_kwargs())
        except (ValidationError, DomainError) as error:
            add_service_error(form, error, field_map=FORM_FIELD_FOR)
        else:
            other = _other_person(interview, request.user)
            messages.success(
                request,
                f"Your {'new ' if rescheduling else ''}times are sent. {other.display_name} will pick one.",
            )
            return redirect(_url(interview))
    # Back to the interview's page with what was typed and why it failed, once: the address bar
    # never shows this POST address, so a refresh posts nothing.
    return keep_failed_form(request, form, page=_url(interview), name="times", anchor="#suggest")


@login_required
@require_POST
def interview_cancel(request, pk: int):
    interview = _party_interview(request, pk)
    form = CancelInterviewForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, interview, cancel_form=form)
        return render(request, "marketplace/interview_detail.html", context, status=400)
    try:
        services.interview_cancel(interview=interview, by=request.user, reason=form.cleaned_data["reason"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "The interview is cancelled. The other person has been told.")
    return redirect(_url(interview))


@login_required
@require_safe
def interview_ics(request, pk: int):
    interview = _party_interview(request, pk)
    if interview.starts_at is None:
        messages.info(request, "There is no agreed time yet, so there is no calendar entry to add.")
        return redirect(_url(interview))
    body = ics.interview_calendar(interview, page_url=request.build_absolute_uri(_url(interview)))
    response = HttpResponse(body.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="proofwork-interview-{interview.pk}.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# A list shows the newest rows only, whatever a person's history.
LIST_LIMIT = 100


@login_required
@require_safe
def interview_list(request):
    user = request.user
    now = timezone.now()
    upcoming, to_answer, waiting, past = [], [], [], []
    interviews = list(selectors.interviews_for_user(user).order_by("-updated_at", "-pk")[: LIST_LIMIT + 1])
    for interview in interviews[:LIST_LIMIT]:
        entry = {
            "interview": interview,
            "other": _other_person(interview, user),
            "next_time": None,
        }
        if interview.status == Interview.Status.SCHEDULED:
            entry["next_time"] = interview.starts_at
            (upcoming if interview.ends_at > now else past).append(entry)
        elif interview.status == Interview.Status.PROPOSED:
            future = [slot.starts_at for slot in interview.slots.all() if slot.starts_at > now]
            entry["next_time"] = min(future) if future else None
            (waiting if interview.offered_by_id == user.pk else to_answer).append(entry)
        else:
            past.append(entry)
    upcoming.sort(key=lambda entry: entry["next_time"])
    groups = [
        ("Scheduled", "Coming up, soonest first.", upcoming),
        ("Pick a time", "Times were offered to you: pick one or suggest others.", to_answer),
        ("Waiting for the other person", "You offered times; they pick one.", waiting),
        ("Past and cancelled", "", past),
    ]
    context = {
        "groups": [group for group in groups if group[2]],
        "zone": zone_of(user),
        "truncated": len(interviews) > LIST_LIMIT,
        "shown_limit": LIST_LIMIT,
    }
    return render(request, "marketplace/interview_list.html", context)
