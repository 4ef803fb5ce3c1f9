"""Two-way reviews after a contract ends, in two browsers side by side: the freelancer's on a
laptop, the client's on a 390 px phone.

The client and the freelancer of the other journeys finish a one-milestone contract; hiring,
funding, delivering and approving are made through the services (the Escrow journey does them in
the browser), and the client ends the contract from its page. The freelancer reviews first and is
told their review waits for the client's; the client is told they were reviewed but cannot read
it, and writes theirs. Both reviews are then public: on the contract page, on the freelancer's
profile (with the Track record) and on the client's page; and the client's record on their next
project shows the review and rating the freelancer gave.

Only what the pages show is read: headings, messages, figures. The client's phone never scrolls
sideways on the review form, the contract page or either profile, even with a long link in a
review; a <script> tag written in a review is shown as text.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from playwright.sync_api import Page, expect

from contracts.models import Contract, Offer
from contracts.services import milestone_approve, milestone_fund, milestone_submit, offer_accept
from marketplace.services import MilestoneTerms, proposal_hire
from tests.e2e.test_dispute_pages_fit_a_phone import PHONE
from tests.e2e.test_market_journey import (
    CLIENT_COMPANY,
    CLIENT_NAME,
    CLIENT_ZONE,
    FREELANCER_NAME,
    FREELANCER_ZONE,
    fact,
    long_date,
    open_menu,
    side_by_side,
    the_pair,
)
from tests.e2e.test_signup_journeys import label
from tests.marketplace.factories import in_days, open_project, submit_proposal

TITLE = "Move the booking pages of our clinics to Django 5"
MILESTONE = "Booking pages on Django 5"
NEXT_TITLE = "Add SMS reminders to the clinic bookings"
LINK = "https://staging.northwind.example/notes/booking-pages-load-times-before-and-after-the-django-5-upgrade"
FREELANCER_COMMENT = (
    "A clear brief and quick answers; Grace paid the milestone the day the work was delivered.\n"
    f"The notes I left for the team: {LINK}\n"
    "I would work with Northwind again."
)
CLIENT_COMMENT = (
    "Careful work, delivered a little late. Ada also found the <script>alert('hi')</script> tag "
    "an old plugin injected into every page, and removed it."
)
WAITING = "Thank you. Your review is published with theirs, or when the review time ends."
BOTH_PUBLISHED = "Thank you. Both reviews are published now: theirs is below."


def phone_width(page: Page) -> int:
    """How wide the page is laid out, scrolling included (not read from the CSS)."""
    return page.evaluate("document.documentElement.scrollWidth")


def reviews_box(page: Page):
    return page.get_by_role("region", name="Reviews", exact=True)


def rate(page: Page, stars: dict[str, str], comment: str) -> None:
    """The review form: each rating chosen by its label ("5 stars"), then the public comment."""
    for question, answer in stars.items():
        page.get_by_label(label(question)).select_option(label=answer)
    page.get_by_label(label("Your public review")).fill(comment)


def a_finished_contract(client_user, freelancer_user) -> Contract:
    """Hired, funded, delivered and approved through the services: $800 released, nothing held."""
    project = open_project(
        client=client_user,
        title=TITLE,
        summary="Upgrade the booking pages from Django 3.2 and keep every booking working.",
        budget_min_cents=800_00,
        budget_max_cents=800_00,
        duration_days=14,
    )
    proposal = submit_proposal(
        project=project,
        freelancer=freelancer_user,
        bid_cents=800_00,
        duration_days=14,
        milestones=[MilestoneTerms(title=MILESTONE, amount_cents=800_00, due_date=in_days(10))],
    )
    proposal_hire(proposal=proposal, by=client_user)
    contract = offer_accept(offer=Offer.objects.get(proposal=proposal), by=freelancer_user)
    milestone = contract.milestones.get()
    milestone_fund(milestone=milestone, by=client_user)
    milestone_submit(milestone=milestone, by=freelancer_user, message="The booking pages run on Django 5.")
    milestone_approve(milestone=milestone, by=client_user)
    return contract


def test_both_sides_review_and_the_figures_follow(open_browser):
    client_user, freelancer_user = the_pair()
    contract = a_finished_contract(client_user, freelancer_user)
    client, freelancer = side_by_side(open_browser)
    client.set_viewport_size(PHONE)
    console_errors = []
    for page in (client, freelancer):
        page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)

    # 1. The client ends the contract from its page, on the phone. ---------------------------------
    open_menu(client).get_by_role("link", name="Contracts").click()
    client.get_by_role("link", name=TITLE).click()
    expect(client.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    expect(fact(client.get_by_role("region", name="Money"), "Released")).to_have_text("$800.00")
    expect(reviews_box(client)).to_have_count(0)
    client.get_by_role("link", name="End contract…").click()
    expect(client.get_by_role("region", name="What happens")).to_contain_text("completed")
    client.get_by_label("The work is completed").check()
    client.get_by_role("button", name="End the contract").click()
    expect(client.get_by_text("The contract has ended (completed).")).to_be_visible()
    contract.refresh_from_db()
    closes = contract.ended_at + timedelta(days=settings.REVIEW_WINDOW_DAYS)
    expect(reviews_box(client)).to_contain_text(
        f"How did it go? You have until {long_date(closes.astimezone(CLIENT_ZONE))}."
    )

    # 2. The freelancer reviews first, and is told the review waits for the client's. -------------
    freelancer.goto(contract.get_absolute_url())
    reviews = reviews_box(freelancer)
    expect(reviews).to_contain_text(
        f"How did it go? You have until {long_date(closes.astimezone(FREELANCER_ZONE))}. "
        "Neither of you reads the other's review before writing your own."
    )
    reviews.get_by_role("link", name="Write your review").click()
    expect(freelancer.get_by_role("heading", level=1, name=f"Review {CLIENT_NAME}")).to_be_visible()
    expect(freelancer.get_by_text(f"For “{TITLE}”. {CLIENT_NAME} does not read your review")).to_be_visible()
    # a review with no stars and no words is refused, and says why
    freelancer.get_by_role("button", name="Send my review").click()
    expect(freelancer.get_by_role("alert")).to_have_text("Nothing was sent: see below.")
    expect(freelancer.get_by_text("Write a few words others can read.")).to_be_visible()
    console_errors.clear()  # the browser logs the refused form's 400 status
    rate(
        freelancer,
        {
            "Overall": "5 stars",
            "Clarity of the scope": "4 stars",
            "Communication": "5 stars",
            "Paying on time": "5 stars",
        },
        FREELANCER_COMMENT,
    )
    freelancer.get_by_label(label("Private feedback (optional)")).fill("The staging server was down for two days.")
    freelancer.get_by_role("button", name="Send my review").click()

    expect(freelancer.get_by_text(WAITING)).to_be_visible()
    reviews = reviews_box(freelancer)
    expect(reviews).to_contain_text(
        "You reviewed this contract. Your review is published together with theirs, "
        f"or on {long_date(closes.astimezone(FREELANCER_ZONE))} when the review time ends."
    )
    expect(reviews).to_contain_text("You gave 5 stars: “A clear brief and quick answers;")
    expect(reviews.get_by_role("heading", name="Their review of you")).to_have_count(0)
    expect(reviews.get_by_role("link", name="Write your review")).to_have_count(0)

    # 3. The client hears they were reviewed, but cannot read it before writing theirs. -----------
    open_menu(client).get_by_role("link", name="Notifications").click()
    waiting = client.get_by_role("listitem").filter(
        has_text=f"{FREELANCER_NAME} reviewed your work together on “{TITLE}”"
    )
    expect(waiting).to_contain_text("Write your review of them to read theirs: both are published together")
    waiting.get_by_role("button", name="Open").click()
    expect(client.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    reviews = reviews_box(client)
    expect(reviews).to_contain_text("They reviewed you already: write yours by")
    expect(client.get_by_text("A clear brief and quick answers")).to_have_count(0)
    expect(reviews.get_by_role("heading", name="Their review of you")).to_have_count(0)

    reviews.get_by_role("link", name="Write your review").click()
    expect(client.get_by_role("heading", level=1, name=f"Review {FREELANCER_NAME}")).to_be_visible()
    assert phone_width(client) <= PHONE["width"]
    rate(
        client,
        {
            "Overall": "4 stars",
            "Quality of the work": "5 stars",
            "Communication": "4 stars",
            "Timeliness": "3 stars",
            "Expertise": "5 stars",
        },
        CLIENT_COMMENT,
    )
    client.get_by_role("button", name="Send my review").click()

    # 4. Both reviews are published at once: each reads the other's on the contract page. ---------
    expect(client.get_by_text(BOTH_PUBLISHED)).to_be_visible()
    reviews = reviews_box(client)
    expect(reviews).to_contain_text("Your review is published.")
    expect(reviews.get_by_role("heading", name="Their review of you")).to_be_visible()
    theirs = reviews.locator("p", has=client.get_by_label("5 out of 5 stars"))
    expect(theirs).to_have_text(f"5 / 5 — “{FREELANCER_COMMENT}”", use_inner_text=True)
    assert phone_width(client) <= PHONE["width"]  # the long link wraps

    freelancer.reload()
    reviews = reviews_box(freelancer)
    expect(reviews).to_contain_text("Your review is published.")
    theirs = reviews.locator("p", has=freelancer.get_by_label("4 out of 5 stars"))
    expect(theirs).to_have_text(f"4 / 5 — “{CLIENT_COMMENT}”")

    # 5. The freelancer's profile: the client's review, as text, and the Track record. -----------
    client.goto(freelancer_user.freelancer_profile.get_absolute_url())
    expect(client.get_by_role("heading", level=1, name=FREELANCER_NAME)).to_be_visible()
    from_clients = client.get_by_role("region", name="Reviews from clients")
    review = from_clients.get_by_role("listitem")
    expect(review).to_have_count(1)
    expect(review.get_by_label("4 out of 5 stars")).to_have_text("4 / 5")
    expect(review).to_contain_text(CLIENT_NAME)
    expect(review.locator(".pre-line")).to_have_text(CLIENT_COMMENT)
    track = client.get_by_role("region", name="Track record")
    expect(fact(track, "Rating")).to_contain_text("New 1 rating so far")
    expect(fact(track, "Job success")).to_contain_text("New 1 rated contract so far")
    expect(track.get_by_role("img", name="Ratings: 0 of 5 stars, 1 of 4 stars, 0 of 3 stars")).to_be_visible()
    expect(track).to_contain_text("1 published rating.")
    assert phone_width(client) <= PHONE["width"]

    # 6. The client's page: the freelancer's review of them. -------------------------------------
    freelancer.goto(client_user.client_profile.get_absolute_url())
    expect(freelancer.get_by_role("heading", level=1, name=CLIENT_COMPANY)).to_be_visible()
    said = freelancer.get_by_role("region", name="What freelancers said")
    expect(said.get_by_label("5 out of 5 stars")).to_have_text("5 / 5")
    expect(said.get_by_role("listitem")).to_contain_text(FREELANCER_NAME)
    expect(said.locator(".pre-line")).to_have_text(FREELANCER_COMMENT, use_inner_text=True)
    client.goto(client_user.client_profile.get_absolute_url())
    expect(client.get_by_text("This is how freelancers see your pitch.")).to_be_visible()
    expect(client.get_by_role("region", name="What freelancers said").locator(".pre-line")).to_have_text(
        FREELANCER_COMMENT, use_inner_text=True
    )
    assert phone_width(client) <= PHONE["width"]

    # 7. The client's next project: its record shows the review and the rating from this contract.
    next_project = open_project(client=client_user, title=NEXT_TITLE)
    freelancer.goto(next_project.get_absolute_url())
    expect(freelancer.get_by_role("heading", level=1, name=NEXT_TITLE)).to_be_visible()
    record = freelancer.get_by_role("region", name="About this client")
    expect(fact(record, "Hires")).to_have_text("1")
    expect(fact(record, "Total spent")).to_have_text("$800.00")
    expect(fact(record, "Reviews from freelancers")).to_have_text("1")
    expect(fact(record, "Rating from freelancers")).to_contain_text("New 1 rating so far")
    expect(record.get_by_role("img", name="Ratings: 1 of 5 stars, 0 of 4 stars")).to_be_visible()
    expect(record).to_contain_text("1 published rating.")
    freelancer.screenshot(path="/tmp/reviews_journey_next_project.png", full_page=True)

    assert console_errors == []
