"""Ending a contract: a confirmation page that says what will happen to each milestone, a reason
(and an optional note) that the other party is told and both read on the ended contract, and the
same reason required over the API."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from contracts.invariants import money_problems
from contracts.models import Contract, ContractEvent, Milestone
from contracts.services import contract_end
from notifications.models import Notification
from tests.contracts.factories import active_contract, milestone_of, money_snapshot, move_to
from tests.helpers import api_for, browser_for, text

pytestmark = pytest.mark.django_db

S = Milestone.Status


def paid_first_and_unfunded_second() -> Contract:
    """$400 paid, then an unfunded $2,600 milestone."""
    contract = active_contract(amounts=(400_00, 2_600_00))
    move_to(milestone_of(contract), S.RELEASED)
    return contract


# --- the confirmation page ------------------------------------------------------------------------


def test_the_end_button_opens_a_confirmation_page_and_ends_nothing():
    contract = paid_first_and_unfunded_second()
    freelancer = browser_for(contract.freelancer)
    page = freelancer.get(contract.get_absolute_url())
    assert reverse("contract_end", args=[contract.pk]) in page.content.decode()
    # when the freelancer opens it
    shown = text(freelancer.get(reverse("contract_end", args=[contract.pk])))
    # then it lists the unfunded milestone that would be removed, with its amount, and how it counts
    assert "“Milestone 2”: $2,600.00" in shown
    assert "removed ($2,600.00 in all)" in shown
    assert "It counts as ended early" in shown
    assert "Why are you ending it?" in shown
    contract.refresh_from_db()
    assert contract.is_active
    assert milestone_of(contract, 2).status == S.PENDING


def test_the_confirmation_says_completed_when_everything_was_paid():
    contract = active_contract(amounts=(400_00,))
    move_to(milestone_of(contract), S.RELEASED)
    shown = text(browser_for(contract.client).get(reverse("contract_end", args=[contract.pk])))
    assert "It counts as completed" in shown
    assert "no milestone is removed" in shown


def test_the_confirmation_names_the_milestones_whose_money_must_be_settled_first():
    contract = active_contract(amounts=(400_00, 600_00))
    move_to(milestone_of(contract), S.SUBMITTED)
    response = browser_for(contract.freelancer).get(reverse("contract_end", args=[contract.pk]))
    shown = text(response)
    assert "Settle these first" in shown
    assert "“Milestone 1” : $400.00 held (submitted for review)" in shown
    assert f'href="{contract.get_absolute_url()}#milestone-{milestone_of(contract).pk}"' in response.content.decode()
    assert "End the contract" not in shown  # no button while money is held


def test_ending_without_a_reason_is_refused_and_changes_nothing():
    contract = paid_first_and_unfunded_second()
    url = reverse("contract_end", args=[contract.pk])
    response = browser_for(contract.freelancer).post(url, {"note": "Bye"})
    # a failed form comes back at the page's own address, on a GET
    assert response.status_code == 303
    assert response["Location"] == url
    shown = text(browser_for(contract.freelancer).get(url))  # another session: nothing kept for it
    assert "Choose why" not in shown
    contract.refresh_from_db()
    assert contract.is_active
    assert milestone_of(contract, 2).status == S.PENDING


def test_a_failed_end_shows_the_error_once_with_the_note_kept():
    contract = paid_first_and_unfunded_second()
    url = reverse("contract_end", args=[contract.pk])
    freelancer = browser_for(contract.freelancer)
    shown = freelancer.post(url, {"reason": "nonsense", "note": "Budget cut"}, follow=True)
    assert shown.redirect_chain == [(url, 303)]
    assert "Choose a reason from the list." in text(shown)
    assert "Budget cut" in shown.content.decode()
    assert "Choose a reason from the list." not in text(freelancer.get(url))


def test_ending_with_a_reason_and_note_tells_the_other_party_and_both_read_it():
    contract = paid_first_and_unfunded_second()
    freelancer = browser_for(contract.freelancer)
    response = freelancer.post(
        reverse("contract_end", args=[contract.pk]),
        {"reason": "scope_changed", "note": "The client asked for a rewrite we did not agree."},
        follow=True,
    )
    shown = text(response)
    assert "The contract has ended (ended early)." in shown
    contract.refresh_from_db()
    assert (contract.end_reason, contract.end_reason_detail) == ("cancelled", "scope_changed")
    assert contract.end_note == "The client asked for a rewrite we did not agree."
    assert milestone_of(contract, 2).status == S.CANCELLED
    ended = contract.events.get(verb=ContractEvent.Verb.ENDED)
    assert ended.actor == contract.freelancer
    # the client is told, with the reason and the note
    told = Notification.objects.get(recipient=contract.client, kind="contract.ended")
    assert "The scope or budget changed" in told.body
    assert "rewrite we did not agree" in told.body
    # and, since money was paid, invited to review by the window's last day
    assert "Review each other by" in told.body and "both are published together" in told.body
    # and both read them on the ended contract
    client_page = text(browser_for(contract.client).get(contract.get_absolute_url()))
    name = contract.freelancer.display_name
    assert f"{name} ended it: The scope or budget changed." in client_page
    assert "The client asked for a rewrite we did not agree." in client_page
    assert "You ended it: The scope or budget changed." in text(freelancer.get(contract.get_absolute_url()))
    assert money_problems() == []


def test_an_ended_contract_s_end_page_goes_back_to_the_contract():
    contract = paid_first_and_unfunded_second()
    contract_end(contract=contract, by=contract.client, reason="work_completed")
    response = browser_for(contract.client).get(reverse("contract_end", args=[contract.pk]))
    assert response.status_code == 302
    assert response["Location"] == contract.get_absolute_url()


# --- the service ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "note", "field"),
    [("because", "", "reason"), ("other", "x" * 501, "note")],
)
def test_the_service_refuses_an_unknown_reason_or_a_long_note(reason, note, field):
    contract = paid_first_and_unfunded_second()
    with pytest.raises(ValidationError) as refused:
        contract_end(contract=contract, by=contract.client, reason=reason, note=note)
    assert field in refused.value.message_dict
    contract.refresh_from_db()
    assert contract.is_active


# --- the API --------------------------------------------------------------------------------------


def test_the_api_requires_a_reason_and_refuses_unknown_keys():
    contract = paid_first_and_unfunded_second()
    api = api_for(contract.client)
    url = f"/api/v1/contracts/{contract.pk}/end/"
    before = money_snapshot()
    for body, field in (
        ({}, "reason"),
        ({"reason": "bored"}, "reason"),
        ({"reason": "other", "note": "x" * 501}, "note"),
        ({"reason": "other", "why": "x"}, "why"),
    ):
        response = api.post(url, body, format="json")
        assert response.status_code == 400, body
        assert field in str(response.json()), (body, response.json())
    contract.refresh_from_db()
    assert contract.is_active
    assert money_snapshot() == before


def test_the_api_ends_with_the_reason_and_note_and_reads_them_back():
    contract = paid_first_and_unfunded_second()
    response = api_for(contract.client).post(
        f"/api/v1/contracts/{contract.pk}/end/",
        {"reason": "unresponsive", "note": "No answer for three weeks."},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["end_reason"], body["end_reason_detail"]) == ("ended", "cancelled", "unresponsive")
    assert body["end_note"] == "No answer for three weeks."
    seen = api_for(contract.freelancer).get(f"/api/v1/contracts/{contract.pk}/").json()
    assert (seen["end_reason_detail"], seen["end_note"]) == ("unresponsive", "No answer for three weeks.")
    told = Notification.objects.get(recipient=contract.freelancer, kind="contract.ended")
    assert "The other party stopped responding" in told.body


def test_a_contract_ended_with_nothing_paid_invites_no_review():
    contract = active_contract()
    contract_end(contract=contract, by=contract.client, reason="not_a_fit")
    told = Notification.objects.get(recipient=contract.freelancer, kind="contract.ended")
    assert "Review each other" not in told.body
