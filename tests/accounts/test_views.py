import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import ClientProfile, FreelancerProfile, PortfolioItem, Skill, User
from notifications.models import Notification
from tests.factories import (
    PASSWORD,
    ClientProfileFactory,
    FreelancerProfileFactory,
    PortfolioItemFactory,
    UserFactory,
    image_upload,
)
from tests.helpers import browser_for

pytestmark = pytest.mark.django_db


def freelancer_form(**overrides):
    data = {
        "full_name": "Priya Raman",
        "country": "IN",
        "timezone": "Asia/Kolkata",
        "headline": "Django developer",
        "bio": "Line one\nLine two",
        "hourly_rate": "72.50",
        "availability": "part_time",
        "skills": [s.pk for s in Skill.objects.filter(name__in=["Django", "Python"])],
    }
    data.update(overrides)
    return data


def client_form(**overrides):
    data = {
        "full_name": "Maya Okafor",
        "country": "GB",
        "timezone": "Europe/London",
        "company_name": "Lumen Health",
        "website": "https://lumen.example.com",
        "team_size": "11-50",
        "about_team": "Clinicians and engineers.",
        "vision": "Every clinic online.",
        "values": "Pay on time.",
    }
    data.update(overrides)
    return data


def test_signup_sends_confirmation_and_confirming_leads_to_role_choice(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the email goes out after commit
        response = client.post(
            reverse("account_signup"),
            {"email": "new@example.com", "password1": "a-long-unusual-pass", "password2": "a-long-unusual-pass"},
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    link = next(word for word in body.split() if "/accounts/confirm-email/" in word)
    path = link.split("testserver", 1)[1]
    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == reverse("onboarding")
    assert EmailAddress.objects.get(email="new@example.com").verified
    page = client.get(reverse("onboarding"))
    assert "What brings you to Proofwork?" in page.text
    # and confirming the address one signed up with is not reported as a change of address
    assert not Notification.objects.filter(kind="account.security").exists()


def test_sign_up_names_a_bad_email_a_weak_password_and_a_mismatch_at_once(client):
    response = client.post(reverse("account_signup"), {"email": "not-an-email", "password1": "123", "password2": "456"})
    form = response.context["form"]
    assert set(form.errors) == {"email", "password1", "password2"}
    assert form.errors["password2"] == ["You must type the same password each time."]
    assert not EmailAddress.objects.exists()


def test_sign_up_pages_and_the_confirmation_email_use_the_sites_wording(client, django_capture_on_commit_callbacks):
    # the sign-up and sign-in pages say "Sign up" and "Sign in", never allauth's "Signup" / "Sign Up"
    for name in ("account_signup", "account_login"):
        page = client.get(reverse(name)).content.decode()
        assert "Sign up" in page and "Signup" not in page and "Sign Up" not in page and "Sign In" not in page
    # the confirmation email says what to do and why, with the link
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {"email": "new@example.com", "password1": "a-long-unusual-pass", "password2": "a-long-unusual-pass"},
            follow=True,
        )
    page = response.content.decode()
    assert "Check your email" in page and "Verify Your Email Address" not in page and "signup process" not in page
    (email,) = mail.outbox
    assert email.subject == "[Proofwork] Confirm your email address to finish signing up"
    assert "To confirm your email address and open your account, follow this link:" in email.body
    assert "If you did not sign up for Proofwork, ignore this email" in email.body
    assert "user" not in email.body.split("follow this link")[0].lower() and "testserver" in email.body
    # and the page the link opens asks plainly, without "an email address for user …"
    link = next(word for word in email.body.split() if "/accounts/confirm-email/" in word)
    page = client.get(link.split("testserver", 1)[1]).content.decode()
    assert "Confirm that new@example.com is your email address" in page
    assert "for user" not in page
    client.force_login(UserFactory())
    assert "Sign Out" not in client.get(reverse("account_logout")).content.decode()


def test_signup_with_a_taken_email_gets_no_new_account(client):
    UserFactory(email="taken@example.com")
    client.post(
        reverse("account_signup"),
        {"email": "taken@example.com", "password1": "a-long-unusual-pass", "password2": "a-long-unusual-pass"},
    )
    assert User.objects.filter(email="taken@example.com").count() == 1


def test_signup_with_a_weak_password_shows_the_reason(client):
    response = client.post(
        reverse("account_signup"), {"email": "weak@example.com", "password1": "password", "password2": "password"}
    )
    assert response.status_code == 200
    assert "too common" in response.text or "too short" in response.text
    assert not User.objects.filter(email="weak@example.com").exists()


def test_new_user_without_a_role_is_sent_to_choose_one(client):
    client.force_login(UserFactory())
    response = client.get(reverse("dashboard"))
    assert response["Location"] == reverse("onboarding")


def test_choosing_a_role_with_nothing_ticked_shows_an_error(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("onboarding"), {})
    assert "Choose at least one" in response.text
    user.refresh_from_db()
    assert not user.has_chosen_role


def test_choosing_work_leads_to_the_freelancer_form(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("onboarding"), {"is_freelancer": "on"})
    assert response["Location"] == reverse("profile_freelancer_edit")


def test_freelancer_fills_profile_and_reads_it_in_public(client):
    user = UserFactory(is_freelancer=True)
    client.force_login(user)
    response = client.post(reverse("profile_freelancer_edit"), {**freelancer_form(), "avatar": image_upload("me.png")})
    assert response.status_code == 302
    client.logout()
    page = client.get(reverse("freelancer_public", args=[user.pk]))
    assert page.status_code == 200
    for text in ("Priya Raman", "Django developer", "$72.50/hr", "Python", "Less than 30 hrs/week"):
        assert text in page.text
    assert "Line one\nLine two" in page.text
    user.refresh_from_db()
    assert user.avatar.name.startswith("avatars/")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("bio", "x" * 5001, "at most 5000 characters"),
        ("hourly_rate", "0", "Enter a rate from $5 to $999 an hour."),
        ("hourly_rate", "12.345", "Enter at most two decimals (cents)"),
        ("headline", "", "Write a headline: clients read it first."),
        ("timezone", "Mars/Olympus", "Select a valid choice"),
    ],
)
def test_bad_freelancer_input_is_shown_next_to_the_field_and_saves_nothing(client, field, value, message):
    profile = FreelancerProfileFactory()
    client.force_login(profile.user)
    response = client.post(reverse("profile_freelancer_edit"), freelancer_form(**{field: value}))
    assert response.status_code == 200
    assert message in response.text
    assert "Nothing was saved" in response.text
    profile.refresh_from_db()
    assert profile.headline == "Django developer for payment-heavy products"


@pytest.mark.parametrize("value", ["1000", "99999", "1000000.5"])
def test_a_rate_over_the_limit_gets_one_error(client, value):
    # given a freelancer who types a rate over the top
    profile = FreelancerProfileFactory()
    client.force_login(profile.user)
    response = client.post(reverse("profile_freelancer_edit"), freelancer_form(hourly_rate=value))
    # then the field shows one error for the one mistake
    errors = response.context["form"].errors["hourly_rate"]
    assert errors == ["Enter a rate from $5 to $999 an hour."]


def test_an_avatar_that_is_not_an_image_is_refused(client):
    profile = FreelancerProfileFactory()
    client.force_login(profile.user)
    fake = SimpleUploadedFile("me.png", b"<html><script>alert(1)</script></html>", content_type="image/png")
    response = client.post(reverse("profile_freelancer_edit"), {**freelancer_form(), "avatar": fake})
    assert "not an image we can read" in response.text
    profile.user.refresh_from_db()
    assert not profile.user.avatar


def test_an_avatar_that_is_too_large_is_refused(client, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 1000
    profile = FreelancerProfileFactory()
    client.force_login(profile.user)
    response = client.post(
        reverse("profile_freelancer_edit"), {**freelancer_form(), "avatar": image_upload(size=(400, 400))}
    )
    assert "the limit is" in response.text
    profile.user.refresh_from_db()
    assert not profile.user.avatar


def test_an_svg_avatar_is_refused(client):
    profile = FreelancerProfileFactory()
    client.force_login(profile.user)
    svg = SimpleUploadedFile("me.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    response = client.post(reverse("profile_freelancer_edit"), {**freelancer_form(), "avatar": svg})
    assert "not an image we can read" in response.text


def test_client_fills_pitch_and_reads_it_in_public(client):
    user = UserFactory(is_client=True)
    client.force_login(user)
    response = client.post(reverse("profile_client_edit"), client_form())
    assert response.status_code == 302
    client.logout()
    page = client.get(reverse("client_public", args=[user.pk]))
    for text in ("Lumen Health", "Clinicians and engineers.", "Every clinic online.", "Pay on time.", "11–50 people"):
        assert text in page.text
    assert "Not known yet" in page.text  # trust figures say they are unknown rather than invent them


def test_javascript_website_is_refused_next_to_the_field(client):
    user = UserFactory(is_client=True)
    client.force_login(user)
    response = client.post(reverse("profile_client_edit"), client_form(website="javascript:alert(1)"))
    assert response.status_code == 200
    assert "Enter a valid URL" in response.text
    assert not ClientProfile.objects.filter(user=user, company_name="Lumen Health").exists()


def test_script_in_text_fields_renders_as_text(client):
    profile = ClientProfileFactory(about_team="<script>alert('x')</script>", company_name="<b>Bold</b>")
    page = client.get(reverse("client_public", args=[profile.user_id]))
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page.text
    assert "&lt;b&gt;Bold&lt;/b&gt;" in page.text


def test_incomplete_or_suspended_profiles_are_not_public(client):
    incomplete = FreelancerProfileFactory(headline="")
    suspended = FreelancerProfileFactory()
    User.objects.filter(pk=suspended.user_id).update(suspended_at="2026-01-01T00:00:00Z")
    assert client.get(reverse("freelancer_public", args=[incomplete.user_id])).status_code == 404
    assert client.get(reverse("freelancer_public", args=[suspended.user_id])).status_code == 404


def test_portfolio_item_with_javascript_link_is_refused(client):
    profile = FreelancerProfileFactory()
    client.force_login(profile.user)
    response = client.post(
        reverse("portfolio_item_create"), {"title": "Shop", "description": "", "url": "javascript:alert(1)"}
    )
    assert "Enter a valid URL" in response.text
    assert not PortfolioItem.objects.filter(profile=profile).exists()


def test_portfolio_item_with_image_shows_on_public_profile(client):
    profile = FreelancerProfileFactory()
    client.force_login(profile.user)
    response = client.post(
        reverse("portfolio_item_create"),
        {
            "title": "Clinic booking",
            "description": "Cut no-shows",
            "url": "https://x.example.com",
            "image": image_upload(),
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("freelancer_public", args=[profile.user_id]))
    assert "Clinic booking" in page.text and "/media/portfolio/" in page.text


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (SimpleUploadedFile("shot.png", b"<html><script>alert(1)</script></html>", "image/png"), "not an image"),
        (SimpleUploadedFile("shot.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"), "not an image"),
        ("too large", "the limit is"),
    ],
)
def test_a_portfolio_image_that_is_not_an_image_or_too_large_is_refused(client, settings, image, message):
    if image == "too large":
        settings.MAX_IMAGE_UPLOAD_BYTES = 1000
        image = image_upload(size=(400, 400))
    profile = FreelancerProfileFactory()
    client.force_login(profile.user)
    response = client.post(
        reverse("portfolio_item_create"),
        {"title": "Clinic booking", "description": "", "url": "https://x.example.com", "image": image},
    )
    assert response.status_code == 200
    assert message in response.text
    assert not PortfolioItem.objects.filter(profile=profile).exists()


def test_someone_elses_portfolio_item_is_not_found(client):
    item = PortfolioItemFactory()
    client.force_login(FreelancerProfileFactory().user)
    assert client.get(reverse("portfolio_item_edit", args=[item.pk])).status_code == 404
    assert client.post(reverse("portfolio_item_delete", args=[item.pk])).status_code == 404
    assert PortfolioItem.objects.filter(pk=item.pk).exists()


def test_owner_removes_portfolio_item(client):
    item = PortfolioItemFactory()
    client.force_login(item.profile.user)
    client.post(reverse("portfolio_item_delete", args=[item.pk]))
    assert not PortfolioItem.objects.filter(pk=item.pk).exists()


def test_dashboard_shows_next_steps_for_both_roles(client):
    user = UserFactory(is_client=True, is_freelancer=True)
    FreelancerProfile.objects.create(user=user)
    client.force_login(user)
    page = client.get(reverse("dashboard"))
    assert "No projects yet" in page.text
    assert "No proposals yet" in page.text
    assert "Hourly rate" in page.text  # the checklist of what is missing


def test_moderation_is_hidden_from_members(client):
    client.force_login(UserFactory())
    assert client.get(reverse("moderation_home")).status_code == 404
    assert client.get(reverse("moderation_members")).status_code == 404


def test_a_member_at_the_moderation_area_gets_the_sites_404_page_even_with_debug_on(client, settings):
    # given DEBUG on, as under `make run`
    settings.DEBUG = True
    client.force_login(UserFactory())
    for name in ("moderation_home", "moderation_members", "moderation_log"):
        # when a member opens a moderation page
        response = client.get(reverse(name))
        # then they get the site's own 404 page, not Django's technical one listing the URLconf
        assert response.status_code == 404
        assert "We can't find that page" in response.content.decode()
        assert "URLconf" not in response.content.decode()


def test_with_debug_on_any_missing_page_is_the_sites_404_and_the_api_stays_json(client, settings):
    from tests.contracts.factories import active_contract

    # given DEBUG on, as under `make run`, and a contract the member is no party to
    settings.DEBUG = True
    contract = active_contract()
    client.force_login(UserFactory())
    # when they open an address nothing answers, or the contract
    for path in ("/no-such-page/", "/contracts/not-a-number/", contract.get_absolute_url()):
        response = client.get(path)
        # then the site's own 404 page answers, not Django's technical one listing the URLconf
        assert response.status_code == 404, path
        assert "We can't find that page" in response.content.decode(), path
        assert "URLconf" not in response.content.decode(), path
    # and an address missing its final slash still leads to the page
    assert client.get("/contracts").status_code == 301
    # and the API still answers JSON
    response = client.get(f"/api/v1/contracts/{contract.pk}/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_a_form_only_address_opened_in_the_browser_is_a_site_page_not_an_empty_405(client):
    from tests.contracts.factories import active_contract, milestone_of

    contract = active_contract()
    client.force_login(contract.freelancer)
    # when a POST-only address is opened (a refresh after a failed form, a bookmark)
    response = client.get(reverse("notification_mark_all"))
    # then it says so in the site's own page, and nothing happened
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert "Nothing to show at this address" in response.content.decode()
    assert "Nothing was sent." in response.content.decode()
    # while the API keeps its JSON answer
    api = client.get(f"/api/v1/milestones/{milestone_of(contract).pk}/submit/")
    assert api.status_code == 405 and api["Content-Type"] == "application/json"


def test_staff_without_two_factor_are_sent_to_set_it_up(client):
    from django.contrib.auth.models import Permission

    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="moderate"))
    client.force_login(staff)
    for path in (reverse("moderation_home"), "/admin/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")


def test_a_moderator_signing_in_with_two_factor_lands_on_the_moderation_area(client, moderator):
    import time

    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
    from allauth.mfa.utils import decrypt

    # given a moderator who hires and works for nobody
    assert not moderator.has_chosen_role
    # when they sign in with their password and a code from their authenticator
    response = client.post(reverse("account_login"), {"login": moderator.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    secret = decrypt(Authenticator.objects.get(user=moderator, type=Authenticator.Type.TOTP).data["secret"])
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    # then they land on the moderation area, not the role chooser, and the dashboard sends them there too
    assert response["Location"] == reverse("moderation_home")
    assert client.get(reverse("moderation_home")).status_code == 200
    assert client.get(reverse("dashboard"))["Location"] == reverse("moderation_home")


def test_moderator_with_two_factor_suspends_a_member(moderator):
    member = UserFactory(email="spammer@example.com")
    client = browser_for(moderator)
    assert "spammer@example.com" in client.get(reverse("moderation_members"), {"q": "spammer"}).text
    response = client.post(reverse("moderation_member", args=[member.pk]), {"action": "suspend", "reason": "Spam"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.is_suspended


def test_admin_login_goes_through_allauth(client):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_uploaded_images_are_served_with_nosniff(client):
    profile = FreelancerProfileFactory()
    client.force_login(profile.user)
    client.post(reverse("profile_freelancer_edit"), {**freelancer_form(), "avatar": image_upload("me.png")})
    profile.user.refresh_from_db()
    response = client.get(profile.user.avatar.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.get("/media/../manage.py").status_code in (400, 404)  # never the file


def test_a_real_change_of_email_is_reported_to_the_account():
    from allauth.account.signals import email_changed

    user = UserFactory(email="old@example.com")
    old, _ = EmailAddress.objects.get_or_create(
        user=user, email="old@example.com", defaults={"verified": True, "primary": True}
    )
    new = EmailAddress.objects.create(user=user, email="new@example.com", verified=True, primary=False)
    email_changed.send(sender=User, request=None, user=user, from_email_address=old, to_email_address=new)
    (notice,) = Notification.objects.filter(recipient=user, kind="account.security")
    assert notice.title == "Your email address was changed"
    assert "from old@example.com to new@example.com" in notice.body


def test_allauth_names_people_by_their_name_or_email_never_a_made_up_username(client):
    UserFactory(email="newclient@example.org", full_name="")
    response = client.post(
        reverse("account_login"), {"login": "newclient@example.org", "password": PASSWORD}, follow=True
    )
    shown = response.content.decode()
    assert "Successfully signed in as newclient@example.org." in shown
    assert "as newclient." not in shown
