"""A paid test project from posting to hire, in two browsers side by side: the client's and the freelancer's.

Both people log in through the real login form and only read what the pages show them (headings,
messages, money, dates, times). The database is consulted once, to prove that a refused proposal
was not saved.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from accounts.models import User
from marketplace.models import Project, Proposal
from tests.e2e.test_signup_journeys import label, log_in
from tests.factories import ClientProfileFactory, FreelancerProfileFactory
from tests.marketplace.factories import open_project

CLIENT_EMAIL = "grace@northwind.example"
CLIENT_NAME = "Grace Hopper"
CLIENT_COMPANY = "Northwind Clinics"
CLIENT_ZONE = ZoneInfo("Europe/Amsterdam")
FREELANCER_EMAIL = "ada@example.com"
FREELANCER_NAME = "Ada Lovelace"
FREELANCER_ZONE = ZoneInfo("Europe/London")

TITLE = "Speed up the checkout of our Django shop"
SEARCH_WORD = "checkout"
SUMMARY = "Our checkout takes six seconds to load. Find out why and fix the worst of it."
DESCRIPTION = "A Django 5 shop with about 2,000 orders a day.\nThe checkout page runs 400 queries."
ACCEPTANCE = "The checkout page loads in under one second on the staging copy, and the test suite passes."
FOLLOW_ON = "A three-month contract to rebuild the rest of the order flow."
QUESTION = "Which profiler would you use first, and why?"
ANSWER = "django-silk on the staging copy: it shows the duplicated queries per request."
COVER_LETTER = "I have cut page loads like this one before.\nI start with a profile, then fix the worst queries."
MILESTONE = "Profiling report and query fixes"
MESSAGE = "Thanks for the proposal! Can you start on Monday?"
REPLY = "Yes, Monday works. I will send the profiling report by Wednesday."


def nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")


def menu_button(page: Page) -> Locator:
    """On a phone the navigation is folded behind this button in the header."""
    return page.get_by_role("banner").get_by_role("button", name=re.compile(r"^Menu"))


def open_menu(page: Page) -> Locator:
    """The navigation on a phone, opened with the header's menu button."""
    expect(menu_button(page)).to_have_attribute("aria-expanded", "false")
    menu_button(page).click()
    expect(nav(page)).to_be_visible()
    return nav(page)


def fact(scope: Locator, term: str) -> Locator:
    """The value next to a term in a list of facts (<dt>Budget</dt><dd>$300.00</dd>)."""
    return scope.locator("dt", has_text=re.compile(rf"^{re.escape(term)}$")).locator("xpath=following-sibling::dd[1]")


def long_date(day) -> str:
    """A date the way the pages write it: 12 Mar 2026."""
    return f"{day.day} {day:%b %Y}"


def slot_text(moment: datetime, zone: ZoneInfo) -> tuple[str, str]:
    """An interview time as the page reads it to someone in `zone`: ("Thursday 12 March 2026", "14:00 GMT")."""
    local = moment.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y}", f"{local:%H:%M %Z}"


def the_pair(**freelancer_profile) -> tuple[User, User]:
    """The client and the freelancer of both journeys, with their names and time zones."""
    client = ClientProfileFactory(
        company_name=CLIENT_COMPANY,
        user__email=CLIENT_EMAIL,
        user__full_name=CLIENT_NAME,
        user__timezone=str(CLIENT_ZONE),
    ).user
    freelancer = FreelancerProfileFactory(
        user__email=FREELANCER_EMAIL,
        user__full_name=FREELANCER_NAME,
        user__timezone=str(FREELANCER_ZONE),
        **freelancer_profile,
    ).user
    return client, freelancer


def side_by_side(open_browser) -> tuple[Page, Page]:
    """The client's browser and the freelancer's, each signed in through the login form."""
    client, freelancer = open_browser(), open_browser()
    log_in(client, CLIENT_EMAIL)
    log_in(freelancer, FREELANCER_EMAIL)
    return client, freelancer


def terms_to_hire(client: Page, *, project: str, amount: str, duration: str, milestones) -> Locator:
    """From a proposal page to the hire page: the terms the client is asked to agree to, each one checked.

    `milestones` are (title, amount, due date) as the table of terms shows them."""
    client.get_by_role("link", name=f"Hire {FREELANCER_NAME}").click()
    expect(client.get_by_role("heading", level=1, name=f"Hire {FREELANCER_NAME}?")).to_be_visible()
    terms = client.get_by_role("region", name="The terms you are agreeing to")
    for term, value in (("Project", project), ("Amount", amount), ("Duration", duration)):
        expect(fact(terms, term)).to_have_text(value)
    for title, price, due in milestones:
        expect(terms.get_by_role("row", name=title)).to_have_text(
            re.compile(rf"{re.escape(title)}\s*{re.escape(price)}\s*{long_date(due)}")
        )
    return terms


def test_paid_test_project_from_posting_to_hire(open_browser):
    the_pair()
    # Two other open projects the search must leave out: a standard one with the search word in its
    # title, and a paid test without it.
    open_project(title="Checkout redesign for a bakery")
    open_project(kind=Project.Kind.TEST, title="Profile the slow pages of a clinic app")

    today = timezone.localdate()
    apply_by = today + timedelta(days=10)
    due = today + timedelta(days=7)

    client, freelancer = side_by_side(open_browser)

    # 1. The client posts a paid test project, previews the draft and publishes it. ---------------
    nav(client).get_by_role("link", name="Post a project").click()
    expect(client.get_by_role("heading", level=1, name="Post a project")).to_be_visible()
    client.get_by_role("link", name=re.compile("Paid test project")).click()
    expect(client.get_by_role("heading", level=1, name="Post a paid test project")).to_be_visible()

    client.get_by_label(label("Title")).fill(TITLE)
    client.get_by_label(label("Summary")).fill(SUMMARY)
    client.get_by_label(label("Description")).fill(DESCRIPTION)
    client.get_by_label(label("Category")).select_option(label="Web & Software Development")
    client.get_by_label(label("Acceptance criteria (required)")).fill(ACCEPTANCE)
    client.get_by_label("If this goes well, I plan to offer…").fill(FOLLOW_ON)
    client.get_by_label("Find a skill").fill("Djan")
    expect(client.get_by_text("2 matching skills")).to_be_visible()
    expect(client.get_by_label("Flask", exact=True)).to_be_hidden()
    client.get_by_label("Django", exact=True).check()
    expect(client.get_by_role("group", name=re.compile(r"^Skills \(1 chosen"))).to_be_visible()
    client.get_by_label(label("Fixed price (USD)")).fill("300")
    client.get_by_label(label("Expected duration (days)")).fill("7")
    client.get_by_label(label("Deadline to apply")).fill(apply_by.isoformat())
    client.get_by_label(label("Question 1")).fill(QUESTION)
    expect(client.get_by_label("Required answer to question 1")).to_be_checked()
    client.get_by_role("button", name="Save draft and preview").click()

    expect(client.get_by_text("Your draft is saved. Check it below, then publish it.")).to_be_visible()
    draft = client.get_by_role("region", name="Draft — only you can see this")
    expect(fact(draft, "Budget")).to_have_text("$300.00 fixed price")
    expect(fact(draft, "Freelancers can apply until")).to_contain_text(long_date(apply_by))
    expect(fact(draft, "Closes by itself")).to_contain_text("if you publish today")
    expect(client.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    expect(client.get_by_role("region", name="Paid test project")).to_contain_text(ACCEPTANCE)
    client.screenshot(path="/tmp/journey_1_draft_preview.png", full_page=True)
    draft.get_by_role("button", name="Publish").click()

    expect(client.get_by_text(f"Published. Freelancers can propose until {long_date(apply_by)}.")).to_be_visible()
    expect(client.get_by_role("region", name="Draft — only you can see this")).to_have_count(0)
    head = client.locator("section", has=client.get_by_role("heading", level=1, name=TITLE))
    expect(fact(head, "Status")).to_have_text("Open for proposals")
    expect(fact(head, "Budget")).to_have_text("$300.00 fixed price")
    expect(fact(head, "Apply by")).to_have_text(f"{long_date(apply_by)} (the last day freelancers can send a proposal)")

    # 2. The freelancer finds it among paid test projects and reads it. ----------------------------
    nav(freelancer).get_by_role("link", name="Find work").click()
    expect(freelancer.get_by_role("heading", level=1, name="Find work")).to_be_visible()
    filters = freelancer.get_by_role("search", name="Projects")
    filters.get_by_label(label("Search")).fill(SEARCH_WORD)
    filters.get_by_label("Paid test projects only").check()
    filters.get_by_role("button", name="Search", exact=True).click()
    expect(freelancer.get_by_text("1 open project", exact=True)).to_be_visible()
    expect(freelancer.get_by_role("link", name="Checkout redesign for a bakery")).to_have_count(0)
    expect(freelancer.get_by_role("link", name="Profile the slow pages of a clinic app")).to_have_count(0)
    card = freelancer.get_by_role("article").filter(has=freelancer.get_by_role("link", name=TITLE))
    expect(card).to_contain_text("$300.00 fixed price")
    expect(card).to_contain_text("Paid test project")
    expect(card).to_contain_text(f"7 days · apply by {apply_by.day} {apply_by:%b}")
    card.get_by_role("link", name=TITLE).click()

    expect(freelancer.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    test_box = freelancer.get_by_role("region", name="Paid test project")
    expect(test_box).to_contain_text("one milestone of $300.00, about 7 days")
    expect(test_box).to_contain_text(ACCEPTANCE)
    expect(test_box).to_contain_text(FOLLOW_ON)
    expect(freelancer.get_by_role("region", name="Screening questions")).to_contain_text(f"{QUESTION} (required)")
    trust = freelancer.get_by_role("region", name="About this client")
    expect(fact(trust, "Member since")).to_have_text(f"{datetime.now(FREELANCER_ZONE):%B %Y}")
    expect(fact(trust, "Payment method")).to_have_text("Not verified yet")
    expect(fact(trust, "Projects posted")).to_have_text("1")
    expect(fact(trust, "Hires")).to_have_text("0")
    expect(freelancer.get_by_role("region", name=CLIENT_COMPANY)).to_be_visible()

    # 3. A two-milestone proposal is refused with the reason; the one-milestone proposal is sent. --
    freelancer.get_by_role("link", name="Send a proposal").click()
    expect(freelancer.get_by_role("heading", level=1, name=f"Send a proposal for “{TITLE}”")).to_be_visible()
    expect(
        freelancer.get_by_text("A paid test has exactly one milestone: the whole job, for your full bid.")
    ).to_be_visible()
    freelancer.get_by_label(label("Cover letter")).fill(COVER_LETTER)
    freelancer.get_by_label(label("Your bid (USD)")).fill("300")
    freelancer.get_by_label(label("Estimated duration (days)")).fill("7")
    freelancer.get_by_label(label(QUESTION)).fill(ANSWER)
    expect(freelancer.get_by_role("button", name="Add milestone")).to_be_hidden()
    # The page offers a paid test one milestone row; add a second as a script or a stale copy of
    # the page would, to see what the server says.
    freelancer.locator("[data-proposal-form]").evaluate(
        """form => {
            const total = form.querySelector("input[name$='-TOTAL_FORMS']");
            const index = parseInt(total.value, 10);
            const html = form.querySelector("[data-milestone-template]").innerHTML
                .replace(/__prefix__/g, String(index)).replace(/Milestone new /g, `Milestone ${index + 1} `);
            form.querySelector("[data-milestone-rows]").insertAdjacentHTML("beforeend", html);
            total.value = String(index + 1);
        }"""
    )
    fill_milestone(freelancer, 1, "Profiling report", "150", due)
    fill_milestone(freelancer, 2, "Query fixes", "150", due)
    expect(freelancer.get_by_text("Milestones add up to $300.00 of your $300.00 bid ✓.")).to_be_visible()
    freelancer.get_by_role("button", name="Send proposal").click()

    alerts = freelancer.get_by_role("alert")
    expect(alerts.filter(has_text="Please fix the problems marked below. Nothing was saved.")).to_be_visible()
    expect(alerts.filter(has_text="A paid test project has exactly one milestone.")).to_be_visible()
    expect(freelancer.get_by_label(label("Cover letter"))).to_have_value(COVER_LETTER)
    expect(freelancer.get_by_label(label(QUESTION))).to_have_value(ANSWER)
    freelancer.screenshot(path="/tmp/journey_2_milestone_error.png", full_page=True)
    assert not Proposal.objects.exists()

    fill_milestone(freelancer, 1, MILESTONE, "300", due)
    fill_milestone(freelancer, 2, "", "", None)  # a blank row is not sent
    expect(freelancer.get_by_text("Milestones add up to $300.00 of your $300.00 bid ✓.")).to_be_visible()
    freelancer.get_by_role("button", name="Send proposal").click()

    expect(freelancer.get_by_text("Your proposal is sent. The client has been told.")).to_be_visible()
    expect(freelancer.get_by_role("heading", level=1, name="Your proposal")).to_be_visible()
    expect(freelancer.get_by_text("Submitted", exact=True)).to_be_visible()
    expect(fact(freelancer.get_by_role("region", name="Terms"), "Bid")).to_have_text("$300.00")
    milestones = freelancer.get_by_role("region", name="Milestones")
    expect(milestones.get_by_role("row", name=MILESTONE)).to_have_text(
        re.compile(rf"1\s*{MILESTONE}\s*\$300\.00\s*{long_date(due)}")
    )
    expect(milestones.get_by_role("row", name="Total")).to_contain_text("$300.00")

    # 4. The client reviews the proposal, shortlists, offers interview times and writes. ----------
    nav(client).get_by_role("link", name="Dashboard").click()
    expect(client.get_by_role("region", name="Needs you")).to_contain_text(f"1 new proposal to review on “{TITLE}”")
    expect(client.get_by_role("row", name=re.compile(re.escape(TITLE)))).to_contain_text("1 new")
    client.get_by_role("link", name=TITLE, exact=True).click()
    client.get_by_role("link", name="Review proposals (1)").click()
    expect(client.get_by_role("heading", level=1, name=f"Proposals for “{TITLE}”")).to_be_visible()
    row = client.get_by_role("listitem").filter(has=client.get_by_role("heading", name=FREELANCER_NAME))
    expect(row).to_contain_text("$300.00")
    expect(row).to_contain_text("7 days")
    expect(row).to_contain_text("New")
    # a first-time freelancer's record: counts, not a score, and a link to their profile
    expect(fact(row, "Job success")).to_have_text("New 0 rated")
    expect(row.get_by_role("link", name=FREELANCER_NAME, exact=True)).to_have_attribute(
        "href", re.compile(r"^/freelancers/\d+/$")
    )
    row.get_by_role("link", name=f"Read the proposal from {FREELANCER_NAME}").click()

    expect(client.get_by_role("heading", level=1, name=f"Proposal from {FREELANCER_NAME}")).to_be_visible()
    expect(client.get_by_text("New: you have not acted on this proposal yet.")).to_be_visible()
    expect(client.get_by_role("region", name="Cover letter")).to_contain_text("I start with a profile")
    expect(client.get_by_role("region", name="Screening questions")).to_contain_text(ANSWER)
    client.get_by_role("button", name="Shortlist").click()
    expect(client.get_by_text(f"{FREELANCER_NAME} is on your shortlist and has been told.")).to_be_visible()
    expect(client.get_by_text("Shortlisted", exact=True)).to_be_visible()
    expect(client.get_by_text(f"Shortlisted: {FREELANCER_NAME} knows they are on your shortlist.")).to_be_visible()

    client.get_by_role("link", name="Invite to interview", exact=True).click()
    expect(
        client.get_by_role("heading", level=1, name=f"Invite {FREELANCER_NAME} to a video interview")
    ).to_be_visible()
    expect(client.get_by_text(f"{FREELANCER_NAME} sees them in theirs (Europe/London)")).to_be_visible()
    first_time = datetime.combine(today + timedelta(days=2), time(15, 0), tzinfo=CLIENT_ZONE)
    second_time = datetime.combine(today + timedelta(days=3), time(10, 30), tzinfo=CLIENT_ZONE)
    client.get_by_label(label("Time 1")).fill(f"{first_time:%Y-%m-%dT%H:%M}")
    client.get_by_label(label("Time 2")).fill(f"{second_time:%Y-%m-%dT%H:%M}")
    client.get_by_label(label("Note")).fill("A short video call to walk through your plan.")
    client.get_by_role("button", name="Send the invitation").click()
    expect(
        client.get_by_text(f"Interview invitation sent. {FREELANCER_NAME} will pick a time or suggest another.")
    ).to_be_visible()
    expect(client.get_by_role("heading", name=f"Waiting for {FREELANCER_NAME}")).to_be_visible()
    day, mine = slot_text(first_time, CLIENT_ZONE)
    expect(client.get_by_text(f"{day}, {mine}")).to_be_visible()

    client.get_by_role("link", name=f"← Proposal: {TITLE}").click()
    conversation = client.get_by_role("region", name="Messages")
    conversation.get_by_label(label("Message")).fill(MESSAGE)
    conversation.get_by_role("button", name="Send").click()
    sent = conversation.get_by_role("listitem").filter(has_text=MESSAGE)
    expect(sent).to_contain_text("You")
    expect(sent).to_contain_text("Sent")

    # 5. The freelancer reads the message, replies and picks an interview time. -------------------
    nav(freelancer).get_by_role("link", name="Dashboard").click()
    needs_you = freelancer.get_by_role("region", name="Needs you")
    expect(needs_you).to_contain_text(f"Pick a time for the interview about “{TITLE}”")
    expect(needs_you).to_contain_text("1 unread message")
    expect(nav(freelancer).get_by_label("1 unread messages")).to_have_text("1")
    nav(freelancer).get_by_role("link", name=re.compile(r"^Messages")).click()
    expect(freelancer.get_by_role("heading", level=1, name="Messages")).to_be_visible()
    freelancer.get_by_role("link", name=f"Proposal: {TITLE}").click()
    expect(freelancer.get_by_role("heading", level=1, name=f"Proposal: {TITLE}")).to_be_visible()
    expect(freelancer.get_by_text(f"With {CLIENT_NAME}")).to_be_visible()
    received = freelancer.get_by_role("listitem").filter(has_text=MESSAGE)
    expect(received).to_contain_text(CLIENT_NAME)
    expect(nav(freelancer).get_by_role("link", name="Messages", exact=True)).to_be_visible()  # the badge is gone
    freelancer.get_by_label(label("Message")).fill(REPLY)
    freelancer.get_by_role("button", name="Send").click()
    expect(freelancer.get_by_role("listitem").filter(has_text=REPLY)).to_contain_text("Sent")

    nav(freelancer).get_by_role("link", name="Dashboard").click()
    freelancer.get_by_role("region", name="Needs you").get_by_role("link", name=f"“{TITLE}”").click()
    expect(freelancer.get_by_role("heading", level=1, name=f"Interview with {CLIENT_NAME}")).to_be_visible()
    expect(freelancer.get_by_role("heading", name="Pick a time")).to_be_visible()
    expect(freelancer.get_by_text("A short video call to walk through your plan.")).to_be_visible()
    day, mine = slot_text(second_time, FREELANCER_ZONE)
    _, for_client = slot_text(second_time, CLIENT_ZONE)
    expect(freelancer.get_by_text(f"{for_client} for {CLIENT_NAME}").last).to_be_visible()
    slot = freelancer.get_by_role("listitem").filter(has_text=f"{day}, {mine}")
    slot.get_by_role("button", name=re.compile(r"^Pick this time")).click()

    expect(
        freelancer.get_by_text("The interview is scheduled. The meeting link and a calendar file are below.")
    ).to_be_visible()
    scheduled = freelancer.get_by_role("region", name="Scheduled")
    expect(scheduled).to_contain_text(day)
    expect(scheduled).to_contain_text(f"{mine} for you, {for_client} for {CLIENT_NAME}")
    meeting = scheduled.get_by_role("link", name=re.compile(r"^https:\/\/meet\.jit\.si\/proofwork-\S+$"))
    expect(meeting).to_be_visible()
    calendar = scheduled.get_by_role("link", name="Add to calendar (.ics)")
    expect(calendar).to_be_visible()
    download = freelancer.request.get(calendar.get_attribute("href"))
    assert download.ok
    assert download.headers["content-type"].startswith("text/calendar")
    assert meeting.inner_text() in download.text().replace("\r\n ", "")

    # 6. The client reads the reply and the read receipt, then hires on the proposal's terms. -----
    nav(client).get_by_role("link", name="Dashboard").click()
    expect(client.get_by_role("region", name="Needs you")).to_contain_text("1 unread message")
    expect(nav(client).get_by_label("1 unread messages")).to_have_text("1")
    nav(client).get_by_role("link", name=re.compile(r"^Messages")).click()
    client.get_by_role("link", name=f"Proposal: {TITLE}").click()
    expect(client.get_by_role("listitem").filter(has_text=REPLY)).to_contain_text(FREELANCER_NAME)
    expect(client.get_by_role("listitem").filter(has_text=MESSAGE)).to_contain_text("Read")
    client.get_by_role("link", name=f"Proposal: {TITLE}").click()  # "About:" the proposal
    expect(client.get_by_role("heading", level=1, name=f"Proposal from {FREELANCER_NAME}")).to_be_visible()
    expect(client.get_by_role("region", name="Interviews")).to_contain_text("Interview: scheduled")

    terms_to_hire(client, project=TITLE, amount="$300.00", duration="7 days", milestones=[(MILESTONE, "$300.00", due)])
    expect(client.get_by_text("goes back to your shortlist")).to_be_visible()
    client.screenshot(path="/tmp/journey_3_hire_terms.png", full_page=True)
    client.get_by_role("button", name="Hire and send the offer").click()

    expect(
        client.get_by_text(f"Offer sent to {FREELANCER_NAME}. The contract starts when they accept it")
    ).to_be_visible()
    expect(client.get_by_text("Offer sent", exact=True)).to_be_visible()
    expect(client.get_by_text(f"Offer sent: you chose {FREELANCER_NAME}")).to_be_visible()
    expect(fact(client.get_by_role("region", name="Offer sent with these terms"), "Total")).to_have_text("$300.00")
    expect(client.get_by_role("link", name=f"Hire {FREELANCER_NAME}")).to_have_count(0)

    # 7. The freelancer accepts the offer: hired, and only now is the project filled. ---------------
    freelancer.reload()  # the freelancer comes back to the interview page
    freelancer.get_by_role("link", name="Read the proposal and messages").click()
    expect(freelancer.get_by_text("Offer sent", exact=True)).to_be_visible()
    expect(freelancer.get_by_text("Offer received: the client chose your proposal.")).to_be_visible()
    freelancer.get_by_role("link", name="See the offer and answer it").click()
    freelancer.get_by_role("button", name="Accept and start the contract").click()
    expect(freelancer.get_by_text("You accepted the offer. The contract has started.")).to_be_visible()

    client.reload()
    expect(client.get_by_text("Hired", exact=True)).to_be_visible()
    expect(client.get_by_text(f"Hired: {FREELANCER_NAME} accepted your offer. The project is filled.")).to_be_visible()
    client.get_by_role("main").get_by_role("link", name=TITLE).first.click()
    head = client.locator("section", has=client.get_by_role("heading", level=1, name=TITLE))
    expect(fact(head, "Status")).to_have_text("Filled: the client hired someone")


def fill_milestone(page: Page, number: int, title: str, amount: str, due) -> None:
    page.get_by_label(f"Milestone {number} title").fill(title)
    page.get_by_label(f"Milestone {number} amount in US dollars").fill(amount)
    page.get_by_label(f"Milestone {number} due date").fill(due.isoformat() if due else "")
