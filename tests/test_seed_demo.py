import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command

from accounts.models import PortfolioItem, User
from contracts.invariants import money_problems
from contracts.models import Milestone
from marketplace.models import Interview, Project, Proposal
from messaging.models import Message
from payments.models import LedgerTransaction

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_the_three_logins_and_is_idempotent(capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out

    def counts():
        return (
            User.objects.count(),
            PortfolioItem.objects.count(),
            Authenticator.objects.count(),
            Project.objects.count(),
            Proposal.objects.count(),
            Message.objects.count(),
            LedgerTransaction.objects.count(),
        )

    first_counts = counts()
    call_command("seed_demo")
    assert counts() == first_counts
    # the market has paid tests and larger projects, a draft, proposals, a conversation and an interview
    assert Project.objects.filter(kind=Project.Kind.TEST, status=Project.Status.OPEN).exists()
    assert Project.objects.filter(kind=Project.Kind.STANDARD, status=Project.Status.OPEN).exists()
    assert Project.objects.filter(status=Project.Status.FILLED).count() >= 2
    assert Project.objects.filter(status=Project.Status.DRAFT).exists()
    assert Project.objects.filter(is_confidential=True).exists()
    assert Proposal.objects.filter(freelancer__email="freelancer@example.com").count() >= 2
    assert Message.objects.count() >= 2
    assert Interview.objects.exists()
    # and contracts with money in every state: held, delivered for review, and released
    assert set(Milestone.objects.values_list("status", flat=True)) >= {"funded", "submitted", "released"}
    assert money_problems() == []
    # the demo freelancer can try a payout at once, and has a contract reviewed both ways
    from payments import accounts
    from payments.ledger import balance
    from reviews.models import Review

    demo = User.objects.get(email="freelancer@example.com")
    assert balance(accounts.available(demo.pk)) > 0
    assert Review.objects.filter(subject=demo, published_at__isnull=False).count() == 1
    client = User.objects.get(email="client@example.com")
    freelancer = User.objects.get(email="freelancer@example.com")
    moderator = User.objects.get(email="moderator@example.com")
    for user in (client, freelancer, moderator):
        assert user.check_password("proofwork-demo")
    assert client.is_client and client.client_profile.is_complete
    assert freelancer.is_freelancer and freelancer.freelancer_profile.is_complete
    assert moderator.is_staff and moderator.has_perm("accounts.moderate")
    secret_line = next(line for line in first.splitlines() if "two-factor secret" in line)
    call_command("seed_demo", "--print-moderator-secret")
    assert secret_line.split()[-1] in capsys.readouterr().out  # the same secret every time


def _without_clock(output: str) -> list[str]:
    # The TOTP code of the moment and the count of new accounts are the only lines allowed to differ.
    return [line for line in output.splitlines() if "Code right now" not in line and "Demo data ready" not in line]


def test_a_second_run_changes_nothing_and_prints_the_same_logins(capsys, django_assert_max_num_queries):
    call_command("seed_demo", "--migrate")
    first = capsys.readouterr().out
    users = {(user.email, user.is_client, user.is_freelancer, user.is_staff) for user in User.objects.all()}
    # when the command runs again on the seeded database
    with django_assert_max_num_queries(15):
        call_command("seed_demo", "--migrate")
    second = capsys.readouterr().out
    # then it writes nothing, says so, and prints the same logins, secret and recovery codes
    assert "Demo data ready (0 new accounts)." in second
    assert _without_clock(second) == _without_clock(first)
    for email in ("client@example.com", "freelancer@example.com", "moderator@example.com"):
        assert email in second
    assert "proofwork-demo" in second
    assert {(user.email, user.is_client, user.is_freelancer, user.is_staff) for user in User.objects.all()} == users


def test_a_demo_account_that_lost_its_role_gets_it_back(capsys):
    call_command("seed_demo")
    User.objects.filter(email="client@example.com").update(is_client=False)
    Project.objects.filter(title="Patient-record import from a new EHR partner").delete()
    call_command("seed_demo")
    assert User.objects.get(email="client@example.com").is_client
    assert Project.objects.filter(title="Patient-record import from a new EHR partner").exists()
    assert money_problems() == []


def test_every_seeded_login_is_in_the_readme_table_and_the_printed_logins(capsys):
    from pathlib import Path

    call_command("seed_demo")
    printed = capsys.readouterr().out
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    table = readme.split("### Demo logins", 1)[1].split("\n\n`make run`", 1)[0]
    rows = {line.split("`")[1] for line in table.splitlines() if line.startswith("| `")}
    # every account the demo creates (the people in its contracts and proposals too) can be signed in to
    seeded = set(User.objects.values_list("email", flat=True))
    assert seeded == rows
    assert all(email in printed for email in seeded)
