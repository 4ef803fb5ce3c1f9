"""The Moderators group: staff in it moderate, and read in the admin what they moderate, without
changing or deleting anything there."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.urls import reverse

from config.moderators import MODERATORS, moderators_group
from tests.factories import UserFactory
from tests.helpers import browser_for
from tests.marketplace.factories import open_project

pytestmark = pytest.mark.django_db

MODERATED = ["Projects", "Reviews", "Conversations", "Messages", "Users", "Disputes", "Reports"]


def test_migrate_leaves_a_moderators_group_that_views_what_it_moderates_and_changes_nothing():
    # given the database as migrate leaves it
    group = Group.objects.get(name=MODERATORS)
    codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
    # then the group moderates and views projects, reviews, messages, users, disputes and reports
    assert codenames == {
        ("accounts", "moderate"),
        ("accounts", "view_user"),
        ("accounts", "view_report"),
        ("marketplace", "view_project"),
        ("messaging", "view_conversation"),
        ("messaging", "view_message"),
        ("contracts", "view_dispute"),
        ("reviews", "view_review"),
    }
    # and calling it again changes nothing
    assert moderators_group().pk == group.pk and group.permissions.count() == len(codenames)


def test_a_moderator_in_the_group_reads_the_admin_but_cannot_change_there():
    # given a staff member in the Moderators group, signed in with their second factor
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(moderators_group())
    TOTP.activate(moderator, generate_totp_secret())
    browser = browser_for(moderator)
    project = open_project()
    # when they open the admin
    page = browser.get("/admin/").content.decode()
    # then it lists what they moderate, not "You don't have permission to view or edit anything"
    assert "permission to view or edit anything" not in page
    assert 'rel="icon" href="/static/img/favicon.svg"' in page  # the site's icon, not a 404 for /favicon.ico
    assert [name for name in MODERATED if f">{name}<" in page] == list(MODERATED)
    # and they read a project and a member, read-only
    assert browser.get(reverse("admin:marketplace_project_change", args=[project.pk])).status_code == 200
    member = project.client
    assert browser.get(reverse("admin:accounts_user_change", args=[member.pk])).status_code == 200
    response = browser.post(reverse("admin:accounts_user_change", args=[member.pk]), {"email": "x@example.com"})
    assert response.status_code == 403
    assert browser.post(reverse("admin:accounts_user_delete", args=[member.pk]), {"post": "yes"}).status_code == 403
    member.refresh_from_db()
    assert member.email != "x@example.com"
    assert moderator.has_perm("accounts.moderate") and not moderator.has_perm("accounts.change_user")
    # and they reach the moderation area through the group alone
    assert browser.get(reverse("moderation_home")).status_code == 200


def test_the_readmes_createsuperuser_makes_an_admin_who_must_set_up_two_factor(monkeypatch):
    from pathlib import Path

    from django.conf import settings
    from django.core.management import call_command

    from accounts.models import User

    # given the command the README gives for a superuser
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    assert "manage.py createsuperuser" in readme
    # when it is run (here without prompts: the email and password it would ask for)
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long admin passphrase 42")
    call_command("createsuperuser", interactive=False, email="admin@example.com", verbosity=0)
    # then there is a superuser, and the admin first sends them to set up two-factor authentication
    admin = User.objects.get(email="admin@example.com")
    assert admin.is_superuser and admin.is_staff
    response = browser_for(admin).get("/admin/")
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")
