"""One definition of "held" and of what a person may do with a milestone, shared by the pages,
the API and the services."""

from __future__ import annotations

import pytest

from contracts.models import Milestone
from contracts.services._common import require_held as _require_held
from core.exceptions import InvalidTransition
from tests.contracts.factories import active_contract, milestone_of, move_to
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
S = Milestone.Status
MOVABLE = {S.FUNDED, S.SUBMITTED, S.CHANGES_REQUESTED}


@pytest.mark.parametrize("status", S.values)
def test_held_means_in_escrow_and_free_to_move_and_the_services_agree(status):
    milestone = Milestone(status=status)
    assert milestone.is_held == (status in MOVABLE)
    if status in MOVABLE:
        _require_held(milestone, to="release")
    else:
        with pytest.raises(InvalidTransition):
            _require_held(milestone, to="release")
    # a dispute keeps the money in escrow but freezes it
    assert (status in Milestone.HELD) == (status in MOVABLE or status == S.DISPUTED)


def test_each_side_is_offered_what_it_may_do_and_an_outsider_nothing():
    contract = active_contract(amounts=(100_00, 200_00))
    pending, funded = milestone_of(contract, 1), move_to(milestone_of(contract, 2), S.FUNDED)
    client, freelancer, outsider = contract.client, contract.freelancer, UserFactory()

    def actions(milestone, user):
        return milestone.actions_for(user, pending_refund=None, pending_edit=None)

    assert actions(pending, client) == {"fund", "edit", "propose_removal"}
    assert actions(pending, freelancer) == {"edit", "propose_removal"}
    assert actions(funded, client) == {"release_part", "refund_request", "release_all", "dispute"}
    assert actions(funded, freelancer) == {"submit", "refund_offer", "dispute"}
    assert actions(funded, outsider) == actions(pending, outsider) == set()


def test_the_api_lists_the_callers_actions_as_the_page_offers_them():
    from rest_framework.test import APIClient

    contract = active_contract(amounts=(100_00,))
    milestone = move_to(milestone_of(contract), S.SUBMITTED)
    api = APIClient()
    api.force_authenticate(contract.client)
    body = api.get(f"/api/v1/milestones/{milestone.pk}/").json()
    assert body["available_actions"] == ["approve", "dispute", "refund_request", "release_part", "request_changes"]
    api.force_authenticate(contract.freelancer)
    assert api.get(f"/api/v1/milestones/{milestone.pk}/").json()["available_actions"] == ["dispute", "refund_offer"]
