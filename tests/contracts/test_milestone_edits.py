"""Unfunded milestones change by agreement: one party proposes a new title, amount or due date, the
other accepts or declines, the proposer may withdraw. A funded milestone never changes this way:
its amount is held in escrow. The money invariants are checked after every test (conftest.py)."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.urls import reverse

from contracts import services
from contracts.invariants import money_problems
from contracts.models import Contract, ContractEvent, Milestone, MilestoneEdit
from contracts.services.edits import ALREADY_PENDING, FUNDED_MESSAGE
from contracts.views import form_prefix
from core.exceptions import DomainError, InvalidTransition
from notifications.models import Notification
from payments.models import LedgerTransaction
from tests.contracts.factories import (
    active_contract,
    escrow_of,
    milestone_of,
    money_snapshot,
    move_to,
    postings,
    row,
)
from tests.helpers import api_for, browser_for, came_back, text
from tests.marketplace.factories import in_days, new_client, new_freelancer

pytestmark = pytest.mark.django_db

S = Milestone.Status
E = MilestoneEdit.Status


# --- helpers -------------------------------------------------------------------------------------


def priya_contract(**kwargs) -> Contract:
    """An active contract between a client and Priya, a freelancer: $400 then $600 unfunded."""
    return active_contract(freelancer=new_freelancer(full_name="Priya Raman"), **kwargs)


def first(contract: Contract) -> Milestone:
    return milestone_of(contract, 1)


def propose(milestone: Milestone, by, **changes) -> MilestoneEdit:
    terms = {
        "title": milestone.title,
        "amount_cents": milestone.amount_cents,
        "due_date": milestone.due_date,
        "note": "",
    }
    terms.update(changes)
    return services.milestone_edit_propose(milestone=milestone, by=by, **terms)


def day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def edit_form(milestone: Milestone, **values) -> dict:
    prefix = form_prefix("edit", milestone)
    data = {"title": milestone.title, "amount": "400", "due_date": milestone.due_date.isoformat(), "note": ""}
    data.update(values)
    return {f"{prefix}-{key}": value for key, value in data.items()}


# --- propose and accept ---------------------------------------------------------------------------


def test_freelancer_proposes_and_client_accepts_a_new_amount():
    # given an active contract with an unfunded $400 milestone
    contract = priya_contract()
    milestone = first(contract)
    new_due = in_days(25)

    # when Priya proposes $450, due later, with a note
    edit = propose(milestone, contract.freelancer, amount_cents=450_00, due_date=new_due, note="Two more screens.")

    # then nothing changed yet, and the client is told
    milestone.refresh_from_db()
    assert (milestone.amount_cents, milestone.status, edit.status) == (400_00, S.PENDING, E.PENDING)
    told = Notification.objects.get(recipient=contract.client, kind="milestone.funded")
    assert "Priya Raman proposes a change" in told.title
    assert "$450.00 instead of $400.00" in told.body and "Two more screens." in told.body

    # when the client accepts it
    accepted = services.milestone_edit_accept(edit=edit, by=contract.client)

    # then the milestone has the new amount and due date, and the timeline says old → new
    assert (accepted.amount_cents, accepted.due_date, accepted.status) == (450_00, new_due, S.PENDING)
    edit.refresh_from_db()
    assert edit.status == E.ACCEPTED and edit.responded_at is not None
    event = ContractEvent.objects.get(milestone=milestone, verb="milestone edited")
    assert event.actor == contract.client
    assert event.amount_cents == 450_00
    assert "$400.00 → $450.00" in event.note
    assert Notification.objects.filter(recipient=contract.freelancer, title__contains="accepted your change").exists()

    # and funding it holds the new amount in escrow
    services.milestone_fund(milestone=accepted, by=contract.client)
    assert escrow_of(accepted) == 450_00
    assert money_problems() == []


def test_accepting_changes_the_amount_and_the_contract_total_on_the_page():
    # given a $400 + $600 contract and a client's proposal to lower the first to $350
    contract = priya_contract()
    milestone = first(contract)
    edit = propose(milestone, contract.client, amount_cents=350_00, title="Landing page")
    freelancer = browser_for(contract.freelancer)
    before = text(freelancer.get(contract.get_absolute_url()))
    assert "Contract total $1,000.00" in before
    assert "You propose" not in before
    assert "proposes: $350.00 instead of $400.00" in before
    assert "titled “Landing page” instead of “Milestone 1”" in before

    # when the freelancer accepts it from the contract page
    response = freelancer.post(reverse("milestone_edit_accept", args=[edit.pk]), follow=True)

    # then the page shows the new amount, title and total
    shown = text(response)
    assert response.status_code == 200
    assert "You accepted the change: “Landing page” is now $350.00" in shown
    assert "Contract total $950.00" in shown
    assert "Fund $350.00" not in shown  # the freelancer does not fund
    assert "Fund $350.00" in text(browser_for(contract.client).get(contract.get_absolute_url()))
    assert "proposes:" not in shown
    assert "accepted the change to" in shown  # the timeline


def test_the_proposer_cannot_accept_their_own_change():
    # given a change the client proposed
    contract = priya_contract()
    milestone = first(contract)
    edit = propose(milestone, contract.client, amount_cents=500_00)
    before = money_snapshot()

    # when the client tries to accept it themself
    with pytest.raises(DomainError, match="You proposed this change"):
        services.milestone_edit_accept(edit=edit, by=contract.client)

    # then nothing changed; nor through the page or the API
    browser = browser_for(contract.client)
    response = browser.post(reverse("milestone_edit_accept", args=[edit.pk]), follow=True)
    assert "Nothing changed. You proposed this change" in text(response)
    answer = api_for(contract.client).post(f"/api/v1/milestone-edits/{edit.pk}/accept/")
    assert answer.status_code == 403
    assert money_snapshot() == before
    assert row(edit)["status"] == E.PENDING


def test_the_client_proposes_on_the_page_and_the_freelancer_sees_accept_and_decline():
    # given a client looking at an unfunded milestone
    contract = priya_contract()
    milestone = first(contract)
    client = browser_for(contract.client)
    page = text(client.get(contract.get_absolute_url()))
    assert "Propose a change" in page

    # when they propose $450 due on a new date
    new_due = in_days(30)
    response = client.post(
        reverse("milestone_edit_propose", args=[milestone.pk]),
        edit_form(milestone, amount="450", due_date=new_due.isoformat(), note="Adds the export."),
        follow=True,
    )

    # then they see it waiting, with a way to withdraw it, and no second proposal form
    shown = text(response)
    assert "You proposed the change. Nothing changes until the other side accepts it." in shown
    assert f"You propose: $450.00 instead of $400.00, due {day(new_due)} instead of {day(milestone.due_date)}" in shown
    assert "Withdraw your proposed change" in shown
    assert "Accept the change" not in shown
    edit = MilestoneEdit.objects.get(milestone=milestone)
    assert (edit.amount_cents, edit.proposed_by, edit.note) == (450_00, contract.client, "Adds the export.")

    # and the freelancer sees it with Accept and Decline, and it is on their next steps
    page = text(browser_for(contract.freelancer).get(contract.get_absolute_url()))
    client_name = contract.client.display_name
    assert f"{client_name} proposes: $450.00 instead of $400.00, due {day(new_due)}" in page
    assert "Adds the export." in page
    assert "Accept the change" in page and "Decline the change" in page
    assert "Accept or decline the proposed change to “Milestone 1”" in page
    assert "Withdraw your proposed change" not in page


# --- decline and withdraw -------------------------------------------------------------------------


def test_the_other_side_declines_and_the_milestone_keeps_its_terms():
    # given Priya's proposal of $450
    contract = priya_contract()
    milestone = first(contract)
    edit = propose(milestone, contract.freelancer, amount_cents=450_00)

    # when the client declines it from the page, with a reason
    browser = browser_for(contract.client)
    prefix = form_prefix("answer_edit", milestone)
    response = browser.post(
        reverse("milestone_edit_decline", args=[edit.pk]), {f"{prefix}-reason": "Budget is fixed."}, follow=True
    )

    # then the milestone is still $400, the edit is declined, and Priya is told why
    assert "You declined the change." in text(response)
    milestone.refresh_from_db()
    assert milestone.amount_cents == 400_00
    assert row(edit)["status"] == E.DECLINED
    told = Notification.objects.filter(recipient=contract.freelancer, title__contains="declined your change").get()
    assert told.body == "Budget is fixed."
    assert ContractEvent.objects.filter(milestone=milestone, verb="milestone change declined").exists()

    # and a second answer is refused (already declined)
    with pytest.raises(InvalidTransition, match="already declined"):
        services.milestone_edit_accept(edit=edit, by=contract.client)


def test_the_proposer_cannot_decline_and_the_other_side_cannot_withdraw():
    contract = priya_contract()
    edit = propose(first(contract), contract.freelancer, amount_cents=450_00)

    with pytest.raises(DomainError, match="withdraw it instead"):
        services.milestone_edit_decline(edit=edit, by=contract.freelancer)
    with pytest.raises(DomainError, match="Only the person who proposed this change can withdraw it"):
        services.milestone_edit_withdraw(edit=edit, by=contract.client)
    assert row(edit)["status"] == E.PENDING


def test_the_proposer_withdraws_and_can_propose_again():
    # given Priya's proposal
    contract = priya_contract()
    milestone = first(contract)
    edit = propose(milestone, contract.freelancer, amount_cents=450_00)

    # when she withdraws it from the page
    response = browser_for(contract.freelancer).post(reverse("milestone_edit_withdraw", args=[edit.pk]), follow=True)

    # then it is withdrawn, the client is told, and the client can no longer accept it
    assert "You withdrew the proposed change." in text(response)
    assert row(edit)["status"] == E.WITHDRAWN
    assert Notification.objects.filter(recipient=contract.client, title__contains="withdrew").exists()
    with pytest.raises(InvalidTransition, match="already withdrawn"):
        services.milestone_edit_accept(edit=edit, by=contract.client)
    milestone.refresh_from_db()
    assert milestone.amount_cents == 400_00

    # and a new proposal is possible
    again = propose(milestone, contract.freelancer, amount_cents=420_00)
    assert again.status == E.PENDING


def test_only_one_change_waits_per_milestone():
    # given a change waiting on the first milestone
    contract = priya_contract()
    milestone = first(contract)
    propose(milestone, contract.freelancer, amount_cents=450_00)

    # when either side proposes another
    with pytest.raises(DomainError, match=re.escape(ALREADY_PENDING)):
        propose(milestone, contract.client, amount_cents=380_00)

    # then the database also refuses a second pending row (the race the check cannot see)
    with pytest.raises(IntegrityError), transaction.atomic():
        MilestoneEdit.objects.create(
            milestone=milestone,
            proposed_by=contract.client,
            title="x",
            amount_cents=1_00,
            due_date=in_days(1),
        )
    # and the other milestone is independent
    assert propose(milestone_of(contract, 2), contract.client, amount_cents=650_00).status == E.PENDING


# --- funded milestones ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", sorted(set(S.values) - {S.PENDING}))
def test_a_milestone_that_is_not_waiting_for_funding_cannot_be_edited(status):
    # given the first milestone moved (by the services) to `status`
    contract = priya_contract()
    milestone = move_to(first(contract), status)
    before, edits_before = money_snapshot(), MilestoneEdit.objects.count()  # removal was agreed through one

    # when either party proposes a change
    for party in (contract.client, contract.freelancer):
        with pytest.raises(InvalidTransition) as refused:
            propose(milestone, party, amount_cents=900_00)
        # then it is refused, saying why
        if status == S.CANCELLED:
            assert "removed" in refused.value.message
        else:
            assert refused.value.message == FUNDED_MESSAGE

    # and nothing changed
    assert money_snapshot() == before
    assert MilestoneEdit.objects.count() == edits_before


def test_funding_withdraws_a_waiting_change_and_holds_the_original_amount():
    # given Priya proposes $450 on the $400 milestone
    contract = priya_contract()
    milestone = first(contract)
    edit = propose(milestone, contract.freelancer, amount_cents=450_00)

    # when the client funds the milestone before answering
    services.milestone_fund(milestone=milestone, by=contract.client)

    # then the change is withdrawn and escrow holds the original $400
    assert row(edit)["status"] == E.WITHDRAWN
    assert row(edit)["responded_at"] is not None
    milestone.refresh_from_db()
    assert (milestone.status, milestone.amount_cents) == (S.FUNDED, 400_00)
    assert escrow_of(milestone) == 400_00
    assert postings(LedgerTransaction.Kind.FUND, milestone.ledger_reference)[0][
        f"escrow:{milestone.ledger_reference}"
    ] == (400_00)

    # and the change can no longer be accepted, so the funded amount never moves
    before = money_snapshot()
    with pytest.raises(InvalidTransition, match="Funded milestones can't be edited"):
        services.milestone_edit_accept(edit=edit, by=contract.client)
    assert money_snapshot() == before
    assert money_problems() == []

    # and the page shows no waiting change and no proposal form for it
    page = text(browser_for(contract.client).get(contract.get_absolute_url()))
    assert "proposes:" not in page
    detail = api_for(contract.client).get(f"/api/v1/milestones/{milestone.pk}/").json()
    assert detail["pending_edit"] is None


# --- bad input -----------------------------------------------------------------------------------


BAD_TERMS = [
    pytest.param({"amount_cents": 0}, "amount", id="zero"),
    pytest.param({"amount_cents": -100}, "amount", id="negative"),
    pytest.param({"amount_cents": 450.0}, "amount", id="float"),
    pytest.param({"amount_cents": "45000"}, "amount", id="text"),
    pytest.param({"amount_cents": True}, "amount", id="bool"),
    pytest.param({"amount_cents": 4_99}, "amount", id="below the minimum"),
    pytest.param({"amount_cents": 100_000_01}, "amount", id="above the maximum"),
    pytest.param({"due_date": date.today() - timedelta(days=1), "amount_cents": 450_00}, "due_date", id="past"),
    pytest.param({"title": "   ", "amount_cents": 450_00}, "title", id="no title"),
    pytest.param({"title": "x" * 121}, "title", id="long title"),
    pytest.param({"note": "n" * 301, "amount_cents": 450_00}, "note", id="long note"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_TERMS)
def test_bad_terms_are_refused_and_change_nothing(changes, field):
    # given an unfunded milestone
    contract = priya_contract()
    milestone = first(contract)
    before = money_snapshot()

    # when a party proposes bad terms
    with pytest.raises(ValidationError) as refused:
        propose(milestone, contract.client, **changes)

    # then the error names the field, and nothing was written
    assert field in refused.value.message_dict
    assert money_snapshot() == before
    assert not MilestoneEdit.objects.exists()


def test_a_proposal_that_changes_nothing_is_refused():
    contract = priya_contract()
    milestone = first(contract)
    before = money_snapshot()

    with pytest.raises(DomainError, match="Nothing would change"):
        propose(milestone, contract.freelancer, title=f"  {milestone.title} ")

    assert money_snapshot() == before
    assert not MilestoneEdit.objects.exists()


@override_settings(TEST_PROJECT_MAX_CENTS=500_00)
def test_a_paid_test_cannot_grow_past_its_cap_but_may_shrink():
    # given a paid test project of $300
    contract = active_contract(amounts=(300_00,), test_project=True)
    milestone = first(contract)
    assert contract.is_test_project

    # when the freelancer proposes $501
    with pytest.raises(ValidationError) as refused:
        propose(milestone, contract.freelancer, amount_cents=500_01)

    # then it is refused with the cap, and nothing was written
    (message,) = refused.value.message_dict["amount"]
    assert message.startswith("A paid test project is capped at $500.00 in all.")
    assert not MilestoneEdit.objects.exists()

    # while $500 and a lower amount are fine
    edit = propose(milestone, contract.freelancer, amount_cents=500_00)
    services.milestone_edit_withdraw(edit=edit, by=contract.freelancer)
    edit = propose(milestone, contract.client, amount_cents=250_00)
    assert services.milestone_edit_accept(edit=edit, by=contract.freelancer).amount_cents == 250_00


def test_a_change_whose_due_date_passed_before_the_answer_cannot_be_accepted(monkeypatch):
    # given a change due tomorrow, proposed today
    contract = priya_contract()
    milestone = first(contract)
    edit = propose(milestone, contract.freelancer, amount_cents=450_00, due_date=in_days(1))
    before = money_snapshot()

    # when the client accepts it three days later
    later = in_days(3)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: later)
    with pytest.raises(
        DomainError, match=re.escape("This change can no longer apply: The due date cannot be in the past.")
    ):
        services.milestone_edit_accept(edit=edit, by=contract.client)

    # then nothing changed; the client can decline it
    assert money_snapshot() == before
    assert row(edit)["status"] == E.PENDING


def test_bad_input_on_the_page_shows_errors_and_changes_nothing():
    # given the client on the contract page
    contract = priya_contract()
    milestone = first(contract)
    browser = browser_for(contract.client)
    url = reverse("milestone_edit_propose", args=[milestone.pk])
    before = money_snapshot()

    cases = [
        ({"amount": "0"}, "Enter an amount above zero"),
        ({"amount": "450.005"}, "at most two decimal places"),
        ({"amount": "abc"}, "Enter an amount such as 45 or 45.50."),
        ({"amount": "450", "due_date": (date.today() - timedelta(days=2)).isoformat()}, "cannot be in the past"),
        ({"amount": "400"}, "Nothing would change"),
        ({"amount": "450", "title": ""}, "Give the milestone a title."),
    ]
    for values, message in cases:
        # when they post bad terms
        response = browser.post(url, edit_form(milestone, **values), follow=True)
        # then the contract page says so (on a GET), with the form open, and nothing was proposed
        assert came_back(response, milestone.contract.get_absolute_url()), values
        shown = text(response)
        assert "Nothing was proposed." in shown, values
        assert message.lower() in shown.lower(), (values, shown[:2000])
    assert money_snapshot() == before
    assert not MilestoneEdit.objects.exists()


def test_an_ended_contract_takes_no_changes():
    contract = priya_contract()
    milestone = first(contract)
    edit = propose(milestone, contract.freelancer, amount_cents=450_00)
    Contract.objects.filter(pk=contract.pk).update(status=Contract.Status.ENDED)

    with pytest.raises(InvalidTransition, match="has ended"):
        services.milestone_edit_accept(edit=edit, by=contract.client)
    with pytest.raises(InvalidTransition, match="has ended"):
        propose(milestone_of(contract, 2), contract.client, amount_cents=650_00)
    # an open question can still be closed
    assert services.milestone_edit_withdraw(edit=edit, by=contract.freelancer).status == E.WITHDRAWN


# --- someone else's contract ----------------------------------------------------------------------


def test_someone_else_gets_404_on_the_page_and_the_api_and_the_service_refuses(other_user):
    # given a change waiting on a contract between two other people
    contract = priya_contract()
    milestone = first(contract)
    edit = propose(milestone, contract.freelancer, amount_cents=450_00)
    before = money_snapshot()
    browser, api = browser_for(other_user), api_for(other_user)

    # then a stranger finds neither the milestone nor the change
    assert browser.post(reverse("milestone_edit_propose", args=[milestone.pk]), edit_form(milestone)).status_code == 404
    for name in ("milestone_edit_accept", "milestone_edit_decline", "milestone_edit_withdraw"):
        assert browser.post(reverse(name, args=[edit.pk])).status_code == 404, name
    body = {"title": "Mine", "amount_cents": 1_00_00, "due_date": in_days(5).isoformat()}
    assert api.post(f"/api/v1/milestones/{milestone.pk}/edit/", body, format="json").status_code == 404
    assert api.get(f"/api/v1/milestone-edits/{edit.pk}/").status_code == 404
    for endpoint in ("accept", "decline", "withdraw"):
        assert api.post(f"/api/v1/milestone-edits/{edit.pk}/{endpoint}/").status_code == 404, endpoint

    # and calling the service directly is refused too
    with pytest.raises(DomainError, match="Only the client and the freelancer"):
        services.milestone_edit_accept(edit=edit, by=other_user)
    with pytest.raises(DomainError, match="Only the client and the freelancer"):
        propose(milestone, other_user, amount_cents=1_00_00)
    assert money_snapshot() == before
    assert row(edit)["status"] == E.PENDING


# --- API ------------------------------------------------------------------------------------------


def test_propose_and_accept_over_the_api():
    # given an unfunded $400 milestone
    contract = priya_contract()
    milestone = first(contract)
    freelancer, client = api_for(contract.freelancer), api_for(contract.client)
    new_due = in_days(40)

    # when Priya proposes $450
    body = {"title": "Booking pages", "amount_cents": 450_00, "due_date": new_due.isoformat(), "note": "More pages."}
    created = freelancer.post(f"/api/v1/milestones/{milestone.pk}/edit/", body, format="json")

    # then it is created and shows on the milestone as pending_edit
    assert created.status_code == 201, created.json()
    edit = created.json()
    assert edit["status"] == "pending"
    assert (edit["milestone"], edit["amount_cents"], edit["due_date"]) == (milestone.pk, 450_00, new_due.isoformat())
    assert edit["proposed_by"] == {"id": contract.freelancer.pk, "display_name": "Priya Raman"}
    shown = client.get(f"/api/v1/milestones/{milestone.pk}/").json()
    assert shown["pending_edit"]["id"] == edit["id"]
    contract_view = client.get(f"/api/v1/contracts/{contract.pk}/").json()
    assert contract_view["milestones"][0]["pending_edit"]["amount_cents"] == 450_00
    assert contract_view["milestones"][1]["pending_edit"] is None

    # and a second proposal is refused while it waits
    again = client.post(f"/api/v1/milestones/{milestone.pk}/edit/", {**body, "amount_cents": 380_00}, format="json")
    assert again.status_code == 400
    assert again.json() == {"detail": "A change to this milestone is already waiting for an answer."}

    # when the client accepts it
    accepted = client.post(f"/api/v1/milestone-edits/{edit['id']}/accept/")

    # then the edit is accepted and the milestone changed
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["status"] == "accepted"
    shown = client.get(f"/api/v1/milestones/{milestone.pk}/").json()
    assert (shown["title"], shown["amount_cents"], shown["due_date"]) == ("Booking pages", 450_00, new_due.isoformat())
    assert shown["pending_edit"] is None

    # and answering again is a conflict
    assert client.post(f"/api/v1/milestone-edits/{edit['id']}/accept/").status_code == 409
    assert client.post(f"/api/v1/milestone-edits/{edit['id']}/decline/").status_code == 409


def test_decline_and_withdraw_over_the_api():
    contract = priya_contract()
    first_edit = propose(first(contract), contract.freelancer, amount_cents=450_00)
    second_edit = propose(milestone_of(contract, 2), contract.client, amount_cents=550_00)
    client = api_for(contract.client)

    declined = client.post(f"/api/v1/milestone-edits/{first_edit.pk}/decline/", {"reason": "No."}, format="json")
    assert declined.status_code == 200, declined.json()
    assert declined.json()["status"] == "declined"

    withdrawn = client.post(f"/api/v1/milestone-edits/{second_edit.pk}/withdraw/")
    assert withdrawn.status_code == 200, withdrawn.json()
    assert withdrawn.json()["status"] == "withdrawn"
    assert [m.amount_cents for m in contract.milestones.order_by("position")] == [400_00, 600_00]


API_BAD = [
    pytest.param({"amount_cents": 0}, "amount_cents", id="zero"),
    pytest.param({"amount_cents": 450.5}, "amount_cents", id="float"),
    pytest.param({"amount_cents": "450.00"}, "amount_cents", id="text with a point"),
    pytest.param({"amount_cents": 4_99}, "amount_cents", id="below the minimum"),
    pytest.param({"due_date": "2000-01-01"}, "due_date", id="past"),
    pytest.param({"title": ""}, "title", id="no title"),
    pytest.param({"extra": 1}, "extra", id="unknown field"),
]


@pytest.mark.parametrize(("changes", "field"), API_BAD)
def test_bad_input_over_the_api_is_a_400_and_changes_nothing(changes, field):
    contract = priya_contract()
    milestone = first(contract)
    before = money_snapshot()
    body = {"title": "Booking pages", "amount_cents": 450_00, "due_date": in_days(30).isoformat(), **changes}

    response = api_for(contract.client).post(f"/api/v1/milestones/{milestone.pk}/edit/", body, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert money_snapshot() == before
    assert not MilestoneEdit.objects.exists()


def test_editing_a_funded_milestone_over_the_api_is_a_409():
    contract = priya_contract()
    milestone = move_to(first(contract), S.FUNDED)
    body = {"title": "More", "amount_cents": 900_00, "due_date": in_days(30).isoformat()}

    response = api_for(contract.freelancer).post(f"/api/v1/milestones/{milestone.pk}/edit/", body, format="json")

    assert response.status_code == 409
    assert response.json() == {"detail": FUNDED_MESSAGE}


# --- races (PostgreSQL) ---------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_accept_racing_funding_never_changes_a_funded_amount():
    # given Priya's $450 proposal on a $400 milestone
    client, freelancer = new_client(), new_freelancer(full_name="Priya Raman")
    contract = active_contract(client=client, freelancer=freelancer)
    milestone = first(contract)
    edit = propose(milestone, freelancer, amount_cents=450_00)
    barrier = threading.Barrier(2, timeout=30)
    outcomes: dict[str, str] = {}

    def run(name, call):
        try:
            barrier.wait()
            call()
            outcomes[name] = "ok"
        except DomainError as error:
            outcomes[name] = error.message
        finally:
            connection.close()

    # when the client accepts and funds at the same moment
    threads = [
        threading.Thread(target=run, args=("accept", lambda: services.milestone_edit_accept(edit=edit, by=client))),
        threading.Thread(target=run, args=("fund", lambda: services.milestone_fund(milestone=milestone, by=client))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then funding always happens, and escrow holds exactly the milestone's final amount
    milestone.refresh_from_db()
    assert outcomes["fund"] == "ok"
    assert milestone.status == S.FUNDED
    assert escrow_of(milestone) == milestone.amount_cents
    edit.refresh_from_db()
    if outcomes["accept"] == "ok":
        assert (edit.status, milestone.amount_cents) == (E.ACCEPTED, 450_00)
    else:
        assert (edit.status, milestone.amount_cents) == (E.WITHDRAWN, 400_00)
    assert money_problems() == []
