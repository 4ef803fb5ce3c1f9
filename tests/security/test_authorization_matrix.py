"""Who may reach what, for every route that takes an object id (the table is authz_table.ROUTES).

- an anonymous visitor: a page sends them to sign in, the API answers 401 (public reads listed);
- a signed-in stranger (a freelancer and a client with no part in the object): 404 for every
  method, the same answer as for an id that does not exist, and nothing changes;
- a party asking for what their role does not allow (a freelancer funding): refused with a
  message, a 403 or a 409, never a 500, and the ledger and every status are as they were;
- staff areas (/moderation/, /admin/): staff only, moderators only where it moderates, and only
  in a session that completed the second factor at sign-in.
"""

from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from allauth.mfa.utils import decrypt
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts.models import PortfolioItem
from contracts.models import Contract, MilestoneEdit, Offer
from marketplace.models import Interview, Invitation, Project, Proposal
from messaging.models import Message
from notifications.models import Notification
from tests.contracts.factories import money_snapshot
from tests.factories import PASSWORD, UserFactory
from tests.helpers import api_for, browser_for
from tests.marketplace.factories import new_client, new_freelancer
from tests.security.authz_table import ROUTES, id_routes, staff_routes

pytestmark = pytest.mark.django_db

MISSING_ID = 987_654_321
WATCHED = (Project, Proposal, Invitation, Interview, Offer, Contract, MilestoneEdit, Notification, PortfolioItem)


def state() -> dict:
    """Money, milestones and every status a route could change."""
    snapshot = money_snapshot()
    for model in WATCHED:
        snapshot[model.__name__] = list(model.objects.order_by("pk").values())
    snapshot["messages"] = Message.objects.count()
    return snapshot


def _is_api(key: str) -> bool:
    return key.startswith("api:")


def _methods(key: str) -> list[str]:
    _, pattern = id_routes()[key]
    if _is_api(key):
        return sorted(pattern.callback.actions)
    return ["get", "post"]


def _url(key: str, kwargs: dict) -> str:
    return reverse(key.removeprefix("api:"), kwargs=kwargs)


def _ask(key: str, user, method: str, url: str, data=None, api_format="json"):
    data = {name: value() if callable(value) else value for name, value in (data or {}).items()}
    if _is_api(key):
        return getattr(api_for(user), method)(url, data, format=api_format)
    browser = browser_for(user) if user is not None else Client()
    return getattr(browser, method)(url, data or {})


def _missing(kwargs: dict) -> dict:
    return {name: MISSING_ID for name in kwargs}


def _to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


KEYS = sorted(ROUTES)


def test_every_route_that_takes_an_id_is_in_the_matrix():
    in_urlconf, in_table = set(id_routes()), set(ROUTES)
    assert not in_urlconf - in_table, f"routes with an id but no row in authz_table.ROUTES: {in_urlconf - in_table}"
    assert not in_table - in_urlconf, f"rows of authz_table.ROUTES with no such route: {in_table - in_urlconf}"


@pytest.mark.parametrize("key", KEYS)
def test_outsiders_get_the_sign_in_page_or_a_404_and_change_nothing(key):
    row = ROUTES[key]
    made = row.build()
    url, missing = _url(key, made.kwargs), _url(key, _missing(made.kwargs))
    strangers = (new_freelancer(), new_client())
    before = state()
    for method in _methods(key):
        public = bool(row.public) and method == "get"
        # an anonymous visitor is sent to sign in (a page) or told to authenticate (the API)
        response = _ask(key, None, method, url)
        where = f"anonymous {method.upper()} {url}"
        if public:
            assert response.status_code in (200, 404), where
        elif row.public and response.status_code in (200, 404):
            pass  # a public page that ignores the method; nothing may change (checked below)
        elif response.status_code == 405:
            assert _ask(key, None, method, missing).status_code == 405, where
        elif _is_api(key):
            assert response.status_code == 401, f"{where}: {response.status_code}"
        else:
            assert _to_login(response), f"{where}: {response.status_code} {response.get('Location')}"
        # a signed-in stranger gets what an id that does not exist gets: a 404
        for stranger in strangers:
            response = _ask(key, stranger, method, url)
            absent = _ask(key, stranger, method, missing)
            where = f"a stranger's {method.upper()} {url}"
            if row.public or row.members:
                # a member's POST with no body may be refused as incomplete (400); it changes nothing
                assert response.status_code in ((200, 404) if public else (200, 302, 400, 403, 404, 405)), where
                continue
            # the same answer as for an id that does not exist: a 404, a 405 for a method the route
            # does not take, or the same redirect (a role's gate that comes before any lookup)
            assert (response.status_code, response.get("Location")) == (absent.status_code, absent.get("Location")), (
                f"{where}: {response.status_code} ≠ {absent.status_code}"
            )
            assert response.status_code in (302, 404, 405), f"{where}: {response.status_code}"
    assert state() == before


FORBIDDEN = [pytest.param(key, role, id=f"{key}-{role}") for key in KEYS for role in ROUTES[key].forbidden]


@pytest.mark.parametrize(("key", "role"), FORBIDDEN)
def test_a_party_is_refused_what_their_role_does_not_allow_and_nothing_moves(key, role):
    row = ROUTES[key]
    made = row.build()
    url = _url(key, made.kwargs)
    method = "post" if "post" in _methods(key) else _methods(key)[-1]
    before = state()
    response = _ask(key, made.parties[role], method, url, row.data, row.api_format)
    where = f"the {role}'s {method.upper()} {url}"
    # refused: an error status or a redirect with the error as a message (303: a failed form sent back
    # to its page, shown there on a GET); a 404 where the lookup is scoped to the role that may act
    # (the party knows the object, so it reveals nothing)
    if _is_api(key):
        assert response.status_code in (400, 403, 404, 409), f"{where}: {response.status_code} {response.content[:300]}"
    else:
        assert response.status_code in (302, 303, 400, 403, 404, 409), f"{where}: {response.status_code}"
    assert state() == before, where


# --- Staff areas ----------------------------------------------------------------------------------


def _staff(*, moderate: bool, totp: bool):
    user = UserFactory(is_staff=True)
    if moderate:
        user.user_permissions.add(Permission.objects.get(codename="moderate"))
    if totp:
        TOTP.activate(user, generate_totp_secret())
    return user


def _signed_in_with_second_factor(user) -> Client:
    """Password, then the authenticator code: the sign-in a moderator really does."""
    secret = decrypt(Authenticator.objects.get(user=user, type="totp").data["secret"])
    browser = Client()
    assert browser.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})["Location"] == reverse(
        "mfa_authenticate"
    )
    browser.post(reverse("mfa_authenticate"), {"code": format_hotp_value(hotp_value(secret, int(time.time()) // 30))})
    return browser


def _moderation_urls() -> list[str]:
    member = new_freelancer()
    return [reverse("moderation_home"), reverse("moderation_members"), reverse("moderation_member", args=[member.pk])]


def _refused(response) -> bool:
    return response.status_code in (302, 403, 404) and response.get("Location", "") != response.request["PATH_INFO"]


def test_a_moderator_who_completed_the_second_factor_reaches_moderation_and_the_admin():
    browser = _signed_in_with_second_factor(_staff(moderate=True, totp=True))
    for url in [*_moderation_urls(), "/admin/"]:
        assert browser.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["stranger", "staff-without-moderation"])
def test_moderation_is_a_404_to_anyone_but_a_moderator(who):
    user = new_freelancer() if who == "stranger" else _staff(moderate=False, totp=True)
    browser = _signed_in_with_second_factor(user) if who != "stranger" else browser_for(user)
    for url in _moderation_urls():
        assert browser.get(url).status_code == 404, url


def test_staff_without_an_authenticator_are_sent_to_set_one_up():
    browser = browser_for(_staff(moderate=True, totp=False))
    for url in [*_moderation_urls(), "/admin/"]:
        response = browser.get(url)
        assert (response.status_code, response["Location"]) == (302, reverse("mfa_activate_totp")), url


def test_a_staff_session_that_skipped_the_second_factor_is_refused_the_staff_areas():
    # a moderator with an authenticator, in a session that never entered its code
    browser = Client()
    browser.force_login(_staff(moderate=True, totp=True))
    for url in [*_moderation_urls(), "/admin/", "/admin/accounts/user/"]:
        assert _refused(browser.get(url)), url


ADMIN_KEYS = sorted(staff_routes())


def _admin_url(key: str, pk: int) -> str:
    return reverse(key, kwargs=dict.fromkeys(staff_routes()[key], str(pk)))


def test_every_admin_page_with_an_id_sends_outsiders_to_the_admin_sign_in():
    member = new_freelancer()
    anonymous, stranger = Client(), browser_for(new_client())
    not_staff = []
    for key in ADMIN_KEYS:
        url = _admin_url(key, member.pk)
        for who, browser in (("anonymous", anonymous), ("a signed-in non-staff member", stranger)):
            response = browser.get(url)
            if not (response.status_code == 302 and "/login/" in response["Location"]):
                not_staff.append(f"{who}: GET {url} → {response.status_code}")
    assert not_staff == []
