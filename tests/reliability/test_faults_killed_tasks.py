"""A worker killed in the middle of a money task: the redelivered task moves the money once.

Celery runs with acks_late and reject_on_worker_lost, so a task whose worker dies is delivered
again and runs from the start. Each test stops a task at a chosen point (raising as a SIGKILL
would end it: nothing after that point runs, and the open transaction is rolled back), then runs
the task again as the redelivery would, and counts the money from the ledger.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from contracts import tasks as contract_tasks
from contracts.invariants import money_problems
from contracts.models import Milestone
from contracts.services import milestones as milestone_services
from notifications.models import Notification
from notifications.tasks import send_notification_email
from payments import services as payment_services
from payments.fees import freelancer_fee_cents
from payments.gateways import get_gateway
from payments.models import GatewayCall, GatewayOperation, LedgerTransaction, Payout
from payments.outbox import calls_sweep
from payments.tasks import run_gateway_call
from tests.contracts.factories import (
    active_contract,
    available_of,
    later,
    pending_of,
    submitted_milestone,
    with_payout_account,
)
from tests.marketplace.factories import new_client, new_freelancer

pytestmark = [pytest.mark.faults, pytest.mark.django_db]


class WorkerKilled(BaseException):
    """What a SIGKILL does to a task: it stops here, and no `except Exception` gets to run."""


def crash_on_call(monkeypatch, module, name: str, *, call: int, after: bool = True) -> Counter:
    """Replace `module.name` so that its `call`-th call stops the task, just after it returned
    (`after`) or just before it ran. Returns the call counter."""
    real = getattr(module, name)
    calls: Counter = Counter()

    def wrapped(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == call and not after:
            raise WorkerKilled(f"killed before {name} #{call}")
        result = real(*args, **kwargs)
        if calls["n"] == call:
            raise WorkerKilled(f"killed after {name} #{call}")
        return result

    monkeypatch.setattr(module, name, wrapped)
    return calls


def postings_by_key(kind: str) -> Counter:
    return Counter(LedgerTransaction.objects.filter(kind=kind).values_list("idempotency_key", flat=True))


def test_auto_release_killed_after_the_ledger_posting_releases_each_milestone_once(monkeypatch):
    # given three submitted milestones, from one client to one freelancer, past their review window
    client, freelancer = new_client(), new_freelancer()
    milestones = [submitted_milestone(client=client, freelancer=freelancer, amounts=(200_00,)) for _ in range(3)]
    fees = sum(freelancer_fee_cents(amount_cents=200_00, billed_before_cents=200_00 * n) for n in range(3))
    # when the worker dies on the second one, right after its release was posted to the ledger
    crash_on_call(monkeypatch, milestone_services, "escrow_release", call=2)
    with pytest.raises(WorkerKilled):
        milestone_services.milestones_auto_release_due(now=later(15))
    # then the first is released and the second is not: its transaction died with the worker
    statuses = [Milestone.objects.get(pk=m.pk).status for m in milestones]
    assert statuses == [Milestone.Status.RELEASED, Milestone.Status.SUBMITTED, Milestone.Status.SUBMITTED]
    assert money_problems() == []
    # when the task is delivered again (to a healthy worker)
    monkeypatch.undo()
    milestone_services.milestones_auto_release_due(now=later(15))
    # then every milestone was released exactly once, and the freelancer was paid once for each
    assert all(Milestone.objects.get(pk=m.pk).status == Milestone.Status.RELEASED for m in milestones)
    assert postings_by_key("release") == {f"release:{m.pk}": 1 for m in milestones}
    assert pending_of(freelancer) == 3 * 200_00 - fees
    # and a third delivery changes nothing
    assert milestone_services.milestones_auto_release_due(now=later(15)) == 0
    assert pending_of(freelancer) == 3 * 200_00 - fees
    assert money_problems() == []


def test_auto_release_task_redelivered_after_a_crash_before_commit_moves_nothing_twice(monkeypatch):
    # given one submitted milestone past its review window
    milestone = submitted_milestone(amounts=(300_00,))
    freelancer = milestone.contract.freelancer
    Milestone.objects.filter(pk=milestone.pk).update(auto_release_at=timezone.now() - timedelta(minutes=1))
    # when the worker running the beat's task dies after the posting, just before the commit
    crash_on_call(monkeypatch, milestone_services, "cancel_pending_refund_requests", call=1)
    with pytest.raises(WorkerKilled):
        contract_tasks.auto_release_milestones()
    # then nothing was released and no notification survived
    assert pending_of(freelancer) == 0
    assert not Notification.objects.filter(kind="milestone.released").exists()
    # when the task is delivered again
    monkeypatch.undo()
    assert contract_tasks.auto_release_milestones() == 1
    # then the money moved once, and the freelancer heard of it once
    assert postings_by_key("release") == {f"release:{milestone.pk}": 1}
    assert pending_of(freelancer) == 300_00 - freelancer_fee_cents(amount_cents=300_00, billed_before_cents=0)
    assert Notification.objects.filter(recipient=freelancer, kind="milestone.released").count() == 1
    assert money_problems() == []


def test_clearance_killed_between_two_releases_clears_each_release_once(monkeypatch):
    # given three releases to one freelancer, all past their clearance period
    client, freelancer = new_client(), new_freelancer()
    for _ in range(3):
        milestone = submitted_milestone(client=client, freelancer=freelancer, amounts=(100_00,))
        milestone_services.milestone_approve(milestone=milestone, by=client)
    released = pending_of(freelancer)
    # when the worker running the clearance sweep dies right after the second clearance was posted
    crash_on_call(monkeypatch, payment_services, "ledger_post", call=2)
    with pytest.raises(WorkerKilled):
        payment_services.clearances_due(now=later(30))
    # then two releases cleared and one is still pending
    assert len(postings_by_key("clear")) == 2
    assert money_problems() == []
    # when the task is delivered again
    monkeypatch.undo()
    assert payment_services.clearances_due(now=later(30)) == 1
    # then each release cleared once, and the freelancer can withdraw exactly what was released
    releases = LedgerTransaction.objects.filter(kind="release").values_list("pk", flat=True)
    assert postings_by_key("clear") == {f"clear:{pk}": 1 for pk in releases}
    assert available_of(freelancer) == released
    assert pending_of(freelancer) == 0
    assert payment_services.clearances_due(now=later(30)) == 0
    assert money_problems() == []


def freelancer_with_cleared_money():
    """The freelancer of a $500 milestone funded, delivered, approved and cleared, with a payout account."""
    contract = active_contract(amounts=(500_00,))
    milestone = contract.milestones.get()
    milestone_services.milestone_fund(milestone=milestone, by=contract.client)
    milestone_services.milestone_submit(milestone=milestone, by=contract.freelancer, message="Done.")
    milestone_services.milestone_approve(milestone=milestone, by=contract.client)
    payment_services.clearances_due(now=later(30))
    return with_payout_account(contract.freelancer)


@pytest.mark.parametrize("after", [False, True], ids=["before-the-processor", "after-the-processor"])
def test_a_transfer_task_killed_around_the_processor_call_transfers_once_when_redelivered(monkeypatch, after):
    # given a withdrawal of everything available: the ledger moved it, the transfer waits in the outbox
    freelancer = freelancer_with_cleared_money()
    available = available_of(freelancer)
    payout = payment_services.payout_request(freelancer=freelancer, amount_cents=available, key="withdraw-all")
    (call,) = GatewayCall.objects.filter(payout=payout)
    assert available_of(freelancer) == 0
    # and a processor that keeps what it did whatever happens to our worker (as Stripe does)
    gateway = type(get_gateway())
    real_transfer = gateway.transfer
    keys_sent = []

    def processor_transfer(self, **kwargs):
        keys_sent.append(kwargs["key"])
        return real_transfer(self, **kwargs)

    monkeypatch.setattr(gateway, "transfer", processor_transfer)
    # when the worker running the transfer task dies just before, or just after, the processor acted
    crash_on_call(monkeypatch, gateway, "transfer", call=1, after=after)
    with pytest.raises(WorkerKilled):
        run_gateway_call.run(call.pk)
    monkeypatch.setattr(gateway, "transfer", processor_transfer)
    # then the withdrawal still reads as sending
    payout.refresh_from_db()
    assert payout.status == Payout.Status.SENDING
    # when the task is delivered again, and the sweeper finds it as well
    assert run_gateway_call.run(call.pk) == GatewayCall.Status.DONE
    assert calls_sweep(now=later(1)) == 0
    # then the processor was asked with one key each time, and made one transfer
    posting = LedgerTransaction.objects.get(idempotency_key=f"payout:{payout.pk}")
    assert keys_sent == [f"transfer:{posting.pk}"] * (2 if after else 1)
    assert GatewayOperation.objects.filter(kind="payout").count() == 1
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    # and the money left the ledger once
    assert postings_by_key("payout") == {f"payout:{payout.pk}": 1}
    assert available_of(freelancer) == 0
    assert money_problems() == []


def test_email_task_killed_after_sending_is_not_sent_again(monkeypatch):
    # given a notification whose email task is running
    notification = Notification.objects.create(
        recipient=new_client(), kind="account.welcome", title="Welcome", url="/", email_wanted=True
    )
    # when the worker dies right after the mail server took the email (the claim is committed)
    from notifications import tasks as notification_tasks

    crash_on_call(monkeypatch, notification_tasks, "send_mail", call=1)
    with pytest.raises(WorkerKilled):
        send_notification_email.run(notification.pk)
    monkeypatch.undo()
    # then the redelivered task sends nothing a second time
    send_notification_email.run(notification.pk)
    assert [m.subject for m in mail.outbox] == ["[Proofwork] Welcome"]
