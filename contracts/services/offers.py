from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from contracts.models import Contract, ContractEvent, Milestone, Offer, OfferEvent, OfferMilestone
from contracts.services._common import event
from core import transitions
from core.exceptions import DomainError, InvalidTransition, NotAllowed
from core.milestones import MilestoneTerms
from core.templatetags.core_tags import money
from marketplace.hiring import HireTerms, paid_test_due_by, paid_test_due_message
from marketplace.services import proposal_offer_accepted, proposal_offer_ended
from marketplace.topics import PROPOSAL_TOPIC
from messaging.services import conversation_for_topic
from notifications.services import notify


def offer_terms_check(
    *, milestones: list | None, is_test: bool, title: str | None = None, scope: str | None = None
) -> None:
    """The rules of an offer's terms, checked together so a form shows every error at once: its
    title and scope (when given) and its milestones (when a form could read them, else None)."""
    errors: dict[str, list[str]] = {}
    if (title is not None and not title.strip()) or (scope is not None and not scope.strip()):
        errors["title"] = ["Give the new work a title and a scope."]
    if milestones is not None:
        try:
            _validate_milestones(milestones, is_test=is_test, today=timezone.localdate())
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)


def _validate_milestones(milestones: list, *, is_test: bool, today: date) -> None:
    errors = []
    if not milestones:
        errors.append("An offer needs at least one milestone.")
    if is_test and len(milestones) != 1:
        errors.append("A paid test project has exactly one milestone.")
    for m in milestones:
        if not m.title.strip():
            errors.append("Every milestone needs a title.")
        if not isinstance(m.amount_cents, int) or m.amount_cents < settings.MILESTONE_MIN_CENTS:
            errors.append(f"Every milestone is at least {money(settings.MILESTONE_MIN_CENTS)}.")
        elif m.amount_cents > settings.MILESTONE_MAX_CENTS:
            errors.append(f"A milestone is at most {money(settings.MILESTONE_MAX_CENTS)}.")
        if m.due_date < today:
            errors.append("Milestone due dates cannot be in the past.")
        elif is_test and m.due_date > paid_test_due_by(today):
            errors.append(paid_test_due_message(today))
    if is_test and milestones and sum(m.amount_cents for m in milestones) > settings.TEST_PROJECT_MAX_CENTS:
        errors.append(f"A paid test project is capped at {money(settings.TEST_PROJECT_MAX_CENTS)}.")
    if errors:
        raise ValidationError({"milestones": list(dict.fromkeys(errors))})


def _offer_url(offer: Offer) -> str:
    return offer.get_absolute_url()


def _live_offer(proposal_id: int) -> Offer | None:
    return Offer.objects.filter(proposal_id=proposal_id, status__in=Offer.LIVE).first()


@transaction.atomic
def offer_create_from_hire(terms: HireTerms) -> Offer:
    """A hire becomes a new offer with the agreed terms; a proposal has at most one live offer (a
    replay returns it), and a hire after its last offer was declined, withdrawn or expired makes a
    new one the freelancer can answer."""
    existing = _live_offer(terms.proposal_id)
    if existing is not None:
        return existing
    if not terms.milestones or sum(m.amount_cents for m in terms.milestones) != terms.total_cents:
        raise DomainError("The milestones of an offer must add up to its total.")
    try:
        with transaction.atomic():
            offer = Offer.objects.create(
                proposal_id=terms.proposal_id,
                client_id=terms.client_id,
                freelancer_id=terms.freelancer_id,
                title=terms.title,
                scope=terms.scope,
                acceptance_criteria=terms.acceptance_criteria,
                currency=terms.currency,
                total_cents=terms.total_cents,
                is_test_project=terms.is_test_project,
                change_rounds=settings.DEFAULT_CHANGE_ROUNDS,
                expires_at=timezone.now() + timedelta(days=settings.OFFER_EXPIRY_DAYS),
            )
    except IntegrityError:
        return Offer.objects.get(proposal_id=terms.proposal_id, status__in=Offer.LIVE)
    OfferMilestone.objects.bulk_create(
        OfferMilestone(offer=offer, position=i, title=m.title, amount_cents=m.amount_cents, due_date=m.due_date)
        for i, m in enumerate(terms.milestones, start=1)
    )
    OfferEvent.objects.create(
        offer=offer, actor_id=terms.client_id, to_status=offer.status, note=f"Offered {money(offer.total_cents)}"
    )
    notify(
        recipient=offer.freelancer,
        kind="offer.received",
        title=f"Offer: “{offer.title}” for {money(offer.total_cents)}",
        body=f"Accept it within {settings.OFFER_EXPIRY_DAYS} days to start the contract.",
        url=_offer_url(offer),
    )
    return offer


@transaction.atomic
def offer_create_follow_on(
    *,
    contract: Contract,
    by,
    title: str,
    scope: str,
    milestones: list[MilestoneTerms],
    change_rounds: int | None = None,
) -> Offer:
    """After a paid test, the client offers the same freelancer longer work, linked to the test."""
    if by.pk != contract.client_id:
        raise NotAllowed("Only the client can offer more work.")
    if by.is_suspended:
        raise NotAllowed("Your account is suspended.")
    if not contract.is_test_project:
        raise DomainError("Follow-on offers start from a paid test project.")
    if contract.status != Contract.Status.ENDED or contract.end_reason != Contract.EndReason.COMPLETED:
        raise DomainError("End the paid test as completed before offering more work.")
    offer_terms_check(milestones=milestones, is_test=False, title=title, scope=scope)
    offer = Offer.objects.create(
        follow_on_of=contract,
        client_id=contract.client_id,
        freelancer_id=contract.freelancer_id,
        title=title.strip()[:120],
        scope=scope.strip(),
        currency=contract.currency,
        total_cents=sum(m.amount_cents for m in milestones),
        change_rounds=settings.DEFAULT_CHANGE_ROUNDS if change_rounds is None else change_rounds,
        expires_at=timezone.now() + timedelta(days=settings.OFFER_EXPIRY_DAYS),
    )
    OfferMilestone.objects.bulk_create(
        OfferMilestone(offer=offer, position=i, title=m.title.strip(), amount_cents=m.amount_cents, due_date=m.due_date)
        for i, m in enumerate(milestones, start=1)
    )
    OfferEvent.objects.create(
        offer=offer, actor=by, to_status=offer.status, note=f"Follow-on offer of {money(offer.total_cents)}"
    )
    notify(
        recipient=offer.freelancer,
        kind="offer.received",
        title=f"{by.display_name} wants to continue: “{offer.title}”",
        body=f"A follow-on offer of {money(offer.total_cents)} after your paid test.",
        url=_offer_url(offer),
    )
    return offer


def _check_offer_party(offer: Offer, user) -> str:
    party = offer.party_of(user)
    if party is None:
        raise NotAllowed("Only the client and the freelancer take part in this offer.")
    if user.is_suspended:
        raise NotAllowed("Your account is suspended.")
    return party


def _proposal_back_to_shortlist(offer: Offer, *, by, note: str) -> None:
    """An offer that ends unaccepted puts its proposal back on the client's shortlist."""
    if offer.proposal_id:
        proposal_offer_ended(proposal=offer.proposal, by=by, note=note)


def _offer_move(offer: Offer, *, to: str, by, note: str = "", **changes) -> Offer:
    """An offer moves through core.transitions; the terms it moves on (its revision) must still hold."""
    current = transitions.lock(offer)
    return transitions.move(
        current,
        to=to,
        by=by,
        event_model=OfferEvent,
        event_field="offer",
        note=note,
        expect={"revision": current.revision},
        event={"revision": current.revision},
        **changes,
    )


@transaction.atomic
def offer_accept(*, offer: Offer, by) -> Contract:
    """The party the offer waits for accepts its current terms; the contract starts."""
    party = _check_offer_party(offer, by)
    offer = transitions.lock(offer)
    if offer.status == Offer.Status.OFFERED and offer.expires_at and offer.expires_at <= timezone.now():
        raise InvalidTransition("This offer has expired. Ask the client to send a new one.")
    if offer.status == Offer.Status.OFFERED and offer.awaiting != party:
        raise NotAllowed("The other side has to accept these terms.")
    if offer.status == Offer.Status.OFFERED:
        today = timezone.localdate()
        passed = [m for m in offer.milestones.all() if m.due_date < today]
        if passed:
            names = ", ".join(f"“{m.title}” ({m.due_date.day} {m.due_date:%b %Y})" for m in passed)
            raise DomainError(
                f"The due date of {names} has passed. Propose new dates (change the terms) before accepting."
            )
    offer = _offer_move(offer, to=Offer.Status.ACCEPTED, by=by)
    if offer.proposal_id:
        proposal_offer_accepted(proposal=offer.proposal, by=by)
    contract = Contract.objects.create(
        offer=offer,
        client_id=offer.client_id,
        freelancer_id=offer.freelancer_id,
        title=offer.title,
        scope=offer.scope,
        acceptance_criteria=offer.acceptance_criteria,
        currency=offer.currency,
        change_rounds=offer.change_rounds,
        is_test_project=offer.is_test_project,
        follow_on_of=offer.follow_on_of,
    )
    Milestone.objects.bulk_create(
        Milestone(
            contract=contract, position=m.position, title=m.title, amount_cents=m.amount_cents, due_date=m.due_date
        )
        for m in offer.milestones.all()
    )
    event(
        contract=contract,
        verb=ContractEvent.Verb.STARTED,
        actor=by,
        to_status=Contract.Status.ACTIVE,
        amount_cents=offer.total_cents,
    )
    _continue_the_conversation(contract, proposal_id=offer.proposal_id)
    other = contract.client if party == Offer.Party.FREELANCER else contract.freelancer
    notify(
        recipient=other,
        kind="offer.accepted",
        title=f"Contract started: “{contract.title}”",
        body="Fund the first milestone so work can begin."
        if other.pk == contract.client_id
        else "The client will fund the first milestone.",
        url=contract.get_absolute_url(),
    )
    return contract


def _continue_the_conversation(contract: Contract, *, proposal_id: int | None) -> None:
    """The contract continues the two's one conversation (see messaging's `Conversation`): the
    one of the contract it follows on from, else the one of the proposal it was hired from, so
    what they agreed before the hire stays beside the work. Its title names the work, the titles
    of the chain in order ("Clinic booking app · Three months of performance work")."""
    titles, link = [contract.title], contract.follow_on_of
    while link is not None:
        titles.insert(0, link.title)
        link = link.follow_on_of
    if contract.follow_on_of_id:
        continues = ("contract", contract.follow_on_of_id)
    elif proposal_id:
        continues = (PROPOSAL_TOPIC, proposal_id)
    else:
        continues = None
    conversation_for_topic(
        topic_type="contract",
        topic_id=contract.pk,
        title=" · ".join(dict.fromkeys(titles)),
        participants=[contract.client, contract.freelancer],
        continues=continues,
    )


@transaction.atomic
def offer_decline(*, offer: Offer, by, reason: str = "") -> Offer:
    """The freelancer declines an offer (the client withdraws instead)."""
    party = _check_offer_party(offer, by)
    if party != Offer.Party.FREELANCER:
        raise NotAllowed("The client withdraws an offer rather than declining it.")
    offer = _offer_move(
        offer, to=Offer.Status.DECLINED, by=by, note=reason.strip(), decline_reason=reason.strip()[:500]
    )
    _proposal_back_to_shortlist(offer, by=by, note="The freelancer declined the offer")
    notify(
        recipient=offer.client,
        kind="offer.declined",
        title=f"{by.display_name} declined the offer “{offer.title}”",
        body=f"Reason: {offer.decline_reason}" if offer.decline_reason else "",
        url=_offer_url(offer),
    )
    return offer


@transaction.atomic
def offer_withdraw(*, offer: Offer, by) -> Offer:
    """The client withdraws an offer before it is accepted."""
    party = _check_offer_party(offer, by)
    if party != Offer.Party.CLIENT:
        raise NotAllowed("Only the client can withdraw an offer.")
    offer = _offer_move(offer, to=Offer.Status.WITHDRAWN, by=by)
    _proposal_back_to_shortlist(offer, by=by, note="The client withdrew the offer")
    notify(
        recipient=offer.freelancer,
        kind="offer.declined",
        title=f"The offer “{offer.title}” was withdrawn",
        url=_offer_url(offer),
    )
    return offer


MAX_CHANGE_ROUNDS = 5


@transaction.atomic
def offer_revise(
    *, offer: Offer, by, milestones: list[MilestoneTerms], note: str = "", change_rounds: int | None = None
) -> Offer:
    """Either side proposes changed terms before acceptance (the milestones, and how many change
    rounds each milestone allows); the other side must accept again."""
    party = _check_offer_party(offer, by)
    offer = transitions.lock(offer)
    if offer.status != Offer.Status.OFFERED:
        raise InvalidTransition(f"This offer is {offer.get_status_display().lower()}, so its terms are final.")
    milestones = list(milestones)
    _validate_milestones(milestones, is_test=offer.is_test_project, today=timezone.localdate())
    if change_rounds is None:
        change_rounds = offer.change_rounds
    if (
        isinstance(change_rounds, bool)
        or not isinstance(change_rounds, int)
        or not 0 <= change_rounds <= MAX_CHANGE_ROUNDS
    ):
        raise ValidationError({"change_rounds": [f"Choose from 0 to {MAX_CHANGE_ROUNDS} change rounds per milestone."]})
    offer.milestones.all().delete()
    OfferMilestone.objects.bulk_create(
        OfferMilestone(offer=offer, position=i, title=m.title.strip(), amount_cents=m.amount_cents, due_date=m.due_date)
        for i, m in enumerate(milestones, start=1)
    )
    other = Offer.Party.CLIENT if party == Offer.Party.FREELANCER else Offer.Party.FREELANCER
    rounds_changed = change_rounds != offer.change_rounds
    Offer.objects.filter(pk=offer.pk).update(
        total_cents=sum(m.amount_cents for m in milestones),
        change_rounds=change_rounds,
        awaiting=other,
        revision=offer.revision + 1,
        expires_at=timezone.now() + timedelta(days=settings.OFFER_EXPIRY_DAYS),
    )
    offer.refresh_from_db()
    OfferEvent.objects.create(
        offer=offer,
        actor=by,
        from_status=offer.status,
        to_status=offer.status,
        revision=offer.revision,
        note=(
            f"new total {money(offer.total_cents)}"
            + (f", {offer.change_rounds} change rounds per milestone" if rounds_changed else "")
            + ". "
            + note.strip()
        )[:500],
    )
    notify(
        recipient=offer.client if other == Offer.Party.CLIENT else offer.freelancer,
        kind="offer.received",
        title=f"{by.display_name} proposed changed terms for “{offer.title}”",
        body=(note.strip()[:300] + "\n" if note.strip() else "")
        + f"New total {money(offer.total_cents)}"
        + (f", {offer.change_rounds} change rounds per milestone" if rounds_changed else "")
        + ". Accept or propose other terms.",
        url=_offer_url(offer),
    )
    return offer


def offers_expire_due(*, now=None) -> int:
    """Offers not accepted within OFFER_EXPIRY_DAYS expire; both sides are told. Twice is a no-op."""
    now = now or timezone.now()
    expired = 0
    for offer in Offer.objects.filter(status=Offer.Status.OFFERED, expires_at__lte=now).only("pk"):
        try:
            with transaction.atomic():
                offer = _offer_move(offer, to=Offer.Status.EXPIRED, by=None, note="Not accepted in time")
                _proposal_back_to_shortlist(offer, by=None, note="The offer expired")
                for person in (offer.client, offer.freelancer):
                    notify(
                        recipient=person,
                        kind="offer.declined",
                        title=f"The offer “{offer.title}” expired",
                        url=_offer_url(offer),
                    )
        except InvalidTransition:
            continue
        expired += 1
    return expired
