"""A form on the contract page that fails answers a redirect back to the contract page (303, so
the browser fetches it with a GET), where the form shows again with what was typed and why it
failed, once. The address bar never shows the form's POST address, and a refresh never posts
again."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contracts import services
from contracts.models import Milestone
from contracts.presenters import form_prefix
from tests.contracts.factories import active_contract, milestone_of, money_snapshot, move_to
from tests.helpers import browser_for, text
from tests.marketplace.factories import in_days

pytestmark = pytest.mark.django_db

S = Milestone.Status
TOO_LONG = "x" * 501


def _funded(contract):
    return move_to(milestone_of(contract), S.FUNDED)


def _submitted(contract):
    return move_to(milestone_of(contract), S.SUBMITTED)


def _refund_asked(contract):
    milestone = _funded(contract)
    services.milestone_refund_request(milestone=milestone, by=contract.client, amount_cents=100_00, reason="Late")
    return milestone


def _edit_proposed(contract):
    milestone = milestone_of(contract)
    services.milestone_edit_propose(
        milestone=milestone, by=contract.client, title=milestone.title, amount_cents=350_00, due_date=in_days(20)
    )
    return milestone


# (who posts, how the milestone gets there, the route and the form's action, what is typed, the error)
CASES = {
    "submit": ("freelancer", _funded, "milestone_submit", "submit", {"message": ""}, "Describe what you delivered"),
    "request changes": (
        "client",
        _submitted,
        "milestone_request_changes",
        "request_changes",
        {"reason": ""},
        "Say what needs to change.",
    ),
    "release part": (
        "client",
        _submitted,
        "milestone_release_partial",
        "release_part",
        {"amount": "0"},
        "Enter an amount above zero",
    ),
    "refund request": (
        "client",
        _funded,
        "milestone_refund_request",
        "refund_request",
        {"amount": "9999", "reason": "Never delivered"},
        "at most $400.00",
    ),
    "refund offer": (
        "freelancer",
        _funded,
        "milestone_refund_offer",
        "refund_offer",
        {"amount": "abc"},
        "Enter an amount such as",
    ),
    "refund decline": (
        "freelancer",
        _refund_asked,
        "refund_request_decline",
        "answer_refund",
        {"reason": TOO_LONG},
        "at most 500 characters",
    ),
    "edit": ("freelancer", milestone_of, "milestone_edit_propose", "edit", {"amount": "-1"}, "above zero"),
    "edit decline": (
        "freelancer",
        _edit_proposed,
        "milestone_edit_decline",
        "answer_edit",
        {"reason": TOO_LONG},
        "at most 500 characters",
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_failed_form_redirects_to_the_contract_page_and_shows_its_error_once(case):
    who, stage, route, action, typed, error = case
    contract = active_contract()
    milestone = stage(contract)
    browser = browser_for(getattr(contract, who))
    if route == "refund_request_decline":
        target = milestone.refund_requests.get().pk
    elif route == "milestone_edit_decline":
        target = milestone.edits.get().pk
    else:
        target = milestone.pk
    before = money_snapshot()
    prefix = form_prefix(action, milestone)
    # when the form is posted with something wrong
    response = browser.post(reverse(route, args=[target]), {f"{prefix}-{k}": v for k, v in typed.items()})
    # then the answer is a redirect to the contract page, at the milestone
    assert response.status_code == 303
    assert response["Location"] == f"{contract.get_absolute_url()}#milestone-{milestone.pk}"
    # where the form shows why, with what was typed
    page = browser.get(response["Location"])
    assert page.status_code == 200
    assert error in text(page), text(page)[:3000]
    for value in typed.values():
        if value and value != TOO_LONG:
            assert f'value="{value}"' in page.content.decode() or f"{value}</textarea>" in page.content.decode()
    # once: reloading the page shows a fresh form, and nothing moved
    assert error not in text(browser.get(contract.get_absolute_url()))
    assert money_snapshot() == before


def test_a_failed_change_order_redirects_to_the_contract_page():
    contract = active_contract()
    client = browser_for(contract.client)
    response = client.post(
        reverse("contract_milestone_add", args=[contract.pk]),
        {"add-title": "", "add-amount": "100", "add-due_date": in_days(9).isoformat()},
    )
    assert (response.status_code, response["Location"]) == (303, f"{contract.get_absolute_url()}#add-milestone")
    shown = text(client.get(contract.get_absolute_url()))
    assert "Nothing was added." in shown and "Give the milestone a title." in shown
    assert not contract.milestones.filter(is_change_order=True).exists()


def test_a_change_order_shows_every_error_at_once_each_on_its_field():
    # given a client adding a milestone with no title, too small an amount and a past due date
    contract = active_contract()
    client = browser_for(contract.client)
    response = client.post(
        reverse("contract_milestone_add", args=[contract.pk]),
        {"add-title": "", "add-amount": "1", "add-due_date": in_days(-3).isoformat()},
    )
    # then the one answer names all three, not the title first and the rest after it is fixed
    shown = text(client.get(response["Location"]))
    assert "Give the milestone a title." in shown
    assert "A milestone is at least $" in shown
    assert "The due date cannot be in the past." in shown
    assert not contract.milestones.filter(is_change_order=True).exists()


def test_a_proposed_milestone_change_shows_every_error_at_once():
    contract = active_contract()
    milestone = milestone_of(contract)
    client = browser_for(contract.client)
    prefix = form_prefix("edit", milestone)
    response = client.post(
        reverse("milestone_edit_propose", args=[milestone.pk]),
        {f"{prefix}-title": "", f"{prefix}-amount": "99999999", f"{prefix}-due_date": in_days(-1).isoformat()},
    )
    shown = text(client.get(response["Location"]))
    assert "Give the milestone a title." in shown
    assert "A milestone is at most $" in shown
    assert "The due date cannot be in the past." in shown
    assert not milestone.edits.exists()


def test_a_failed_delivery_asks_for_its_files_again():
    contract = active_contract()
    milestone = _funded(contract)
    freelancer = browser_for(contract.freelancer)
    prefix = form_prefix("submit", milestone)
    upload = SimpleUploadedFile("site.html", b"<script>alert(1)</script>", content_type="text/html")
    response = freelancer.post(reverse("milestone_submit", args=[milestone.pk]), {f"{prefix}-files": upload})
    assert response.status_code == 303
    shown = text(freelancer.get(response["Location"]))
    assert "Nothing was submitted." in shown
    assert "Files are not kept when a form has problems; choose them again." in shown


def test_a_declined_card_comes_back_to_the_fund_page_without_the_card_number():
    contract = active_contract()
    milestone = milestone_of(contract)
    client = browser_for(contract.client)
    url = reverse("milestone_fund", args=[milestone.pk])
    response = client.post(url, {"card_number": "4000 0000 0000 0002"})
    assert (response.status_code, response["Location"]) == (303, url)
    page = client.get(url)
    assert "The card was declined" in text(page)
    assert 'value="4000 0000 0000 0002"' not in page.content.decode()  # typed again, not kept
    milestone.refresh_from_db()
    assert milestone.is_pending
