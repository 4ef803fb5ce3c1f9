"""Money under concurrency, on PostgreSQL: many requests for the same money move it once.

Each race starts its threads together with a barrier. Every thread first loads its own copies of
the rows it acts on (its own database connection), waits at the barrier, calls one service (or
one HTTP endpoint) and closes its connection. Afterwards the test counts what happened from the
database: ledger postings, gateway operations, balances and the money invariants.

Measured wall times and outcomes are printed (run with -s to see them).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections
from django.db.models import Sum
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from contracts.invariants import money_problems
from contracts.models import Contract, Milestone, Offer, RefundRequest
from contracts.services import (
    contract_end,
    milestone_approve,
    milestone_fund,
    milestone_refund_request,
    milestone_release_partial,
    milestone_request_changes,
    milestone_submit,
    milestones_auto_release_due,
    offer_accept,
    refund_request_accept,
)
from contracts.services import milestones as milestone_services
from core.exceptions import DomainError
from marketplace.services import proposal_hire
from payments import accounts, outbox
from payments.fees import fee_breakdown, freelancer_fee_cents
from payments.ledger import balance
from payments.models import AccountBalance, GatewayCall, GatewayOperation, LedgerEntry, LedgerTransaction, Payout
from payments.selectors import earnings_for_user, gateway_balance, platform_fees_balance
from payments.services import clearances_due, payout_request
from tests.conftest import seed_skill_taxonomy
from tests.contracts.factories import with_payout_account
from tests.marketplace.factories import milestones_for, new_client, new_freelancer, open_project, submit_proposal

# `make test` runs the races after the rest of the suite, in one process, one after another: a
# 50-thread race beside other tests (or another race) could need more connections than
# PostgreSQL's default max_connections of 100.
pytestmark = [pytest.mark.postgres, pytest.mark.races, pytest.mark.django_db(transaction=True)]

BARRIER_TIMEOUT = 60  # seconds for every thread to get ready
CONNECT_TIMEOUT = 30  # seconds a thread keeps retrying while PostgreSQL has no free connection slot
JOIN_TIMEOUT = 120  # a thread still running after this is stuck: a deadlock or a lost lock

Job = Callable[[], Callable[[], object]]  # prepares (loads its rows) and returns the act to race


# --- the race harness -------------------------------------------------------------------------


@dataclass
class Outcome:
    value: object = None
    error: BaseException | None = None

    @property
    def label(self) -> str:
        return "ok" if self.error is None else type(self.error).__name__


@dataclass
class Race:
    outcomes: list[Outcome]
    seconds: float
    labels: Counter = field(init=False)

    def __post_init__(self) -> None:
        self.labels = Counter(outcome.label for outcome in self.outcomes)

    @property
    def successes(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error is None]

    @property
    def errors(self) -> list[BaseException]:
        return [o.error for o in self.outcomes if o.error is not None]

    def unexpected(self, *allowed: type[BaseException]) -> list[str]:
        """Errors of any other type, with their messages, for an assertion that explains itself."""
        return [f"{type(e).__name__}: {e}" for e in self.errors if not isinstance(e, allowed)]

    def assert_one_won(self) -> None:
        """Exactly one call went through, and every other one was refused as a person would be told."""
        assert self.unexpected(DomainError) == []
        assert len(self.successes) == 1

    def report(self, name: str) -> None:
        summary = ", ".join(f"{label} × {n}" for label, n in sorted(self.labels.items()))
        print(f"\n[race] {name}: {len(self.outcomes)} threads in {self.seconds:.2f}s → {summary}")


def _wait_for_free_connections(needed: int, *, seconds: float = 30) -> None:
    """PostgreSQL ends a closed connection's backend a moment after the client lets go; the previous
    race's threads may still count against max_connections. Start only once there is room for this one."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity")
            (free,) = cursor.fetchone()
        if free > needed + 10:
            return
        time.sleep(0.2)


def _prepare(job: Job) -> Callable[[], object]:
    """Run a job's preparation, retrying while PostgreSQL refuses new connections for lack of slots.
    Nothing has raced yet, so trying again changes nothing the test measures."""
    deadline = time.monotonic() + CONNECT_TIMEOUT
    while True:
        try:
            return job()
        except OperationalError as error:
            if "too many clients" not in str(error) or time.monotonic() > deadline:
                raise
            connection.close()
            time.sleep(0.2)


@contextmanager
def _connections_kept_open():
    """The test settings close a connection at the start and end of every request (CONN_MAX_AGE=0).
    During a race each thread keeps the connection it prepared with until it is done, so fifty
    requests starting together do not also reconnect together; `race` closes them afterwards."""
    database = connections.settings[DEFAULT_DB_ALIAS]
    before = database["CONN_MAX_AGE"]
    database["CONN_MAX_AGE"] = None
    try:
        yield
    finally:
        database["CONN_MAX_AGE"] = before


def race(jobs: list[Job]) -> Race:
    """Run every job in its own thread; the acts start together and each thread closes its connection."""
    _wait_for_free_connections(len(jobs))
    barrier = threading.Barrier(len(jobs), timeout=BARRIER_TIMEOUT)
    outcomes: list[Outcome | None] = [None] * len(jobs)

    def run(index: int, job: Job) -> None:
        try:
            try:
                act = _prepare(job)
            except BaseException:
                barrier.abort()
                raise
            barrier.wait()
            outcomes[index] = Outcome(value=act())
        except BaseException as error:
            outcomes[index] = Outcome(error=error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job), daemon=True) for i, job in enumerate(jobs)]
    with _connections_kept_open():
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(JOIN_TIMEOUT)
        seconds = time.perf_counter() - started
    stuck = sum(thread.is_alive() for thread in threads)
    if stuck:
        pytest.fail(f"{stuck} thread(s) still running after {JOIN_TIMEOUT}s: a deadlock or a lock never released")
    return Race(outcomes=[o for o in outcomes if o is not None], seconds=seconds)


# --- data, made through the real services -----------------------------------------------------


@pytest.fixture(autouse=True)
def _skill_taxonomy(transactional_db):
    """Projects need the migration-seeded skills, which an earlier transactional test's flush removed
    (tests/conftest.py re-seeds them before that flush, not after)."""
    seed_skill_taxonomy()


@dataclass
class Deal:
    client: User
    freelancer: User
    contract: Contract
    milestones: list[Milestone]


def active_contract(
    *, milestone_count: int = 1, bid_cents: int = 1_000_00, client: User | None = None, freelancer: User | None = None
) -> Deal:
    """A client hires a proposal and the freelancer accepts the offer: an active contract (between
    two new people unless they are given)."""
    client, freelancer = client or new_client(), freelancer or new_freelancer()
    project = open_project(client=client, budget_min_cents=bid_cents, budget_max_cents=bid_cents)
    proposal = submit_proposal(
        project=project,
        freelancer=freelancer,
        bid_cents=bid_cents,
        milestones=milestones_for(bid_cents, milestone_count),
    )
    proposal_hire(proposal=proposal, by=client)
    contract = offer_accept(offer=Offer.objects.get(proposal=proposal), by=freelancer)
    return Deal(client, freelancer, contract, list(contract.milestones.order_by("position")))


def submitted_deal(
    *, milestone_count: int = 1, bid_cents: int = 1_000_00, client: User | None = None, freelancer: User | None = None
) -> Deal:
    """Every milestone funded by the client and delivered by the freelancer."""
    deal = active_contract(milestone_count=milestone_count, bid_cents=bid_cents, client=client, freelancer=freelancer)
    for milestone in deal.milestones:
        milestone_fund(milestone=milestone, by=deal.client)
        milestone_submit(milestone=milestone, by=deal.freelancer, message="Done: the booking pages and the tests.")
    deal.milestones = [Milestone.objects.get(pk=m.pk) for m in deal.milestones]
    return deal


def freelancer_with_available_money() -> tuple[User, int]:
    """A freelancer whose approved milestone has cleared: returns them and what they can withdraw."""
    deal = submitted_deal()
    milestone_approve(milestone=deal.milestones[0], by=deal.client)
    clearances_due(now=timezone.now() + timedelta(days=settings.CLEARANCE_DAYS, hours=1))
    available = earnings_for_user(deal.freelancer)["available"]
    assert available > 0
    return with_payout_account(deal.freelancer), available


def loaded(milestone: Milestone) -> Milestone:
    """A thread's own copy, with its contract, so the race starts at the lock and not at a lazy load."""
    return Milestone.objects.select_related("contract").get(pk=milestone.pk)


def user(pk: int) -> User:
    return User.objects.get(pk=pk)


def releases_of(milestone: Milestone) -> int:
    return LedgerTransaction.objects.filter(
        kind=LedgerTransaction.Kind.RELEASE, reference=milestone.ledger_reference
    ).count()


def refunds_of(milestone: Milestone) -> int:
    return LedgerTransaction.objects.filter(
        kind=LedgerTransaction.Kind.REFUND, reference=milestone.ledger_reference
    ).count()


def net_of(amount_cents: int) -> int:
    fees = fee_breakdown(amount_cents=amount_cents, billed_before_cents=0)
    assert fees.freelancer_net_cents + fees.freelancer_fee_cents == amount_cents
    return fees.freelancer_net_cents


def no_negative_balances() -> list[str]:
    return [
        f"{row.account}: {row.balance_cents}"
        for row in AccountBalance.objects.filter(balance_cents__lt=0).exclude(account__startswith="external:")
    ]


def same_call_at_once(service, target: Milestone, *, by: User, times: int) -> None:
    """`by` makes the same call on `target` `times` times at once: one goes through, every other one is
    told the milestone already moved, and `target` is reloaded to show the outcome."""

    def call() -> Callable[[], object]:
        milestone, person = loaded(target), user(by.pk)
        return lambda: service(milestone=milestone, by=person)

    result = race([call] * times)
    result.report(f"{times} × {service.__name__}")
    result.assert_one_won()
    assert result.labels["InvalidTransition"] == times - 1
    target.refresh_from_db()


# --- 1. fifty approvals of one milestone ----------------------------------------------------------


def test_fifty_concurrent_approvals_release_once():
    # given a submitted $1,000 milestone
    deal = submitted_deal()
    target = deal.milestones[0]

    # when the client's approval arrives 50 times at once
    # then one approval releases the money and the other 49 are told it already happened
    same_call_at_once(milestone_approve, target, by=deal.client, times=50)
    assert target.status == Milestone.Status.RELEASED
    assert target.released_cents == target.amount_cents
    assert releases_of(target) == 1
    assert balance(accounts.escrow(target.ledger_reference)) == 0
    assert earnings_for_user(deal.freelancer)["pending"] == net_of(target.amount_cents)
    assert target.events.filter(verb="approved").count() == 1
    assert money_problems() == []


# --- 2. fifty approvals through HTTP -------------------------------------------------------------


HTTP_APPROVALS = {
    # how the 50 requests are sent: (url name, headers per request, status codes a person may get)
    "api": ("milestone-approve", lambda n: {}, {200, 409}),
    "api, one Idempotency-Key": ("milestone-approve", lambda n: {"Idempotency-Key": "approve-once"}, {200, 409}),
    "api, a key each": ("milestone-approve", lambda n: {"Idempotency-Key": f"approve-{n}"}, {200, 409}),
    "html form": ("milestone_approve", lambda n: {}, {302}),
}


@pytest.mark.parametrize("how", list(HTTP_APPROVALS))
def test_fifty_concurrent_http_approvals_release_once_and_never_5xx(how):
    # given a submitted milestone and its client signed in from 50 browsers
    deal = submitted_deal()
    target = deal.milestones[0]
    url_name, headers_for, allowed = HTTP_APPROVALS[how]
    url = reverse(url_name, args=[target.pk])

    def post(number: int) -> Job:
        def prepare() -> Callable[[], object]:
            browser = Client(raise_request_exception=False)  # a server error is an answer to count, not a crash
            browser.force_login(user(deal.client.pk))
            return lambda: browser.post(url, headers={"Accept": "application/json", **headers_for(number)})

        return prepare

    # when all 50 press "Approve" at once
    result = race([post(n) for n in range(50)])
    result.report(f"50 × POST {url} ({how})")

    # then every answer is a success or a clear refusal, never a server error, and the money moves once
    assert result.errors == []
    statuses = Counter(outcome.value.status_code for outcome in result.outcomes)
    print(f"[race] status codes: {dict(sorted(statuses.items()))}")
    assert not [code for code in statuses if code >= 500], statuses
    assert set(statuses) <= allowed, statuses
    if how.startswith("api"):
        approved = [o.value for o in result.outcomes if o.value.status_code == 200]
        assert approved, statuses
        assert {r.json()["status"] for r in approved} == {Milestone.Status.RELEASED}
        if how == "api":  # no key: the 49 late requests run and are refused by the transition table
            assert statuses == {200: 1, 409: 49}, statuses
    target.refresh_from_db()
    assert target.status == Milestone.Status.RELEASED
    assert releases_of(target) == 1
    assert target.events.filter(verb="approved").count() == 1
    assert earnings_for_user(deal.freelancer)["pending"] == net_of(target.amount_cents)
    assert money_problems() == []


# --- 3. a release racing a refund -----------------------------------------------------------------


@pytest.mark.parametrize("listed_first", ["approval", "refund"])
def test_release_racing_an_agreed_refund_settles_the_milestone_once(listed_first):
    # A real race: either side may win (both have been seen); the two orders of starting the
    # threads give each side a fair chance in every run of the suite.
    # given submitted work and a pending request from the client for all of the money back
    deal = submitted_deal()
    target = deal.milestones[0]
    request = milestone_refund_request(milestone=target, by=deal.client, reason="We changed our plans.")

    def approve() -> Callable[[], object]:
        milestone, client = loaded(target), user(deal.client.pk)
        return lambda: milestone_approve(milestone=milestone, by=client)

    def agree_to_refund() -> Callable[[], object]:
        refund = RefundRequest.objects.select_related("milestone__contract").get(pk=request.pk)
        freelancer = user(deal.freelancer.pk)
        return lambda: refund_request_accept(request=refund, by=freelancer)

    # when 25 approvals from the client and 25 agreements from the freelancer arrive at once
    pair: list[Job] = [approve, agree_to_refund] if listed_first == "approval" else [agree_to_refund, approve]
    result = race(pair * 25)
    result.report(f"25 × milestone_approve vs 25 × refund_request_accept ({listed_first} started first)")
    approvals = [o for i, o in enumerate(result.outcomes) if pair[i % 2] is approve]
    agreements = [o for i, o in enumerate(result.outcomes) if pair[i % 2] is agree_to_refund]
    print(
        f"[race] approvals ok: {sum(o.error is None for o in approvals)}, "
        f"refund agreements ok: {sum(o.error is None for o in agreements)}"
    )

    # then exactly one of the two outcomes happened, once, and the escrow is empty
    result.assert_one_won()
    target.refresh_from_db()
    assert target.status in (Milestone.Status.RELEASED, Milestone.Status.REFUNDED)
    released, refunded = releases_of(target), refunds_of(target)
    assert (released, refunded) in ((1, 0), (0, 1))
    if target.status == Milestone.Status.RELEASED:
        assert (released, target.released_cents, target.refunded_cents) == (1, target.amount_cents, 0)
        assert earnings_for_user(deal.freelancer)["pending"] == net_of(target.amount_cents)
        assert not GatewayOperation.objects.filter(kind=GatewayOperation.Kind.REFUND).exists()
    else:
        assert (refunded, target.released_cents, target.refunded_cents) == (1, 0, target.amount_cents)
        assert earnings_for_user(deal.freelancer)["pending"] == 0
        assert GatewayOperation.objects.filter(kind=GatewayOperation.Kind.REFUND).count() == 1
    assert balance(accounts.escrow(target.ledger_reference)) == 0
    assert no_negative_balances() == []
    assert money_problems() == []


def test_the_losing_refund_request_is_closed_when_the_approval_wins():
    # given submitted work with a pending refund request
    deal = submitted_deal()
    target = deal.milestones[0]
    request = milestone_refund_request(milestone=target, by=deal.client, reason="We changed our plans.")

    # when the approval gets there first
    milestone_approve(milestone=target, by=deal.client)

    # then no refund request is left waiting for an answer on the settled milestone
    request.refresh_from_db()
    assert request.status != RefundRequest.Status.PENDING


def test_partial_releases_racing_approvals_never_release_more_than_was_funded():
    # given a submitted $1,000 milestone
    deal = submitted_deal()
    target = deal.milestones[0]
    part = 300_00

    def release_part() -> Callable[[], object]:
        milestone, client = loaded(target), user(deal.client.pk)
        return lambda: milestone_release_partial(milestone=milestone, by=client, amount_cents=part)

    def approve() -> Callable[[], object]:
        milestone, client = loaded(target), user(deal.client.pk)
        return lambda: milestone_approve(milestone=milestone, by=client)

    # when 20 early releases of $300 and 5 approvals arrive at once
    jobs: list[Job] = [release_part] * 20 + [approve] * 5
    result = race(jobs)
    result.report("20 × milestone_release_partial($300) vs 5 × milestone_approve")

    # then the releases add up to the amount at most, each posted once, and the rest is still held
    assert result.unexpected(DomainError, ValidationError) == []
    parts_ok = sum(o.error is None for o, job in zip(result.outcomes, jobs, strict=True) if job is release_part)
    approvals_ok = sum(o.error is None for o, job in zip(result.outcomes, jobs, strict=True) if job is approve)
    print(f"[race] partial releases ok: {parts_ok}, approvals ok: {approvals_ok}")
    assert parts_ok <= 3 and approvals_ok <= 1
    target.refresh_from_db()
    partials = LedgerTransaction.objects.filter(
        kind=LedgerTransaction.Kind.PARTIAL_RELEASE, reference=target.ledger_reference
    ).count()
    assert (partials, releases_of(target)) == (parts_ok, approvals_ok)
    if approvals_ok:
        assert (target.status, target.released_cents) == (Milestone.Status.RELEASED, target.amount_cents)
    else:
        assert (target.status, target.released_cents) == (Milestone.Status.SUBMITTED, parts_ok * part)
    assert balance(accounts.escrow(target.ledger_reference)) == target.amount_cents - target.released_cents
    assert no_negative_balances() == []
    assert money_problems() == []


def test_funding_racing_the_end_of_the_contract_never_ends_it_with_money_held():
    # given a contract whose first milestone is paid and whose second waits for funding
    deal = active_contract(milestone_count=2)
    first, second = deal.milestones
    milestone_fund(milestone=first, by=deal.client)
    milestone_submit(milestone=first, by=deal.freelancer, message="The booking pages.")
    milestone_approve(milestone=first, by=deal.client)

    def fund() -> Callable[[], object]:
        milestone, client = loaded(second), user(deal.client.pk)
        return lambda: milestone_fund(milestone=milestone, by=client)

    def end(party_pk: int) -> Job:
        def prepare() -> Callable[[], object]:
            contract, party = Contract.objects.get(pk=deal.contract.pk), user(party_pk)
            return lambda: contract_end(contract=contract, by=party)

        return prepare

    # when the client funds the second milestone 10 times while both sides end the contract 10 times
    jobs: list[Job] = [fund] * 10 + [end(deal.client.pk)] * 5 + [end(deal.freelancer.pk)] * 5
    result = race(jobs)
    result.report("10 × milestone_fund vs 10 × contract_end")

    # then either the milestone is funded and the contract goes on, or the contract ended and nothing was charged
    result.assert_one_won()
    second.refresh_from_db()
    contract = Contract.objects.get(pk=deal.contract.pk)
    charges = LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.FUND, reference=second.ledger_reference)
    if contract.is_active:
        assert second.status == Milestone.Status.FUNDED
        assert charges.count() == 1
        assert balance(accounts.escrow(second.ledger_reference)) == second.amount_cents
    else:
        assert contract.end_reason == Contract.EndReason.CANCELLED  # ended early: the second was never done
        assert second.status == Milestone.Status.CANCELLED
        assert charges.count() == 0
        assert balance(accounts.escrow(second.ledger_reference)) == 0
    assert money_problems() == []


# --- 4. twenty fundings of one milestone ----------------------------------------------------------


def test_twenty_concurrent_fundings_charge_once():
    # given a milestone waiting for funding
    deal = active_contract()
    target = deal.milestones[0]

    # when the client's "Fund" arrives 20 times at once
    same_call_at_once(milestone_fund, target, by=deal.client, times=20)

    # then the card is charged once and escrow holds the amount once
    assert target.status == Milestone.Status.FUNDED
    assert (
        LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.FUND, reference=target.ledger_reference).count()
        == 1
    )
    assert GatewayOperation.objects.filter(kind=GatewayOperation.Kind.CHARGE).count() == 1
    assert balance(accounts.escrow(target.ledger_reference)) == target.amount_cents
    assert money_problems() == []


# --- 5. withdrawals -------------------------------------------------------------------------------


def test_twenty_concurrent_withdrawals_of_everything_pay_once():
    # given a freelancer with cleared money
    freelancer, available = freelancer_with_available_money()

    def withdraw(number: int) -> Job:
        def prepare() -> Callable[[], object]:
            me = user(freelancer.pk)
            return lambda: payout_request(freelancer=me, amount_cents=available, key=f"withdraw-all-{number}")

        return prepare

    # when 20 withdrawals of everything, each with its own key, arrive at once
    result = race([withdraw(n) for n in range(20)])
    result.report("20 × payout_request (different keys, full amount)")

    # then one is paid, the others are refused, and the available balance never goes below zero
    result.assert_one_won()
    assert Payout.objects.filter(freelancer=freelancer).count() == 1
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.PAYOUT).count() == 1
    assert GatewayOperation.objects.filter(kind=GatewayOperation.Kind.PAYOUT).count() == 1
    assert earnings_for_user(freelancer)["available"] == 0
    assert AccountBalance.objects.get(account=accounts.available(freelancer.pk)).balance_cents == 0
    assert no_negative_balances() == []
    assert money_problems() == []


def same_key_withdrawals(freelancer: User, amount_cents: int) -> Race:
    def withdraw() -> Callable[[], object]:
        me = user(freelancer.pk)
        return lambda: payout_request(freelancer=me, amount_cents=amount_cents, key="withdraw-double-click")

    result = race([withdraw] * 20)
    result.report("20 × payout_request (same key)")
    return result


def test_twenty_concurrent_withdrawals_with_one_key_pay_once():
    # given a freelancer with cleared money
    freelancer, available = freelancer_with_available_money()

    # when the same withdrawal (one key) arrives 20 times at once
    same_key_withdrawals(freelancer, available)

    # then one payout row and one ledger posting exist, and the money left once
    assert Payout.objects.filter(freelancer=freelancer).count() == 1
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.PAYOUT).count() == 1
    assert GatewayOperation.objects.filter(kind=GatewayOperation.Kind.PAYOUT).count() == 1
    assert earnings_for_user(freelancer)["available"] == 0
    assert no_negative_balances() == []
    assert money_problems() == []


def test_concurrent_withdrawals_with_one_key_all_answer_the_same_payout():
    # given a freelancer with cleared money
    freelancer, available = freelancer_with_available_money()

    # when the same withdrawal (one key) arrives 20 times at once
    result = same_key_withdrawals(freelancer, available)

    # then each caller gets the one payout back (a replay), and nobody sees a database error
    assert result.unexpected(DomainError) == []
    payout = Payout.objects.get(freelancer=freelancer)
    assert {outcome.value.pk for outcome in result.successes} == {payout.pk}


def test_twenty_workers_running_one_transfer_at_once_transfer_once(monkeypatch):
    # given a withdrawal whose transfer task was lost (the sweeper and redeliveries will find it)
    freelancer, available = freelancer_with_available_money()
    monkeypatch.setattr(outbox, "_enqueue_after_commit", lambda call: None)
    payout = payout_request(freelancer=freelancer, amount_cents=available, key="withdraw-lost-task")
    (call,) = GatewayCall.objects.filter(payout=payout, status=GatewayCall.Status.PENDING)

    # when 20 workers run that one call at once
    def run() -> Callable[[], object]:
        return lambda: outbox.call_run(call.pk)

    result = race([run] * 20)
    result.report("20 × outbox.call_run (one transfer)")

    # then none failed, the processor made one transfer, and the withdrawal reads as sent once
    assert result.errors == []
    assert GatewayOperation.objects.filter(kind=GatewayOperation.Kind.PAYOUT).count() == 1
    assert GatewayCall.objects.get(pk=call.pk).status == GatewayCall.Status.DONE
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert payout.events.filter(to_status=Payout.Status.PAID).count() == 1
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.PAYOUT).count() == 1
    assert money_problems() == []


@pytest.mark.parametrize("keys", ["one Idempotency-Key", "a key each"])
def test_twenty_concurrent_api_withdrawals_pay_once_and_never_5xx(keys):
    # given a freelancer with cleared money, using the API from 20 clients
    freelancer, available = freelancer_with_available_money()

    def post(number: int) -> Job:
        def prepare() -> Callable[[], object]:
            api = Client(raise_request_exception=False)
            api.force_login(user(freelancer.pk))
            key = "withdraw-all" if keys == "one Idempotency-Key" else f"withdraw-all-{number}"
            return lambda: api.post(
                reverse("payout-list"),
                data={"amount_cents": available},
                content_type="application/json",
                headers={"Accept": "application/json", "Idempotency-Key": key},
            )

        return prepare

    # when 20 requests to withdraw everything arrive at once
    result = race([post(n) for n in range(20)])
    result.report(f"20 × POST /api/v1/payouts/ ({keys}, full amount)")
    statuses = Counter(outcome.value.status_code for outcome in result.outcomes)
    print(f"[race] status codes: {dict(sorted(statuses.items()))}")

    # then one withdrawal is paid, the others are refused or told it is running, none a server error
    assert result.errors == []
    assert not [code for code in statuses if code >= 500], statuses
    assert statuses[201] == 1, statuses
    assert set(statuses) <= {201, 400, 409}, statuses
    assert Payout.objects.filter(freelancer=freelancer).count() == 1
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.PAYOUT).count() == 1
    assert earnings_for_user(freelancer)["available"] == 0
    assert no_negative_balances() == []
    assert money_problems() == []


def test_a_double_submitted_withdrawal_form_never_answers_500():
    # given a freelancer with cleared money, on the earnings page, from one rendered form
    freelancer, available = freelancer_with_available_money()
    form = {"amount": f"{available // 100}.{available % 100:02d}", "key": "4f1c0a3e9b7d4e2a8c6b5d3f1e0a9b8c"}

    def submit() -> Callable[[], object]:
        browser = Client(raise_request_exception=False)
        browser.force_login(user(freelancer.pk))
        return lambda: browser.post(reverse("earnings"), data=form)

    # when the form is submitted 10 times at once (an impatient double, triple… click)
    result = race([submit] * 10)
    result.report("10 × POST /earnings/ (one form, one key)")
    statuses = Counter(outcome.value.status_code for outcome in result.outcomes)
    print(f"[race] status codes: {dict(sorted(statuses.items()))}")

    # then the money leaves once and every click gets a page, none a server error
    assert result.errors == []
    assert Payout.objects.filter(freelancer=freelancer).count() == 1
    assert earnings_for_user(freelancer)["available"] == 0
    assert not [code for code in statuses if code >= 500], statuses


# --- 6. overlapping auto-release runs -------------------------------------------------------------


def test_overlapping_auto_release_runs_release_each_milestone_once():
    # given five submitted milestones whose review window has ended
    deal = submitted_deal(milestone_count=5)
    after_deadline = max(m.auto_release_at for m in deal.milestones) + timedelta(minutes=1)

    def run_beat() -> Callable[[], object]:
        return lambda: milestones_auto_release_due(now=after_deadline)

    # when four beat runs overlap
    result = race([run_beat] * 4)
    result.report("4 × milestones_auto_release_due over 5 due milestones")
    print(f"[race] released per run: {[o.value for o in result.outcomes]}")

    # then every run finishes, together they released five, and each milestone was released once
    assert result.errors == []
    assert sum(outcome.value for outcome in result.outcomes) == 5
    for milestone in deal.milestones:
        milestone.refresh_from_db()
        assert milestone.status == Milestone.Status.RELEASED
        assert releases_of(milestone) == 1
        assert milestone.events.filter(verb="auto-approved").count() == 1
    total = sum(m.amount_cents for m in deal.milestones)
    assert earnings_for_user(deal.freelancer)["pending"] == sum(net_of(m.amount_cents) for m in deal.milestones)
    assert balance(accounts.PLATFORM_FEES) == total - earnings_for_user(deal.freelancer)["pending"]
    assert money_problems() == []


def test_a_change_request_made_while_the_beat_runs_is_not_overridden(monkeypatch):
    # given submitted work past its review window, picked by an auto-release run
    deal = submitted_deal()
    target = deal.milestones[0]
    after_deadline = target.auto_release_at + timedelta(minutes=1)
    real_approve = milestone_services.milestone_approve

    def client_acts_first(*, milestone, by, automatic=False, **kwargs):
        # the interleaving of a real race, made deterministic: the client's change request commits
        # after the run selected the milestone and before the run locks it
        milestone_request_changes(milestone=Milestone.objects.get(pk=milestone.pk), by=deal.client, reason="Fix X.")
        return real_approve(milestone=milestone, by=by, automatic=automatic, **kwargs)

    monkeypatch.setattr(milestone_services, "milestone_approve", client_acts_first)

    # when the run goes on to approve it
    released = milestones_auto_release_due(now=after_deadline)

    # then the client's change request stands and the money stays held
    target.refresh_from_db()
    assert (released, target.status) == (0, Milestone.Status.CHANGES_REQUESTED)
    assert releases_of(target) == 0
    assert balance(accounts.escrow(target.ledger_reference)) == target.amount_cents
    assert money_problems() == []


# --- 7. one client and freelancer: two contracts approved at once ----------------------------------


def test_approvals_of_one_pair_at_once_pay_the_fee_tiers_as_one_after_the_other():
    # given five client–freelancer pairs, each with two delivered contracts of 60% of the first fee
    # tier: each pair's two approvals together cross the tier boundary
    amount = settings.FREELANCER_FEE_TIERS[0][0] * 6 // 10
    pairs = []
    for _ in range(5):
        first = submitted_deal(bid_cents=amount)
        pairs.append((first, submitted_deal(bid_cents=amount, client=first.client, freelancer=first.freelancer)))

    def approve(deal: Deal) -> Job:
        def prepare() -> Callable[[], object]:
            milestone, client = loaded(deal.milestones[0]), user(deal.client.pk)
            return lambda: milestone_approve(milestone=milestone, by=client)

        return prepare

    # when both approvals of every pair arrive at once
    result = race([approve(deal) for pair in pairs for deal in pair])
    result.report("5 pairs × 2 contracts: milestone_approve across the fee tier boundary")

    # then every approval is paid, and each pair pays the fees that one approval after the other charges
    assert result.errors == []
    sequential = freelancer_fee_cents(amount_cents=amount, billed_before_cents=0) + freelancer_fee_cents(
        amount_cents=amount, billed_before_cents=amount
    )
    assert sequential < 2 * freelancer_fee_cents(amount_cents=amount, billed_before_cents=0)  # the boundary counts
    for pair in pairs:
        references = [deal.milestones[0].ledger_reference for deal in pair]
        fees = LedgerEntry.objects.filter(account=accounts.PLATFORM_FEES, transaction__reference__in=references)
        assert fees.aggregate(total=Sum("amount_cents"))["total"] == sequential
        assert earnings_for_user(pair[0].freelancer)["pending"] == 2 * amount - sequential
    assert platform_fees_balance() == 5 * sequential
    assert money_problems() == []


# --- 8. many money moves at once, none queued behind the gateway's or the fees' row ------------------


def test_many_fundings_and_approvals_at_once_lose_nothing_at_the_gateway_or_in_fees():
    # given a 2.5% client fee, ten contracts waiting for funding and ten with work delivered
    with override_settings(CLIENT_FEE_BPS=250):
        to_fund = [active_contract() for _ in range(10)]
        to_approve = [submitted_deal() for _ in range(10)]
        gateway_before, fees_before = gateway_balance(), platform_fees_balance()
        charged = [fee_breakdown(amount_cents=d.milestones[0].amount_cents, billed_before_cents=0) for d in to_fund]
        released = [fee_breakdown(amount_cents=d.milestones[0].amount_cents, billed_before_cents=0) for d in to_approve]

        def fund(deal: Deal) -> Job:
            def prepare() -> Callable[[], object]:
                milestone, client = loaded(deal.milestones[0]), user(deal.client.pk)
                return lambda: milestone_fund(milestone=milestone, by=client)

            return prepare

        def approve(deal: Deal) -> Job:
            def prepare() -> Callable[[], object]:
                milestone, client = loaded(deal.milestones[0]), user(deal.client.pk)
                return lambda: milestone_approve(milestone=milestone, by=client)

            return prepare

        # when all twenty fund or approve at once
        result = race([fund(deal) for deal in to_fund] + [approve(deal) for deal in to_approve])
        result.report("10 × milestone_fund + 10 × milestone_approve, different contracts")

    # then every move happened once, and the gateway and the fees hold the sum of all of them
    assert result.errors == []
    assert all(fees.client_fee_cents for fees in charged)
    assert gateway_balance() == gateway_before - sum(fees.client_total_cents for fees in charged)
    assert platform_fees_balance() == fees_before + sum(fees.client_fee_cents for fees in charged) + sum(
        fees.freelancer_fee_cents for fees in released
    )
    assert (
        gateway_balance()
        == LedgerEntry.objects.filter(account=accounts.GATEWAY).aggregate(total=Sum("amount_cents"))["total"]
    )
    assert not AccountBalance.objects.filter(account__in=[accounts.GATEWAY, accounts.PLATFORM_FEES]).exists()
    for deal in to_fund:
        assert balance(accounts.escrow(deal.milestones[0].ledger_reference)) == deal.milestones[0].amount_cents
    for deal in to_approve:
        assert earnings_for_user(deal.freelancer)["pending"] == net_of(deal.milestones[0].amount_cents)
    assert no_negative_balances() == []
    assert money_problems() == []


# --- 7. disputes -----------------------------------------------------------------------------------


def test_a_dispute_decided_settled_and_defaulted_at_once_moves_the_money_once():
    # given a disputed $1,000 milestone, escalated to staff, with a settlement proposal on the table
    from django.contrib.auth.models import Permission

    from contracts.models import Dispute
    from contracts.services import (
        dispute_decide,
        dispute_open,
        dispute_proposal_accept,
        dispute_propose,
        dispute_respond,
        disputes_due,
    )
    from tests.factories import UserFactory

    deal = submitted_deal()
    milestone = deal.milestones[0]
    dispute = dispute_open(
        milestone=milestone, by=deal.freelancer, reason="not_approved", description="No answer.", asked_cents=1_000_00
    )
    dispute = dispute_respond(dispute=dispute, by=deal.client, response="Half works.", asked_cents=600_00)
    proposal = dispute_propose(dispute=dispute, by=deal.client, freelancer_cents=500_00)
    disputes_due(now=timezone.now() + timedelta(days=settings.DISPUTE_SETTLEMENT_DAYS, minutes=1))
    moderators = [UserFactory(is_staff=True) for _ in range(2)]
    for moderator in moderators:
        moderator.user_permissions.add(Permission.objects.get(codename="moderate"))

    def decide(moderator_pk: int, cents: int) -> Job:
        def prepare() -> Callable[[], object]:
            mine, me = Dispute.objects.get(pk=dispute.pk), user(moderator_pk)
            return lambda: dispute_decide(dispute=mine, by=me, freelancer_cents=cents, rationale="Decided.")

        return prepare

    def accept() -> Callable[[], object]:
        from contracts.models import DisputeProposal

        mine, me = DisputeProposal.objects.get(pk=proposal.pk), user(deal.freelancer.pk)
        return lambda: dispute_proposal_accept(proposal=mine, by=me)

    # when two moderators decide (five times each), the freelancer accepts (ten times) all at once
    jobs = [decide(moderators[0].pk, 700_00)] * 5 + [decide(moderators[1].pk, 300_00)] * 5 + [accept] * 10
    result = race(jobs)
    result.report("10 × dispute_decide vs 10 × dispute_proposal_accept")

    # then one outcome won, the others were refused, and the money moved once by it
    result.assert_one_won()
    dispute.refresh_from_db()
    milestone.refresh_from_db()
    assert dispute.status in (Dispute.Status.DECIDED, Dispute.Status.SETTLED)
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.SPLIT).count() == 1
    assert (milestone.released_cents, milestone.refunded_cents) == (
        dispute.outcome_freelancer_cents,
        1_000_00 - dispute.outcome_freelancer_cents,
    )
    assert balance(accounts.escrow(milestone.ledger_reference)) == 0
    assert no_negative_balances() == []
    assert money_problems() == []


def test_a_dispute_opened_while_the_work_approves_itself_ends_one_way_only():
    # given delivered work whose review time is over: the auto-release task and the client's dispute race
    from contracts.models import Dispute
    from contracts.services import dispute_open

    deal = submitted_deal()
    milestone = deal.milestones[0]
    after_deadline = timezone.now() + timedelta(days=settings.AUTO_RELEASE_DAYS, hours=1)

    def release() -> Callable[[], object]:
        return lambda: milestones_auto_release_due(now=after_deadline)

    def dispute() -> Callable[[], object]:
        mine, me = loaded(milestone), user(deal.client.pk)
        return lambda: dispute_open(
            milestone=mine, by=me, reason="quality", description="It does not work.", asked_cents=1_000_00
        )

    result = race([release] * 5 + [dispute] * 5)
    result.report("5 × milestones_auto_release_due vs 5 × dispute_open")

    # then either the money was released once and no dispute exists, or it is frozen in one dispute
    assert result.unexpected(DomainError) == []
    milestone.refresh_from_db()
    releases = LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.RELEASE).count()
    if milestone.status == Milestone.Status.RELEASED:
        assert (releases, Dispute.objects.count()) == (1, 0)
    else:
        assert milestone.status == Milestone.Status.DISPUTED
        assert (releases, Dispute.objects.count()) == (0, 1)
        assert balance(accounts.escrow(milestone.ledger_reference)) == 1_000_00
    assert money_problems() == []
