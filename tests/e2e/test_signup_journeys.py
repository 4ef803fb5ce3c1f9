"""What a new person does in a real browser: sign up, confirm, choose a role, fill in a profile.

The tests read the pages the way a person does (headings, labels, messages) and only look at
the database to prove that rejected input was not saved.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from PIL import Image
from playwright.sync_api import Page, expect

from accounts.models import BIO_MAX_LENGTH, FreelancerProfile, PortfolioItem
from tests.factories import PASSWORD, FreelancerProfileFactory

STRONG_PASSWORD = "Quiet-lantern-orbit-1987"
CONFIRM_LINK = re.compile(r"https?://[^\s]+/accounts/confirm-email/[^\s]+")
SCRIPT_HEADLINE = "<script>window.__xss=1</script>"


def label(text: str) -> re.Pattern:
    """A whole label, with or without the colon Django's forms add ("Password:" but not "Password (again):")."""
    return re.compile(rf"^{re.escape(text)}:?$")


def sign_up_and_confirm(page: Page, mailoutbox, email: str) -> None:
    """From the home page to a confirmed, signed-in account on the onboarding page."""
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", name="Sign up")).to_be_visible()
    page.get_by_label(label("Email")).fill(email)
    page.get_by_label(label("Password")).fill(STRONG_PASSWORD)
    page.get_by_label("Password (again)").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    assert len(mailoutbox) == 1, [message.subject for message in mailoutbox]
    message = mailoutbox[0]
    assert message.to == [email]
    link = CONFIRM_LINK.search(message.body)
    assert link, f"no confirmation link in:\n{message.body}"
    # The email is written for the public site (https, its own host); open the same path here.
    parts = urlsplit(link.group(0))
    page.goto(parts.path + (f"?{parts.query}" if parts.query else ""))

    expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    expect(page.get_by_text(email).first).to_be_visible()
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="What brings you to Proofwork?")).to_be_visible()


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label(label("Email")).fill(email)
    page.get_by_label(label("Password")).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out", include_hidden=True)).to_be_attached()  # folded away on a phone


def log_out(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")).to_be_visible()


def png(path, size=(96, 96), colour=(30, 110, 200)):
    Image.new("RGB", size, colour).save(path, format="PNG")
    return path


def test_freelancer_signs_up_and_publishes_a_profile(page: Page, mailoutbox, tmp_path):
    sign_up_and_confirm(page, mailoutbox, "ada@example.com")

    page.get_by_label("I want to work").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Your freelancer profile")).to_be_visible()
    expect(page.get_by_text("Saved. Now tell people about yourself.")).to_be_visible()

    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Country").select_option(label="United Kingdom")
    page.get_by_label("Timezone").select_option(label="Europe/London")
    page.get_by_label("Headline").fill("Django developer for payment-heavy products")
    page.get_by_label("Bio").fill("I build and test Django apps.\nTen years of Python.")
    page.get_by_label("Hourly rate (USD)").fill("72.50")

    page.get_by_label("Find a skill").fill("Djan")
    expect(page.get_by_text("2 matching skills")).to_be_visible()
    expect(page.get_by_label("Flask", exact=True)).to_be_hidden()
    page.get_by_label("Django", exact=True).check()
    page.get_by_label("Find a skill").fill("")
    page.get_by_label("Python", exact=True).check()
    expect(page.get_by_role("group", name=re.compile(r"Skills \(2 chosen"))).to_be_visible()

    page.get_by_label("Avatar").set_input_files(png(tmp_path / "ada.png"))
    page.get_by_role("button", name="Save profile").click()

    expect(page.get_by_text("Your freelancer profile is saved.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/freelancers/\d+/$"))
    public_url = page.url
    page.screenshot(path="/tmp/freelancer_public.png", full_page=True)
    assert_public_freelancer_page(page)
    expect(page.get_by_text("This is how clients see your profile.")).to_be_visible()
    photo = page.get_by_role("img", name="Photo of Ada Lovelace")
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0"), "the profile photo did not load"

    log_out(page)
    # A visitor finds the new freelancer on the home page and reads the same profile.
    expect(page.get_by_role("heading", name="Freelancers on Proofwork")).to_be_visible()
    page.get_by_role("link", name="Ada Lovelace").click()
    expect(page).to_have_url(public_url)
    assert_public_freelancer_page(page)
    expect(page.get_by_text("This is how clients see your profile.")).to_have_count(0)


def assert_public_freelancer_page(page: Page) -> None:
    expect(page.get_by_role("heading", level=1, name="Ada Lovelace")).to_be_visible()
    expect(page.get_by_text("Django developer for payment-heavy products")).to_be_visible()
    expect(page.get_by_text("United Kingdom · Europe/London")).to_be_visible()
    about = page.get_by_role("region", name="About")
    # The line break the freelancer typed is still a line break.
    # innerText honours the stylesheet's white-space rule; the assertion retries until it has loaded.
    expect(about.get_by_role("paragraph")).to_have_text(
        "I build and test Django apps.\nTen years of Python.", use_inner_text=True
    )
    expect(page.get_by_text("$72.50/hr")).to_be_visible()
    skills = page.get_by_role("region", name="Skills")
    expect(skills).to_contain_text("Django")
    expect(skills).to_contain_text("Python")
    expect(skills).not_to_contain_text("Flask")


def test_client_signs_up_and_publishes_a_pitch(page: Page, mailoutbox):
    sign_up_and_confirm(page, mailoutbox, "grace@northwind.example")

    page.get_by_label("I want to hire").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Your client profile and pitch")).to_be_visible()

    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Country").select_option(label="Netherlands")
    page.get_by_label("Timezone").select_option(label="Europe/Amsterdam")
    page.get_by_label("Name or company").fill("Northwind Clinics")
    # People leave out the scheme; the form assumes https.
    page.get_by_label("Website").fill("northwind.example")
    page.get_by_label("Team size").select_option(label="11–50 people")
    page.get_by_label("About the team").fill("Six engineers and two designers.\nWe pair a lot.")
    page.get_by_label("Vision").fill("Clinics that run themselves.")
    page.get_by_label("Values").fill("Clear specs, quick feedback, no crunch.")
    page.get_by_role("button", name="Save profile").click()

    expect(page.get_by_text("Your client profile and pitch are saved.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/clients/\d+/$"))
    public_url = page.url
    assert_public_client_page(page)
    expect(page.get_by_text("This is how freelancers see your pitch.")).to_be_visible()

    log_out(page)
    page.goto(public_url)
    assert_public_client_page(page)
    expect(page.get_by_text("This is how freelancers see your pitch.")).to_have_count(0)


def assert_public_client_page(page: Page) -> None:
    expect(page.get_by_role("heading", level=1, name="Northwind Clinics")).to_be_visible()
    expect(page.get_by_text("11–50 people · Netherlands")).to_be_visible()
    expect(page.get_by_role("link", name="https://northwind.example")).to_be_visible()
    team = page.get_by_role("region", name="About the team")
    expect(team.get_by_role("paragraph")).to_have_text(
        "Six engineers and two designers.\nWe pair a lot.", use_inner_text=True
    )
    expect(page.get_by_role("region", name="Vision")).to_contain_text("Clinics that run themselves.")
    expect(page.get_by_role("region", name="Values")).to_contain_text("Clear specs, quick feedback, no crunch.")


def test_bad_profile_input_is_explained_next_to_the_field_and_not_saved(page: Page):
    profile = FreelancerProfileFactory()
    original_bio = profile.bio
    log_in(page, profile.user.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Freelancer profile").click()
    expect(page.get_by_role("heading", name="Your freelancer profile")).to_be_visible()

    # A portfolio link that would run script when a visitor clicks it.
    page.get_by_role("link", name="Add a portfolio item").click()
    expect(page.get_by_role("heading", name="Add a portfolio item")).to_be_visible()
    page.get_by_label("Title").fill("Payments dashboard")
    page.get_by_label("Link").fill("javascript:alert(1)")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_have_text("Please fix the problems marked below. Nothing was saved.")
    expect(page.get_by_text("Enter a valid URL.")).to_be_visible()
    link = page.get_by_label("Link")
    expect(link).to_have_accessible_description(re.compile("Enter a valid URL."))
    expect(link).to_have_value("javascript:alert(1)")
    assert not PortfolioItem.objects.exists()

    # A bio past the limit: the textarea stops typing at 5,000, so take the limit off as a
    # script or an old browser would.
    page.get_by_role("link", name="← Your profile").click()
    bio = page.get_by_label("Bio")
    bio.evaluate("el => el.removeAttribute('maxlength')")
    bio.fill("x" * (BIO_MAX_LENGTH + 1))
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("alert")).to_have_text("Please fix the problems marked below. Nothing was saved.")
    message = f"Ensure this value has at most {BIO_MAX_LENGTH} characters (it has {BIO_MAX_LENGTH + 1})."
    expect(page.get_by_text(message)).to_be_visible()
    expect(page.get_by_label("Bio")).to_have_accessible_description(re.compile(re.escape(message)))
    page.screenshot(path="/tmp/profile_errors.png", full_page=True)
    assert FreelancerProfile.objects.get(pk=profile.pk).bio == original_bio


def test_script_in_a_headline_is_shown_as_text(browser, site):
    profile = FreelancerProfileFactory()
    # The site's Content-Security-Policy would block an inline script anyway; switch it off in
    # this browser so the test proves the page escapes the headline, not only that CSP works.
    context = browser.new_context(base_url=site.url, bypass_csp=True)
    try:
        page = context.new_page()
        log_in(page, profile.user.email)
        page.goto("/profile/freelancer/")
        page.get_by_label("Headline").fill(SCRIPT_HEADLINE)
        page.get_by_role("button", name="Save profile").click()
        expect(page.get_by_text("Your freelancer profile is saved.")).to_be_visible()

        expect(page.get_by_text(SCRIPT_HEADLINE, exact=True)).to_be_visible()
        assert page.evaluate("typeof window.__xss") == "undefined"

        log_out(page)  # lands on the home page, which lists the newest freelancers
        expect(page.get_by_text(SCRIPT_HEADLINE, exact=True)).to_be_visible()
        assert page.evaluate("typeof window.__xss") == "undefined"
    finally:
        context.close()
