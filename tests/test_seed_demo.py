import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command

from accounts.models import PortfolioItem, User

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_the_three_logins_and_is_idempotent(capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    counts = (User.objects.count(), PortfolioItem.objects.count(), Authenticator.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), PortfolioItem.objects.count(), Authenticator.objects.count()) == counts
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
