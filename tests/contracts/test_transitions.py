"""Every service against every source status, generated from the transition tables.

For each milestone, offer and contract service and each status of its model's TRANSITIONS:
an allowed call moves the row, writes exactly one ContractEvent (who, from, to) and exactly the
ledger postings that move implies; a refused call raises and leaves the rows, the timeline, the
ledger, the gateway and everyone's notifications exactly as they were. Refund requests and
proposed milestone changes are held to their own tables the same way, with their history rows.
"""

from __future__ import annotations

import pytest

from contracts.models import (
    Contract,
    ContractEvent,
    Milestone,
    MilestoneEdit,
    MilestoneEditEvent,
    Offer,
    RefundRequest,
    RefundRequestEvent,
)
from contracts.services import (
    MilestoneTerms,
    contract_end,
    milestone_approve,
    milestone_edit_accept,
    milestone_edit_decline,
    milestone_edit_propose,
    milestone_edit_withdraw,
    milestone_fund,
    milestone_refund_offer,
    milestone_refund_request,
    milestone_release_partial,
    milestone_removal_propose,
    milestone_request_changes,
    milestone_submit,
    offer_accept,
    offer_decline,
    offer_revise,
    offer_withdraw,
    offers_expire_due,
    refund_request_accept,
    refund_request_decline,
)
from core import transitions
from core.exceptions import DomainError, InvalidTransition
from notifications.models import Notification
from payments import accounts
from payments.fees import fee_breakdown
from payments.models import LedgerTransaction
from tests.contracts.factories import (
    active_contract,
    escrow_of,
    hire_offer,
    later,
    milestone_in,
    milestone_of,
    money_snapshot,
    move_to,
    refund_request_on,
    row,
)
from tests.helpers import table_pairs
from tests.marketplace.factories import in_days

pytestmark = pytest.mark.django_db

S = Milestone.Status
AMOUNT = 400_00  # the first milestone of every contract here

# The dispute services own every way out of DISPUTED (its outcome releases or refunds; withdrawn,
# it goes back where it was): every service here must refuse them, because the escrow is frozen.
RESERVED_FOR_DISPUTES = {(S.DISPUTED, target) for target in Milestone.TRANSITIONS[S.DISPUTED]}


def is_allowed(source: str, target: str) -> bool:
    return target in Milestone.TRANSITIONS[source] and (source, target) not in RESERVED_FOR_DISPUTES


# Statuses from which held money can still be released or refunded by the parties themselves.
HELD_AND_FREE = [s for s in Milestone.TRANSITIONS if is_allowed(s, S.RELEASED)]


# --- Milestone: services that change the status ----------------------------------------------

MILESTONE_SERVICES = {
    "fund": S.FUNDED,
    "submit": S.SUBMITTED,
    "request_changes": S.CHANGES_REQUESTED,
    "approve": S.RELEASED,
    "refund_request_accept": S.REFUNDED,
    "refund_offer_all": S.REFUNDED,
    "cancel": S.CANCELLED,
}
# Who acts, and what lands on the timeline and in the ledger when the move is allowed.
ACTOR = {
    "fund": "client",
    "submit": "freelancer",
    "request_changes": "client",
    "approve": "client",
    "refund_request_accept": "freelancer",
    "refund_offer_all": "freelancer",
    "cancel": "freelancer",  # who accepts the client's proposal to remove it
}
POSTING = {"fund": LedgerTransaction.Kind.FUND, "approve": LedgerTransaction.Kind.RELEASE}
POSTING |= dict.fromkeys(("refund_request_accept", "refund_offer_all"), LedgerTransaction.Kind.REFUND)


def test_every_milestone_status_has_a_row_and_every_target_a_service():
    # given the milestone's table
    assert set(Milestone.TRANSITIONS) == set(S.values)
    targets = set().union(*Milestone.TRANSITIONS.values())
    # then every target but DISPUTED (the Disputes issue opens disputes) is reached by a service here
    assert targets - {S.DISPUTED} == set(MILESTONE_SERVICES.values())
    # and nothing goes back to pending; settled statuses are final; held ones are exactly those with money
    assert S.PENDING not in targets
    assert all(not Milestone.TRANSITIONS[s] for s in Milestone.SETTLED)
    assert set(HELD_AND_FREE) == set(Milestone.HELD) - {S.DISPUTED}


def milestone_pairs(services) -> list:
    params = []
    for service in services:
        target = MILESTONE_SERVICES.get(service)
        for source in Milestone.TRANSITIONS:
            allowed = is_allowed(source, target) if target else source in HELD_AND_FREE
            params.append(
                pytest.param(service, source, allowed, id=f"{service}:{source}:{'allowed' if allowed else 'refused'}")
            )
    return params


def _milestone_for(service: str, source: str):
    """The first milestone of a fresh contract, in `source`; for a refund acceptance, with a pending
    request for all of it made while it was funded (written directly when it never was)."""
    milestone = milestone_of(active_contract(amounts=(AMOUNT, 600_00)))
    request = None

    def ask_refund(funded):
        nonlocal request
        request = milestone_refund_request(milestone=funded, by=funded.contract.client, reason="Plans changed.")

    wants_request = service.startswith("refund_request_accept")
    milestone = move_to(milestone, source, after_funding=ask_refund if wants_request else None)
    if wants_request and request is None:
        request = refund_request_on(milestone)
    return milestone, request


def _call(service: str, milestone: Milestone, request, *, amount_cents: int | None = None):
    contract = milestone.contract
    client, freelancer = contract.client, contract.freelancer
    if service == "fund":
        return milestone_fund(milestone=milestone, by=client)
    if service == "submit":
        return milestone_submit(milestone=milestone, by=freelancer, message="Version 2, with the export.")
    if service == "request_changes":
        return milestone_request_changes(milestone=milestone, by=client, reason="The export is still missing.")
    if service == "approve":
        return milestone_approve(milestone=milestone, by=client)
    if service.startswith("refund_request_accept"):
        return refund_request_accept(request=request, by=freelancer)
    if service == "refund_offer_all":
        return milestone_refund_offer(milestone=milestone, by=freelancer, amount_cents=milestone.amount_cents)
    if service == "refund_offer_part":
        return milestone_refund_offer(milestone=milestone, by=freelancer, amount_cents=amount_cents)
    if service == "cancel":  # a milestone of the agreed terms: removed by agreement
        edit = milestone_removal_propose(milestone=milestone, by=client)
        return milestone_edit_accept(edit=edit, by=freelancer)
    if service == "release_partial":
        return milestone_release_partial(milestone=milestone, by=client, amount_cents=amount_cents)
    if service == "refund_request":
        return milestone_refund_request(milestone=milestone, by=client, amount_cents=amount_cents, reason="Too much.")
    raise AssertionError(service)


def _new_events(before: dict) -> list[ContractEvent]:
    return list(ContractEvent.objects.order_by("pk"))[before["events"] :]


def _new_transactions(before: dict) -> list[LedgerTransaction]:
    seen = {pk for pk, *_ in before["transactions"]}
    return [txn for txn in LedgerTransaction.objects.order_by("pk") if txn.pk not in seen]


def _refused(service: str, milestone: Milestone, request, *, amount_cents: int | None = None) -> None:
    before = money_snapshot()
    with pytest.raises(DomainError) as refused:
        _call(service, milestone, request, amount_cents=amount_cents)
    # then the person gets a message, and nothing changed anywhere
    assert str(refused.value)
    assert money_snapshot() == before


@pytest.mark.parametrize(("service", "source", "allowed"), milestone_pairs(MILESTONE_SERVICES))
def test_milestone_transition_table(service, source, allowed):
    # given the first milestone of a contract in `source`
    milestone, request = _milestone_for(service, source)
    contract = milestone.contract
    target = MILESTONE_SERVICES[service]
    if not allowed:
        # when the service is called from a status the table (or a frozen dispute) forbids, then it is refused
        _refused(service, milestone, request)
        milestone.refresh_from_db()
        assert milestone.status == source
        return
    held_before = milestone.held_cents
    before = money_snapshot()
    actor = getattr(contract, ACTOR[service])
    # when it is called from an allowed status
    _call(service, milestone, request)
    # then the milestone shows the new status
    milestone.refresh_from_db()
    assert milestone.status == target
    # and the timeline has exactly one new status change: who moved it, from where, to where
    events = [e for e in _new_events(before) if e.to_status]
    assert len(events) == 1
    assert (events[0].actor, events[0].milestone, events[0].from_status, events[0].to_status) == (
        actor,
        milestone,
        source,
        target,
    )
    # and the ledger got exactly the postings this move implies
    new = _new_transactions(before)
    if service not in POSTING:
        assert new == []
        return
    (txn,) = new
    assert txn.kind == POSTING[service]
    assert txn.reference == milestone.ledger_reference
    entries = dict(txn.entries.values_list("account", "amount_cents"))
    escrow = accounts.escrow(milestone.ledger_reference)
    if service == "fund":
        assert entries == {accounts.GATEWAY: -AMOUNT, escrow: AMOUNT}
        assert txn.idempotency_key == f"fund:{milestone.pk}"
    elif service == "approve":
        fees = fee_breakdown(amount_cents=held_before, billed_before_cents=0)
        assert entries == {
            escrow: -held_before,
            accounts.pending(contract.freelancer_id): fees.freelancer_net_cents,
            accounts.PLATFORM_FEES: fees.freelancer_fee_cents,
        }
        assert txn.idempotency_key == f"release:{milestone.pk}"
    else:
        assert entries == {escrow: -held_before, accounts.GATEWAY: held_before}


# --- Milestone: money services that leave the status alone ---------------------------------

PART = 150_00
IN_PLACE_SERVICES = ["release_partial", "refund_request", "refund_offer_part", "refund_request_accept_part"]


@pytest.mark.parametrize(("service", "source", "allowed"), milestone_pairs(IN_PLACE_SERVICES))
def test_partial_money_moves_by_source_status(service, source, allowed):
    # given the first milestone ($400) of a contract in `source`
    milestone, request = _milestone_for(service, source)
    if request is not None:
        # a pending request for part of it ($150)
        type(request).objects.filter(pk=request.pk).update(amount_cents=PART)
        request.refresh_from_db()
    contract = milestone.contract
    if not allowed:
        _refused(service, milestone, request, amount_cents=PART)
        return
    before = money_snapshot()
    # when part of the money moves
    _call(service, milestone, request, amount_cents=PART)
    # then the status stays, the amount still held shrinks (or not, for a mere request) …
    milestone.refresh_from_db()
    assert milestone.status == source
    expected_held = AMOUNT if service == "refund_request" else AMOUNT - PART
    assert milestone.held_cents == expected_held
    # … with one timeline entry carrying the amount and no status change
    (event,) = _new_events(before)
    assert (event.amount_cents, event.from_status, event.to_status, event.milestone) == (PART, "", "", milestone)
    # … and the postings of a partial move
    new = _new_transactions(before)
    escrow = accounts.escrow(milestone.ledger_reference)
    if service == "refund_request":
        assert new == []
        assert event.actor == contract.client
        return
    (txn,) = new
    entries = dict(txn.entries.values_list("account", "amount_cents"))
    if service == "release_partial":
        assert event.actor == contract.client
        assert txn.kind == LedgerTransaction.Kind.PARTIAL_RELEASE
        assert entries == {
            escrow: -PART,
            accounts.pending(contract.freelancer_id): PART - 15_00,
            accounts.PLATFORM_FEES: 15_00,
        }
    else:
        assert event.actor == contract.freelancer
        assert txn.kind == LedgerTransaction.Kind.REFUND
        assert entries == {escrow: -PART, accounts.GATEWAY: PART}


# --- Offer -----------------------------------------------------------------------------------

OFFER_SERVICES = {
    "accept": Offer.Status.ACCEPTED,
    "decline": Offer.Status.DECLINED,
    "withdraw": Offer.Status.WITHDRAWN,
    "expire": Offer.Status.EXPIRED,
    "revise": Offer.Status.OFFERED,  # changed terms: still offered, now waiting for the other side
}


def test_every_offer_status_has_a_row_and_every_target_a_service():
    assert set(Offer.TRANSITIONS) == set(Offer.Status.values)
    targets = set().union(*Offer.TRANSITIONS.values())
    assert targets == set(OFFER_SERVICES.values()) - {Offer.Status.OFFERED}
    assert {s for s, moves in Offer.TRANSITIONS.items() if moves} == {Offer.Status.OFFERED}


def _offer_in(status: str) -> Offer:
    offer = hire_offer()
    if status == Offer.Status.ACCEPTED:
        offer_accept(offer=offer, by=offer.freelancer)
    elif status == Offer.Status.DECLINED:
        offer_decline(offer=offer, by=offer.freelancer, reason="Booked up.")
    elif status == Offer.Status.WITHDRAWN:
        offer_withdraw(offer=offer, by=offer.client)
    elif status == Offer.Status.EXPIRED:
        assert offers_expire_due(now=later(8)) == 1
    offer.refresh_from_db()
    assert offer.status == status
    return offer


def offer_pairs() -> list:
    return [
        pytest.param(
            service,
            source,
            id=f"{service}:{source}:{'allowed' if source == Offer.Status.OFFERED else 'refused'}",
        )
        for service in OFFER_SERVICES
        for source in Offer.TRANSITIONS
    ]


@pytest.mark.parametrize(("service", "source"), offer_pairs())
def test_offer_transition_table(service, source):
    # given an offer in `source`
    offer = _offer_in(source)
    target = OFFER_SERVICES[service]
    allowed = target in Offer.TRANSITIONS[source] or (service == "revise" and source == Offer.Status.OFFERED)
    before, contracts_before = row(offer), Contract.objects.count()
    notes_before = {
        person: Notification.objects.filter(recipient=person).count() for person in (offer.client, offer.freelancer)
    }

    def act():
        if service == "accept":
            return offer_accept(offer=offer, by=offer.freelancer)
        if service == "decline":
            return offer_decline(offer=offer, by=offer.freelancer, reason="Booked up.")
        if service == "withdraw":
            return offer_withdraw(offer=offer, by=offer.client)
        if service == "revise":
            terms = [MilestoneTerms("Whole job", 1_000_00, in_days(20))]
            return offer_revise(offer=offer, by=offer.client, milestones=terms, note="One milestone instead.")
        return offers_expire_due(now=later(8))

    if not allowed:
        # when the service is called on an offer that is no longer open, then nothing changes
        if service == "expire":
            assert act() == 0
        else:
            with pytest.raises(InvalidTransition):
                act()
        assert row(offer) == before
        assert Contract.objects.count() == contracts_before
        assert {p: Notification.objects.filter(recipient=p).count() for p in notes_before} == notes_before
        return
    act()
    offer.refresh_from_db()
    assert offer.status == target
    told = {p: Notification.objects.filter(recipient=p).count() - n for p, n in notes_before.items()}
    if service == "accept":
        # then a contract starts, with one timeline entry by the freelancer, and the client is told
        contract = Contract.objects.get(offer=offer)
        (event,) = ContractEvent.objects.filter(contract=contract)
        assert (event.actor, event.verb, event.to_status) == (offer.freelancer, "started", Contract.Status.ACTIVE)
        assert told == {offer.client: 1, offer.freelancer: 0}
    elif service == "revise":
        # then the freelancer, who must now accept, is told and the revision counts up
        assert (offer.awaiting, offer.revision, offer.total_cents) == (Offer.Party.FREELANCER, 2, 1_000_00)
        assert told == {offer.client: 0, offer.freelancer: 1}
    elif service == "expire":
        assert told == {offer.client: 1, offer.freelancer: 1}
    else:
        other = offer.client if service == "decline" else offer.freelancer
        assert told[other] == 1
    assert Contract.objects.count() == contracts_before + (1 if service == "accept" else 0)


# --- Contract --------------------------------------------------------------------------------


def test_every_contract_status_has_a_row():
    assert set(Contract.TRANSITIONS) == set(Contract.Status.values)
    assert Contract.TRANSITIONS[Contract.Status.ENDED] == set()


@pytest.mark.parametrize("source", list(Contract.TRANSITIONS))
def test_contract_end_by_source_status(source):
    # given a contract whose first milestone was paid and whose second was never funded, in `source`
    contract = active_contract()
    move_to(milestone_of(contract, 1), S.RELEASED)
    client = contract.client
    if source == Contract.Status.ENDED:
        contract_end(contract=contract, by=client)
    contract.refresh_from_db()
    before, snapshot = row(contract), money_snapshot()
    allowed = Contract.Status.ENDED in Contract.TRANSITIONS[source]
    if not allowed:
        with pytest.raises(InvalidTransition):
            contract_end(contract=contract, by=contract.freelancer)
        assert row(contract) == before
        assert money_snapshot() == snapshot
        return
    # when the freelancer ends it
    contract_end(contract=contract, by=contract.freelancer)
    # then it is ended early (the unfunded milestone was never done, and is removed), and the client is told
    contract.refresh_from_db()
    assert (contract.status, contract.end_reason) == (Contract.Status.ENDED, Contract.EndReason.CANCELLED)
    assert milestone_of(contract, 2).status == S.CANCELLED
    (ended,) = ContractEvent.objects.filter(contract=contract, milestone=None, verb="ended")
    assert (ended.actor, ended.from_status, ended.to_status) == (contract.freelancer, "active", "ended")
    assert _new_transactions(snapshot) == []
    assert Notification.objects.filter(recipient=client, kind="contract.ended").count() == 1


# --- Refund request --------------------------------------------------------------------------

R = RefundRequest.Status
REFUND_REQUEST_SERVICES = {
    R.ACCEPTED: "refund_request_accept",
    R.DECLINED: "refund_request_decline",
    R.CANCELLED: "milestone_approve (settling the milestone withdraws a request still waiting)",
}


def _answered(pending, source: str, answer):
    """`pending` (a request or a proposed change) moved to `source` by `answer`, and checked to be there."""
    if source != pending.Status.PENDING:
        answer(pending, source)
    pending.refresh_from_db()
    assert pending.status == source
    return pending


def _refund_request_in(source: str) -> RefundRequest:
    """A request for $150 of a funded $400 milestone, moved to `source` by the services (an accepted
    or declined one leaves the rest held; a withdrawn one was overtaken by the client's approval)."""
    milestone = milestone_in(S.FUNDED, amounts=(AMOUNT,))
    contract = milestone.contract
    request = milestone_refund_request(milestone=milestone, by=contract.client, amount_cents=PART, reason="Less work.")
    return _answered(request, source, _answer_refund_request)


def _answer_refund_request(request: RefundRequest, target: str) -> None:
    contract = request.milestone.contract
    if target == R.ACCEPTED:
        refund_request_accept(request=request, by=contract.freelancer)
    elif target == R.DECLINED:
        refund_request_decline(request=request, by=contract.freelancer, reason="It is nearly done.")
    else:
        milestone_approve(milestone=request.milestone, by=contract.client)


@pytest.mark.parametrize(("source", "target"), table_pairs(RefundRequest, REFUND_REQUEST_SERVICES))
def test_refund_request_transition_table(source, target):
    # given a refund request in `source`
    request = _refund_request_in(source)
    contract = request.milestone.contract
    before, history_before = row(request), RefundRequestEvent.objects.filter(request=request).count()
    if target not in RefundRequest.TRANSITIONS[source]:
        snapshot = money_snapshot()
        if target == R.CANCELLED:
            # when the milestone is settled after the request was answered, the answer stands
            if request.milestone.is_settled:
                with pytest.raises(InvalidTransition):
                    _answer_refund_request(request, target)
            else:
                _answer_refund_request(request, target)
        else:
            # when the freelancer answers a request that was already answered, it is refused, nothing moves
            with pytest.raises(InvalidTransition):
                _answer_refund_request(request, target)
            assert money_snapshot() == snapshot
        assert row(request) == before
        assert RefundRequestEvent.objects.filter(request=request).count() == history_before
        return
    # when it is answered (or the milestone settles first)
    _answer_refund_request(request, target)
    # then the request shows the answer, with one history row: who, from where, to where
    request.refresh_from_db()
    assert request.status == target and request.responded_at is not None
    last = RefundRequestEvent.objects.filter(request=request).order_by("pk").last()
    assert RefundRequestEvent.objects.filter(request=request).count() == history_before + 1
    actor = None if target == R.CANCELLED else contract.freelancer
    assert (last.actor, last.from_status, last.to_status) == (actor, source, target)


# --- Proposed change to a milestone ----------------------------------------------------------

E = MilestoneEdit.Status
MILESTONE_EDIT_SERVICES = {
    E.ACCEPTED: "milestone_edit_accept (the other side)",
    E.DECLINED: "milestone_edit_decline (the other side)",
    E.WITHDRAWN: "milestone_edit_withdraw (the proposer; funding the milestone withdraws it too)",
}


@pytest.mark.parametrize(
    ("model", "services"),
    [(RefundRequest, REFUND_REQUEST_SERVICES), (MilestoneEdit, MILESTONE_EDIT_SERVICES)],
    ids=["refund_request", "milestone_edit"],
)
def test_every_answer_status_has_a_row_and_every_target_a_service(model, services):
    pending = model.Status.PENDING
    assert set(model.TRANSITIONS) == set(model.Status.values)
    targets = set().union(*model.TRANSITIONS.values())
    assert targets == set(services)
    # a request or a change is only ever pending by being made, and an answer is final
    assert pending not in targets
    assert {s for s, moves in model.TRANSITIONS.items() if moves} == {pending}


def _edit_in(source: str) -> MilestoneEdit:
    """The client's proposal to raise the first (unfunded) milestone to $450, moved to `source`."""
    milestone = milestone_of(active_contract())
    client = milestone.contract.client
    edit = milestone_edit_propose(
        milestone=milestone, by=client, title=milestone.title, amount_cents=450_00, due_date=milestone.due_date
    )
    return _answered(edit, source, _act_on_edit)


def _act_on_edit(edit: MilestoneEdit, target: str) -> None:
    contract = edit.milestone.contract
    if target == E.ACCEPTED:
        milestone_edit_accept(edit=edit, by=contract.freelancer)
    elif target == E.DECLINED:
        milestone_edit_decline(edit=edit, by=contract.freelancer, reason="The scope is the same.")
    else:
        milestone_edit_withdraw(edit=edit, by=contract.client)


@pytest.mark.parametrize(("source", "target"), table_pairs(MilestoneEdit, MILESTONE_EDIT_SERVICES))
def test_milestone_edit_transition_table(source, target):
    # given a proposed change in `source`
    edit = _edit_in(source)
    contract = edit.milestone.contract
    before, milestone_before = row(edit), row(edit.milestone)
    history_before, timeline_before = MilestoneEditEvent.objects.count(), ContractEvent.objects.count()
    if target not in MilestoneEdit.TRANSITIONS[source]:
        # when someone answers a change that was already answered, then it is refused and nothing changes
        with pytest.raises(InvalidTransition, match="already"):
            _act_on_edit(edit, target)
        assert row(edit) == before
        assert row(edit.milestone) == milestone_before
        assert (MilestoneEditEvent.objects.count(), ContractEvent.objects.count()) == (history_before, timeline_before)
        return
    _act_on_edit(edit, target)
    edit.refresh_from_db()
    assert edit.status == target and edit.responded_at is not None
    # one history row for the change, one entry on the contract's timeline
    (moved,) = MilestoneEditEvent.objects.filter(edit=edit, from_status=source)
    actor = contract.client if target == E.WITHDRAWN else contract.freelancer
    assert (moved.actor, moved.to_status) == (actor, target)
    assert ContractEvent.objects.count() == timeline_before + 1
    assert row(edit.milestone)["amount_cents"] == (450_00 if target == E.ACCEPTED else AMOUNT)


def test_funding_withdraws_a_waiting_change_through_its_table():
    # given a change waiting for an answer
    edit = _edit_in(E.PENDING)
    milestone = edit.milestone
    # when the client funds the milestone at its agreed amount
    milestone_fund(milestone=milestone, by=milestone.contract.client)
    # then the change is withdrawn by the system, with its history row, and the amount held is the agreed one
    edit.refresh_from_db()
    assert edit.status == E.WITHDRAWN
    (moved,) = MilestoneEditEvent.objects.filter(edit=edit, to_status=E.WITHDRAWN)
    assert (moved.actor, moved.from_status) == (None, E.PENDING)
    assert escrow_of(milestone) == AMOUNT


# --- The primitive itself, on every forbidden pair of the new tables ---------------------------


def _contract_in(source: str) -> Contract:
    contract = active_contract()
    if source == Contract.Status.ENDED:
        contract_end(contract=contract, by=contract.client)
    contract.refresh_from_db()
    return contract


def _forbidden(model, build) -> list:
    return [
        pytest.param(model, build, source, target, id=f"{model.__name__}:{source}->{target}")
        for source, moves in model.TRANSITIONS.items()
        for target in model.TRANSITIONS
        if target not in moves
    ]


EVENT_OF = {Contract: ContractEvent, RefundRequest: RefundRequestEvent, MilestoneEdit: MilestoneEditEvent}
FIELD_OF = {Contract: "contract", RefundRequest: "request", MilestoneEdit: "edit"}


@pytest.mark.parametrize(
    ("model", "build", "source", "target"),
    _forbidden(Contract, _contract_in)
    + _forbidden(RefundRequest, _refund_request_in)
    + _forbidden(MilestoneEdit, _edit_in),
)
def test_move_refuses_every_pair_the_table_forbids(model, build, source, target):
    # given a row in `source`
    instance = build(source)
    before, snapshot = row(instance), money_snapshot()
    events = EVENT_OF[model].objects.count()
    # when anything tries to move it where its table does not allow
    with pytest.raises(InvalidTransition):
        transitions.move(
            instance,
            to=target,
            by=None,
            event_model=EVENT_OF[model],
            event_field=FIELD_OF[model],
            event={"verb": ContractEvent.Verb.ENDED} if model is Contract else None,
        )
    # then the row, its history and the money are exactly as they were
    assert row(instance) == before
    assert EVENT_OF[model].objects.count() == events
    assert money_snapshot() == snapshot
