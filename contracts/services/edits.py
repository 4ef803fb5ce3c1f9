"""Changes to unfunded milestones, by agreement: one party proposes new terms (title, amount, due
date), the other accepts or declines, the proposer may withdraw.

Only a PENDING (unfunded) milestone changes this way: a funded amount is held in escrow, and the
ledger's invariant is that escrow equals the amount while held. milestone_fund therefore withdraws
a change still waiting when the milestone is funded. Every service locks contract → milestone and
moves the edit through core.transitions (a compare-and-set), so two answers to one proposal cannot
both win.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from contracts.models import Contract, ContractEvent, Milestone, MilestoneEdit, MilestoneEditEvent
from contracts.services._common import (
    check_party,
    event,
    lock_milestone,
    milestone_url,
    move_milestone,
    require_active,
    require_no_payment_processing,
)
from core import transitions
from core.exceptions import DomainError, InvalidTransition, NotAllowed
from core.templatetags.core_tags import money
from marketplace.hiring import paid_test_due_by, paid_test_due_message
from notifications.services import notify

if TYPE_CHECKING:
    from accounts.models import User

NOTE_MAX = 300
REASON_MAX = 500
TITLE_MAX = 120
FUNDED_MESSAGE = "Funded milestones can't be edited; agree a refund or add a change order instead."
ALREADY_PENDING = "A change to this milestone is already waiting for an answer."
# Milestone and edit notifications share the kind that covers "funded, added or removed".
KIND = "milestone.funded"


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _other(contract: Contract, user) -> User:
    return contract.freelancer if user.pk == contract.client_id else contract.client


def _require_unfunded(milestone: Milestone) -> None:
    if milestone.status == Milestone.Status.CANCELLED:
        raise InvalidTransition("This milestone was removed, so it can no longer be changed.")
    if milestone.status != Milestone.Status.PENDING:
        raise InvalidTransition(FUNDED_MESSAGE)
    require_no_payment_processing(milestone.contract, [milestone])


ANSWERED = "This change was already {status}."


def _answered(edit: MilestoneEdit) -> InvalidTransition:
    return InvalidTransition(ANSWERED.replace("{status}", edit.get_status_display().lower()))


def move_edit(edit: MilestoneEdit, *, to: str, by: User | None, note: str = "") -> MilestoneEdit:
    """A proposed change is answered (or lapses) through core.transitions, with its history row."""
    return transitions.move(
        edit,
        to=to,
        by=by,
        event_model=MilestoneEditEvent,
        event_field="edit",
        note=note,
        refuse=ANSWERED,
        responded_at=timezone.now(),
    )


def check_milestone_terms(
    *, contract: Contract, milestone: Milestone | None, title, amount_cents, due_date
) -> tuple[str, int, date]:
    """The limits of any milestone, changed (`milestone`) or added (None): a title, whole cents
    within the limits, a due date that has not passed; on a paid test, its cap in all and its short
    window. Every broken rule is reported at once."""
    errors: dict[str, list[str]] = {}
    title = title.strip() if isinstance(title, str) else ""
    if not title:
        errors["title"] = ["Give the milestone a title."]
    elif len(title) > TITLE_MAX:
        errors["title"] = [f"A title is at most {TITLE_MAX} characters."]
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        errors["amount"] = ["Amounts are whole cents."]
    elif amount_cents < settings.MILESTONE_MIN_CENTS:
        errors["amount"] = [f"A milestone is at least {money(settings.MILESTONE_MIN_CENTS)}."]
    elif amount_cents > settings.MILESTONE_MAX_CENTS:
        errors["amount"] = [f"A milestone is at most {money(settings.MILESTONE_MAX_CENTS)}."]
    elif contract.is_test_project:
        cap = settings.TEST_PROJECT_MAX_CENTS
        others = contract.milestones.exclude(status=Milestone.Status.CANCELLED)
        if milestone is not None:
            others = others.exclude(pk=milestone.pk)
        others_cents = others.aggregate(total=Sum("amount_cents"))["total"] or 0
        current = milestone.amount_cents if milestone is not None else 0
        # Lowering an amount is always allowed, even if the total is already past the cap.
        if amount_cents > cap or (amount_cents > current and others_cents + amount_cents > cap):
            errors["amount"] = [
                f"A paid test project is capped at {money(cap)} in all. For more work, end the test and "
                "continue with this freelancer on a new contract."
            ]
    if isinstance(due_date, datetime) or not isinstance(due_date, date):
        errors["due_date"] = ["Enter a due date."]
    elif due_date < timezone.localdate():
        errors["due_date"] = ["The due date cannot be in the past."]
    elif contract.is_test_project and due_date > paid_test_due_by(timezone.localdate()):
        errors["due_date"] = [paid_test_due_message(timezone.localdate())]
    if errors:
        raise ValidationError(errors)
    return title, amount_cents, due_date


def edit_summary(edit: MilestoneEdit, milestone: Milestone) -> str:
    """What the proposal changes, as a person reads it: "$450.00 instead of $400.00, due 5 Dec 2025"."""
    if edit.removes:
        return f"remove “{milestone.title}” ({money(milestone.amount_cents)}, due {_day(milestone.due_date)})"
    parts = [
        f"{money(edit.amount_cents)} instead of {money(milestone.amount_cents)}"
        if edit.amount_cents != milestone.amount_cents
        else f"{money(edit.amount_cents)} (unchanged)"
    ]
    due = f"due {_day(edit.due_date)}"
    if edit.due_date != milestone.due_date:
        due += f" instead of {_day(milestone.due_date)}"
    parts.append(due)
    if edit.title != milestone.title:
        parts.append(f"titled “{edit.title}” instead of “{milestone.title}”")
    return ", ".join(parts)


def _create_edit(milestone: Milestone, *, by: User, note: str, **terms) -> MilestoneEdit:
    """One proposal waiting per milestone, with a note of at most NOTE_MAX characters."""
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": [f"A note is at most {NOTE_MAX} characters."]})
    if milestone.edits.filter(status=MilestoneEdit.Status.PENDING).exists():
        raise DomainError(ALREADY_PENDING)
    try:
        # The UNIQUE(pending) constraint settles a race the check above cannot see on SQLite.
        with transaction.atomic():
            edit = MilestoneEdit.objects.create(milestone=milestone, proposed_by=by, note=note, **terms)
    except IntegrityError as error:
        raise DomainError(ALREADY_PENDING) from error
    MilestoneEditEvent.objects.create(edit=edit, actor=by, to_status=edit.status, note=note)
    return edit


@transaction.atomic
def milestone_edit_propose(
    *, milestone: Milestone, by: User, title: str, amount_cents: int, due_date: date, note: str = ""
) -> MilestoneEdit:
    """Either party proposes new terms for an unfunded milestone; nothing changes until the other accepts."""
    contract, milestone = lock_milestone(milestone)
    check_party(contract, by, action="propose changes to milestones")
    require_active(contract)
    _require_unfunded(milestone)
    title, amount_cents, due_date = check_milestone_terms(
        contract=contract, milestone=milestone, title=title, amount_cents=amount_cents, due_date=due_date
    )
    if (title, amount_cents, due_date) == (milestone.title, milestone.amount_cents, milestone.due_date):
        raise DomainError("Nothing would change: the title, amount and due date are the ones agreed already.")
    edit = _create_edit(milestone, by=by, note=note, title=title, amount_cents=amount_cents, due_date=due_date)
    note = edit.note
    summary = edit_summary(edit, milestone)
    event(
        contract=contract,
        milestone=milestone,
        actor=by,
        verb=ContractEvent.Verb.CHANGE_PROPOSED,
        amount_cents=amount_cents,
        note=summary + (f"\n{note}" if note else ""),
    )
    notify(
        recipient=_other(contract, by),
        kind=KIND,
        title=f"{by.display_name} proposes a change to “{milestone.title}”",
        body=f"{summary}.\n" + (f"{note}\n" if note else "") + "Accept or decline it on the contract page.",
        url=milestone_url(milestone),
    )
    return edit


@transaction.atomic
def milestone_removal_propose(*, milestone: Milestone, by: User, note: str = "") -> MilestoneEdit:
    """Either party proposes removing an unfunded milestone of the agreed terms; it goes only when
    the other accepts. (A change order not funded yet goes at once: see milestone_cancel.)"""
    contract, milestone = lock_milestone(milestone)
    check_party(contract, by, action="propose removing milestones")
    require_active(contract)
    _require_unfunded(milestone)
    if milestone.is_change_order:
        raise DomainError(
            "A change order that is not funded yet needs no agreement: the client withdraws it, "
            "or the freelancer declines it."
        )
    edit = _create_edit(
        milestone,
        by=by,
        note=note,
        removes=True,
        title=milestone.title,
        amount_cents=milestone.amount_cents,
        due_date=milestone.due_date,
    )
    note = edit.note
    event(
        contract=contract,
        milestone=milestone,
        actor=by,
        verb=ContractEvent.Verb.REMOVAL_PROPOSED,
        amount_cents=milestone.amount_cents,
        note=note,
    )
    notify(
        recipient=_other(contract, by),
        kind=KIND,
        title=f"{by.display_name} proposes removing “{milestone.title}”",
        body=f"{money(milestone.amount_cents)}, due {_day(milestone.due_date)}.\n"
        + (f"{note}\n" if note else "")
        + "It stays in the contract unless you accept. Accept or decline it on the contract page.",
        url=milestone_url(milestone),
    )
    return edit


@transaction.atomic
def milestone_edit_accept(*, edit: MilestoneEdit, by: User) -> Milestone:
    """Only the other party accepts a proposed change; it applies while the milestone is still unfunded."""
    contract, milestone = lock_milestone(edit.milestone)
    edit = MilestoneEdit.objects.select_related("proposed_by").get(pk=edit.pk)
    check_party(contract, by, action="answer a proposed change")
    if by.pk == edit.proposed_by_id:
        raise NotAllowed("You proposed this change, so the other side accepts or declines it. You can withdraw it.")
    require_active(contract)
    _require_unfunded(milestone)
    if edit.status != MilestoneEdit.Status.PENDING:
        raise _answered(edit)
    if edit.removes:
        return _accept_removal(edit, contract=contract, milestone=milestone, by=by)
    try:
        # Re-checked now: a day may have passed, or a change order may have filled a paid test's cap.
        check_milestone_terms(
            contract=contract,
            milestone=milestone,
            title=edit.title,
            amount_cents=edit.amount_cents,
            due_date=edit.due_date,
        )
    except ValidationError as error:
        raise DomainError(
            f"This change can no longer apply: {' '.join(error.messages)} Decline it and propose a new one."
        ) from error
    edit = move_edit(edit, to=MilestoneEdit.Status.ACCEPTED, by=by)
    old = (milestone.title, milestone.amount_cents, milestone.due_date)
    transitions.compare_and_set(
        milestone,
        expect={
            "status": Milestone.Status.PENDING,
            "title": milestone.title,
            "amount_cents": milestone.amount_cents,
            "due_date": milestone.due_date,
        },
        title=edit.title,
        amount_cents=edit.amount_cents,
        due_date=edit.due_date,
    )
    changes = [f"Amount {money(old[1])} → {money(edit.amount_cents)}"]
    if old[2] != edit.due_date:
        changes.append(f"due {_day(old[2])} → {_day(edit.due_date)}")
    if old[0] != edit.title:
        changes.append(f"title “{old[0]}” → “{edit.title}”")
    event(
        contract=contract,
        milestone=milestone,
        actor=by,
        verb=ContractEvent.Verb.EDITED,
        amount_cents=edit.amount_cents,
        note="; ".join(changes),
    )
    milestone.refresh_from_db()
    notify(
        recipient=edit.proposed_by,
        kind=KIND,
        title=f"{by.display_name} accepted your change to “{milestone.title}”",
        body=f"It is now {money(milestone.amount_cents)}, due {_day(milestone.due_date)}.",
        url=milestone_url(milestone),
    )
    return milestone


def _accept_removal(edit: MilestoneEdit, *, contract: Contract, milestone: Milestone, by: User) -> Milestone:
    edit = move_edit(edit, to=MilestoneEdit.Status.ACCEPTED, by=by)
    milestone = move_milestone(
        milestone, to=Milestone.Status.CANCELLED, by=by, verb=ContractEvent.Verb.REMOVED, settled_at=timezone.now()
    )
    notify(
        recipient=edit.proposed_by,
        kind=KIND,
        title=f"{by.display_name} agreed to remove “{milestone.title}”",
        body="It is no longer part of the contract.",
        url=milestone_url(milestone),
    )
    return milestone


@transaction.atomic
def milestone_edit_decline(*, edit: MilestoneEdit, by: User, reason: str = "") -> MilestoneEdit:
    """The other party declines a proposed change; the milestone keeps its agreed terms."""
    contract, milestone = lock_milestone(edit.milestone)
    edit = MilestoneEdit.objects.select_related("proposed_by").get(pk=edit.pk)
    check_party(contract, by, action="answer a proposed change")
    if by.pk == edit.proposed_by_id:
        raise NotAllowed("You proposed this change; withdraw it instead.")
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [f"A reason is at most {REASON_MAX} characters."]})
    edit = move_edit(edit, to=MilestoneEdit.Status.DECLINED, by=by, note=reason)
    event(contract=contract, milestone=milestone, actor=by, verb=ContractEvent.Verb.CHANGE_DECLINED, note=reason)
    notify(
        recipient=edit.proposed_by,
        kind=KIND,
        title=f"{by.display_name} declined your change to “{milestone.title}”",
        body=reason or f"It stays {money(milestone.amount_cents)}, due {_day(milestone.due_date)}.",
        url=milestone_url(milestone),
    )
    return edit


@transaction.atomic
def milestone_edit_withdraw(*, edit: MilestoneEdit, by: User) -> MilestoneEdit:
    """Only the proposer withdraws a change still waiting for an answer."""
    contract, milestone = lock_milestone(edit.milestone)
    edit = MilestoneEdit.objects.get(pk=edit.pk)
    check_party(contract, by, action="withdraw a proposed change")
    if by.pk != edit.proposed_by_id:
        raise NotAllowed("Only the person who proposed this change can withdraw it; you can decline it.")
    edit = move_edit(edit, to=MilestoneEdit.Status.WITHDRAWN, by=by)
    event(contract=contract, milestone=milestone, actor=by, verb=ContractEvent.Verb.CHANGE_WITHDRAWN)
    notify(
        recipient=_other(contract, by),
        kind=KIND,
        title=f"{by.display_name} withdrew the proposed change to “{milestone.title}”",
        body=f"It stays {money(milestone.amount_cents)}, due {_day(milestone.due_date)}.",
        url=milestone_url(milestone),
    )
    return edit
