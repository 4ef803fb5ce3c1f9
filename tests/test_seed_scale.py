import json

import pytest
from django.core.management import call_command

from accounts.models import User
from contracts.invariants import money_problems
from contracts.models import Contract, Milestone
from marketplace.models import Project, Proposal
from messaging.models import Message
from notifications.models import Notification
from payments.models import LedgerTransaction

pytestmark = pytest.mark.django_db


def _seed_and_check(tmp_path) -> None:
    # given an empty database, when seed_scale makes a small market of 300 projects
    output = tmp_path / "seed.json"
    call_command("seed_scale", "--projects", "300", "--seed", "3", "--output", str(output))
    info = json.loads(output.read_text())
    # then the people and the market keep the proportions of the full-size one
    assert User.objects.filter(is_client=True).count() == 30
    assert User.objects.filter(is_freelancer=True).count() == 60
    projects = Project.objects.count()
    assert projects >= 300
    assert 0.03 <= Project.objects.filter(kind=Project.Kind.TEST).count() / 300 <= 0.2
    assert 0.4 <= Project.objects.filter(status=Project.Status.OPEN).count() / projects <= 0.8
    assert 2.0 <= Proposal.objects.count() / 300 <= 4.5
    assert Message.objects.exists() and Notification.objects.exists()
    # and the heavy users have the most contracts, one contract has ten milestones
    heavy_client, heavy_freelancer = info["heavy_client"]["id"], info["heavy_freelancer"]["id"]
    assert Contract.objects.filter(client_id=heavy_client).count() >= 3
    assert Contract.objects.filter(freelancer_id=heavy_freelancer).count() >= 3
    assert Milestone.objects.filter(contract_id=info["contract_10_milestones"]).count() == 10
    # and milestones sit in every state the services reach (disputes come with their own issue),
    # with money that went through the ledger and still balances
    expected = set(Milestone.Status.values) - {Milestone.Status.DISPUTED}
    assert set(Milestone.objects.values_list("status", flat=True)) == expected
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.RELEASE).exists()
    assert money_problems() == []
    # and the same seed refuses to run twice over the same data
    with pytest.raises(Exception, match="already has projects"):
        call_command("seed_scale", "--projects", "300", "--output", str(output))


def test_seed_scale_makes_a_balanced_market(tmp_path):
    _seed_and_check(tmp_path)


@pytest.mark.postgres
def test_seed_scale_makes_a_balanced_market_on_postgresql(tmp_path):
    _seed_and_check(tmp_path)
