from __future__ import annotations

from datetime import date
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from core import transitions
from core.exceptions import DomainError, InvalidTransition, NotAllowed
from core.files import change_files
from core.milestones import MilestoneTerms
from core.ratelimit import hit
from core.templatetags.core_tags import money as _money
from marketplace import hiring
from marketplace.models import (
    Invitation,
    Project,
    ProjectEvent,
    Proposal,
    ProposalAttachment,
    ProposalEvent,
    ProposedMilestone,
    ScreeningAnswer,
)
from marketplace.selectors import client_trust_forget, proposal_blocked_reason
from marketplace.services.interviews import interviews_cancel_for_proposal
from marketplace.services.invitations import invitation_move
from marketplace.topics import PROPOSAL_TOPIC
from messaging.services import conversation_for_topic
from notifications.services import notify

MAX_ATTACHMENTS = 5


def proposal_terms_check(
    *,
    project: Project,
    cover_letter: str | None = None,
    bid_cents: int | None = None,
    duration_days: int | None = None,
    milestones: list[MilestoneTerms] | None = None,
    answers: dict[int, str] | None = None,
    today: date | None = None,
) -> None:
    """Every rule a proposal's text, terms and answers must meet, checked together: one
    ValidationError keyed by field names all that is wrong at once. A part given as None (a form
    could not read it) is not checked, so a form shows these rules beside its own errors."""
    today = today or timezone.localdate()
    errors: dict[str, list] = {}

    def add(field: str, message) -> None:
        if message not in errors.setdefault(field, []):
            errors[field].append(message)

    if cover_letter is not None and not cover_letter.strip():
        add("cover_letter", "Write a cover letter.")
    if bid_cents is None:
        pass
    elif bid_cents <= 0:
        add("bid_cents", "Enter a bid above zero.")
    elif bid_cents > settings.PROJECT_MAX_BUDGET_CENTS:
        add("bid_cents", f"Bids above {_money(settings.PROJECT_MAX_BUDGET_CENTS)} are not accepted.")
    elif project.is_test and bid_cents > settings.TEST_PROJECT_MAX_CENTS:
        add("bid_cents", f"A paid test project is capped at {_money(settings.TEST_PROJECT_MAX_CENTS)}.")
    if duration_days is None:
        pass
    elif not 1 <= duration_days <= 365:
        add("duration_days", "Estimated duration must be between 1 and 365 days.")
    elif project.is_test and duration_days > settings.TEST_PROJECT_MAX_DAYS:
        add("duration_days", f"A paid test project takes at most {settings.TEST_PROJECT_MAX_DAYS} days.")
    if milestones is not None:
        _check_milestones(project, milestones, bid_cents=bid_cents, today=today, add=add)
    if answers is not None:
        for question in project.questions.all():
            if question.required and not (answers.get(question.pk) or "").strip():
                # The question's id rides along, so a form puts the error on that question.
                add(
                    "answers",
                    ValidationError(
                        "Answer the question: “%(question)s”",
                        code="required",
                        params={"question": question.text, "question_id": question.pk},
                    ),
                )
    if errors:
        raise ValidationError(errors)


def _check_milestones(project: Project, milestones: list[MilestoneTerms], *, bid_cents, today: date, add) -> None:
    if not milestones:
        add("milestones", "Propose at least one milestone.")
    elif project.is_test and len(milestones) != 1:
        add("milestones", "A paid test project has exactly one milestone.")
    elif len(milestones) > settings.PROPOSAL_MAX_MILESTONES:
        add("milestones", f"Propose at most {settings.PROPOSAL_MAX_MILESTONES} milestones.")
    for milestone in milestones:
        if not milestone.title.strip():
            add("milestones", "Every milestone needs a title.")
        if milestone.amount_cents < settings.MILESTONE_MIN_CENTS:
            add("milestones", f"Every milestone is at least {_money(settings.MILESTONE_MIN_CENTS)}.")
        if milestone.due_date < today:
            add("milestones", "Milestone due dates cannot be in the past.")
        elif project.is_test and milestone.due_date > hiring.paid_test_due_by(today):
            add("milestones", hiring.paid_test_due_message(today))
    total = sum(m.amount_cents for m in milestones)
    if milestones and bid_cents is not None and bid_cents > 0 and total != bid_cents:
        add("milestones", f"The milestones add up to {_money(total)}, but your bid is {_money(bid_cents)}.")


def _clean(
    project: Project,
    cover_letter: str,
    bid_cents: int,
    duration_days: int,
    milestones: list[MilestoneTerms],
    answers: dict[int, str] | None,
) -> tuple[str, list[MilestoneTerms], dict[int, str]]:
    """A proposal's text, terms and answers, checked alike (and all at once) when it is sent and
    when it is edited."""
    milestones, answers = list(milestones), answers or {}
    proposal_terms_check(
        project=project,
        cover_letter=cover_letter,
        bid_cents=bid_cents,
        duration_days=duration_days,
        milestones=milestones,
        answers=answers,
    )
    cleaned = {}
    for question in project.questions.all():
        text = (answers.get(question.pk) or "").strip()
        if text:
            cleaned[question.pk] = text[:2000]
    return cover_letter.strip(), milestones, cleaned


def _save_details(proposal: Proposal, *, milestones, answers, attachments) -> None:
    proposal.milestones.all().delete()
    ProposedMilestone.objects.bulk_create(
        ProposedMilestone(
            proposal=proposal, position=i, title=m.title.strip()[:120], amount_cents=m.amount_cents, due_date=m.due_date
        )
        for i, m in enumerate(milestones, start=1)
    )
    proposal.answers.all().delete()
    ScreeningAnswer.objects.bulk_create(
        ScreeningAnswer(proposal=proposal, question_id=question_id, text=text) for question_id, text in answers.items()
    )
    if attachments:
        _change_files(proposal, add=attachments, field="attachments")


def _change_files(proposal: Proposal, *, add, remove_ids=(), field: str = "files") -> tuple[list[str], int]:
    build = partial(ProposalAttachment.build, proposal=proposal)
    return change_files(proposal.attachments, build, add=add, remove_ids=remove_ids, limit=MAX_ATTACHMENTS, field=field)


@transaction.atomic
def proposal_submit(
    *,
    project: Project,
    freelancer: User,
    cover_letter: str,
    bid_cents: int,
    duration_days: int,
    milestones: list[MilestoneTerms],
    answers: dict[int, str] | None = None,
    attachments=(),
) -> Proposal:
    """One proposal per freelancer per open project; milestones add up to the bid; invite-only
    projects take proposals only from invited freelancers."""
    project = transitions.lock(project)
    blocked = proposal_blocked_reason(project, freelancer)
    if blocked is not None:
        raise (NotAllowed if blocked.kind == "suspended" else DomainError)(blocked.message)
    invitation = Invitation.objects.filter(project=project, freelancer=freelancer).first()
    cover_letter, milestones, answers = _clean(project, cover_letter, bid_cents, duration_days, milestones, answers)
    hit(
        key=f"proposal:{freelancer.pk}",
        limit=settings.PROPOSAL_RATE_LIMIT,
        window_seconds=3600,
        message="You have sent many proposals in the last hour. Take a break and try again later.",
    )
    try:
        with transaction.atomic():
            proposal = Proposal.objects.create(
                project=project,
                freelancer=freelancer,
                cover_letter=cover_letter,
                bid_cents=bid_cents,
                currency=project.currency,
                duration_days=duration_days,
                invitation=invitation,
            )
    except IntegrityError as error:
        raise DomainError("You already sent a proposal for this project. Edit it instead.") from error
    ProposalEvent.objects.create(proposal=proposal, actor=freelancer, from_status="", to_status=proposal.status)
    _save_details(proposal, milestones=milestones, answers=answers, attachments=list(attachments))
    if invitation is not None and invitation.status == Invitation.Status.PENDING:
        invitation_move(invitation, to=Invitation.Status.ACCEPTED, by=freelancer, note="Answered with a proposal")
    conversation_for_topic(
        topic_type=PROPOSAL_TOPIC,
        topic_id=proposal.pk,
        title=f"Proposal: {project.title}",
        participants=[project.client, freelancer],
    )
    _tell_client(
        proposal,
        title=f"New proposal on “{project.title}”",
        body=f"{freelancer.display_name} bid {_money(bid_cents)} over {duration_days} days.",
    )
    return proposal


def _tell_client(proposal: Proposal, *, title: str, body: str) -> None:
    notify(
        recipient=proposal.project.client, kind="proposal.new", title=title, body=body, url=proposal.get_absolute_url()
    )


def proposal_edit_check(*, proposal: Proposal, by: User) -> None:
    """Refuses unless `by` may edit `proposal` now (its author, still editable, the project open).
    The API asks before it reads the changes; proposal_update checks again under the lock."""
    _check_editable(proposal, by)


def _check_editable(proposal: Proposal, by: User) -> None:
    if proposal.freelancer_id != by.pk:
        raise NotAllowed("Only the freelancer who sent this proposal can edit it.")
    if by.is_suspended:
        raise NotAllowed("Your account is suspended, so you cannot change proposals.")
    if not proposal.is_editable:
        raise DomainError(f"This proposal is {proposal.get_status_display().lower()} and can no longer be edited.")
    if not proposal.project.is_open:
        raise DomainError("This project is closed, so proposals can no longer change.")


@transaction.atomic
def proposal_files_change(*, proposal: Proposal, by: User, add=(), remove_ids=()) -> Proposal:
    """The author adds files to their proposal or removes some, under the same rules as editing it
    (at most MAX_ATTACHMENTS, each checked by its bytes)."""
    proposal = transitions.lock(proposal)
    _check_editable(proposal, by)
    names, removed = _change_files(proposal, add=add, remove_ids=remove_ids)
    changes = [f"added {', '.join(names)}" if names else "", f"removed {removed}" if removed else ""]
    ProposalEvent.objects.create(
        proposal=proposal,
        actor=by,
        from_status=proposal.status,
        to_status=proposal.status,
        note=f"Files: {'; '.join(filter(None, changes))}"[:300],
    )
    return proposal


@transaction.atomic
def proposal_update(
    *,
    proposal: Proposal,
    by: User,
    cover_letter: str,
    bid_cents: int,
    duration_days: int,
    milestones: list[MilestoneTerms],
    answers: dict[int, str] | None = None,
    attachments=(),
) -> Proposal:
    """The author edits their proposal until it is hired, declined or withdrawn."""
    proposal = transitions.lock(proposal)
    _check_editable(proposal, by)
    project = proposal.project
    cover_letter, milestones, answers = _clean(project, cover_letter, bid_cents, duration_days, milestones, answers)
    Proposal.objects.filter(pk=proposal.pk).update(
        cover_letter=cover_letter, bid_cents=bid_cents, duration_days=duration_days, updated_at=timezone.now()
    )
    proposal.refresh_from_db()
    _save_details(proposal, milestones=milestones, answers=answers, attachments=list(attachments))
    ProposalEvent.objects.create(
        proposal=proposal, actor=by, from_status=proposal.status, to_status=proposal.status, note="Edited"
    )
    _tell_client(
        proposal,
        title=f"{by.display_name} updated their proposal",
        body=f"Now {_money(bid_cents)} over {duration_days} days.",
    )
    return proposal


def _move(proposal: Proposal, *, to: str, by: User, note: str = "", **changes) -> Proposal:
    return transitions.move(
        proposal, to=to, by=by, event_model=ProposalEvent, event_field="proposal", note=note, **changes
    )


@transaction.atomic
def proposal_withdraw(*, proposal: Proposal, by: User) -> Proposal:
    """The author withdraws before a hire."""
    if proposal.freelancer_id != by.pk:
        raise NotAllowed("Only the freelancer who sent this proposal can withdraw it.")
    proposal = _move(proposal, to=Proposal.Status.WITHDRAWN, by=by, note="Withdrawn by the freelancer")
    interviews_cancel_for_proposal(proposal=proposal, by=by, reason="The freelancer withdrew the proposal.")
    notify(
        recipient=proposal.project.client,
        kind="proposal.withdrawn",
        title=f"{by.display_name} withdrew their proposal",
        body=f"On “{proposal.project.title}”.",
        url=proposal.get_absolute_url(),
    )
    return proposal


def _check_owner(proposal: Proposal, by: User, action: str) -> None:
    if proposal.project.client_id != by.pk:
        raise NotAllowed(f"Only the client who posted the project can {action} proposals.")
    if by.is_suspended:
        raise NotAllowed("Your account is suspended.")


@transaction.atomic
def proposal_shortlist(*, proposal: Proposal, by: User) -> Proposal:
    """The client shortlists a submitted proposal."""
    _check_owner(proposal, by, "shortlist")
    proposal = _move(proposal, to=Proposal.Status.SHORTLISTED, by=by)
    notify(
        recipient=proposal.freelancer,
        kind="proposal.shortlisted",
        title=f"You are shortlisted for “{proposal.project.title}”",
        url=proposal.get_absolute_url(),
    )
    return proposal


@transaction.atomic
def proposal_decline(*, proposal: Proposal, by: User, reason: str = "") -> Proposal:
    """The client declines, optionally saying why; the freelancer sees the reason."""
    _check_owner(proposal, by, "decline")
    reason = reason.strip()[:500]
    proposal = _move(proposal, to=Proposal.Status.DECLINED, by=by, note="Declined", decline_reason=reason)
    interviews_cancel_for_proposal(proposal=proposal, by=by, reason="The client declined the proposal.")
    notify(
        recipient=proposal.freelancer,
        kind="proposal.declined",
        title=f"Your proposal for “{proposal.project.title}” was declined",
        body=f"The client's reason: {reason}" if reason else "The client did not give a reason.",
        url=proposal.get_absolute_url(),
    )
    return proposal


@transaction.atomic
def proposal_hire(*, proposal: Proposal, by: User) -> Proposal:
    """The client hires: the agreed terms go to contracts as an offer, and the proposal waits for
    the freelancer's answer (`proposal_offer_accepted` / `proposal_offer_ended`). The project stays
    open meanwhile, with one offer out at a time."""
    _check_owner(proposal, by, "hire from")
    project = transitions.lock(proposal.project)
    current = transitions.lock(proposal)
    if not current.can_move_to(Proposal.Status.OFFERED):
        raise InvalidTransition(f"This proposal is {current.get_status_display().lower()}, so it cannot be hired.")
    if not project.is_open:
        raise DomainError("This project is not open, so nobody can be hired on it.")
    if current.freelancer.is_suspended or not current.freelancer.is_active:
        raise DomainError("This freelancer's account is suspended, so they cannot be hired now.")
    check_no_offer_out(project, then="Withdraw it first to hire someone else.")
    proposal = _move(proposal, to=Proposal.Status.OFFERED, by=by, note="Offer sent")
    milestones = tuple(
        MilestoneTerms(title=m.title, amount_cents=m.amount_cents, due_date=m.due_date)
        for m in proposal.milestones.all()
    )
    hiring.hand_over(
        hiring.HireTerms(
            project_id=project.pk,
            proposal_id=proposal.pk,
            client_id=project.client_id,
            freelancer_id=proposal.freelancer_id,
            title=project.title,
            scope=project.description,
            acceptance_criteria=project.acceptance_criteria,
            currency=proposal.currency,
            total_cents=proposal.bid_cents,
            is_test_project=project.is_test,
            milestones=milestones,
        )
    )
    return proposal


def proposal_offered_on(project: Project) -> Proposal | None:
    """The proposal whose offer is waiting for the freelancer's answer, if any (one at a time)."""
    return project.proposals.filter(status=Proposal.Status.OFFERED).select_related("freelancer").first()


def check_no_offer_out(project: Project, *, then: str) -> None:
    """One offer is out at a time: until the freelancer answers it, the project waits, saying what to do `then`."""
    waiting = proposal_offered_on(project)
    if waiting is not None:
        raise DomainError(f"Your offer to {waiting.freelancer.display_name} is waiting for their answer. {then}")


@transaction.atomic
def proposal_offer_accepted(*, proposal: Proposal, by: User) -> Proposal:
    """The freelancer accepted the offer made from this proposal: it is hired, the project is
    filled, and everyone else still waiting on the project is told."""
    project = transitions.lock(proposal.project)
    proposal = _move(proposal, to=Proposal.Status.HIRED, by=by, note="Offer accepted")
    if project.status == Project.Status.OPEN:
        project_end(project, reason=Project.CloseReason.HIRED, by=by, note=f"Hired {proposal.freelancer.display_name}")
    proposals_close_for_project(
        project=project,
        by=project.client,
        reason="The client hired another freelancer for this project.",
        title=f"“{project.title}” was filled",
    )
    return proposal


@transaction.atomic
def proposal_offer_ended(*, proposal: Proposal, by: User | None, note: str) -> Proposal:
    """The offer made from this proposal was declined, withdrawn or expired: the proposal goes back
    to the shortlist, and the client may hire it again or someone else."""
    return _move(proposal, to=Proposal.Status.SHORTLISTED, by=by, note=note)


def project_end(project: Project, *, reason: str, by: User | None, note: str, at=None) -> Project:
    """A project leaves the market for its reason: filled by a hire, or closed by its client or by expiry."""
    client_trust_forget(project.client_id)
    return transitions.move(
        project,
        to=Project.Status.FILLED if reason == Project.CloseReason.HIRED else Project.Status.CLOSED,
        by=by,
        event_model=ProjectEvent,
        event_field="project",
        note=note,
        close_reason=reason,
        closed_at=at or timezone.now(),
    )


def proposals_close_for_project(*, project: Project, by: User | None, reason: str, title: str) -> int:
    """When a project is filled, closed or expires, its open proposals are declined with the reason
    (so nobody is shortlisted or interviewed on a closed project) and their authors are told."""
    closed = 0
    for other in project.proposals.filter(status__in=Proposal.EDITABLE).select_related("freelancer"):
        _move(other, to=Proposal.Status.DECLINED, by=by, note=reason, decline_reason=reason)
        interviews_cancel_for_proposal(proposal=other, by=by, reason=reason)
        notify(
            recipient=other.freelancer, kind="proposal.declined", title=title, body=reason, url=other.get_absolute_url()
        )
        closed += 1
    return closed
