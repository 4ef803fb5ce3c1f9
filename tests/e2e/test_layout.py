"""Layout in a real browser: the header on a phone and on a laptop, pages that fit a phone, and
htmx swaps that the Content-Security-Policy lets through."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from accounts.models import User
from contracts.models import Milestone
from contracts.services import contract_end, milestone_fund, milestone_submit
from messaging.services import conversation_for_topic, message_send
from notifications.services import notify
from tests.contracts.factories import active_contract, milestone_of, move_to
from tests.e2e.test_dispute_pages_fit_a_phone import PHONE
from tests.e2e.test_market_journey import CLIENT_EMAIL, FREELANCER_EMAIL, menu_button, nav, the_pair
from tests.e2e.test_signup_journeys import label, log_in
from tests.factories import image_upload
from tests.marketplace.factories import open_project, submit_proposal

LAPTOP = {"width": 1280, "height": 800}


def page_width(page: Page) -> tuple[int, int]:
    """How wide the page is laid out (scrolling included) and how wide the window is."""
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def fits(page: Page) -> bool:
    laid_out, window = page_width(page)
    return laid_out <= window


def unread_for_both(client: User, freelancer: User) -> None:
    """Two-digit counts on both badges for both people: 12 conversations with unread messages, and
    15 unread notifications (one for each of those first messages and 3 more)."""
    for n in range(1, 13):
        for sender, reader in ((client, freelancer), (freelancer, client)):
            conversation = conversation_for_topic(
                topic_type="direct",
                topic_id=sender.pk * 100 + n,
                title=f"Question {n}",
                participants=[client, freelancer],
            )
            message_send(conversation=conversation, sender=sender, body=f"Question {n} about the checkout.")
    for person in (client, freelancer):
        for n in range(1, 4):
            notify(recipient=person, kind="account.welcome", title=f"Something happened ({n})", url="/dashboard/")


def one_row(boxes: list[dict]) -> bool:
    """Every box shares a horizontal band with the first: they sit on one line."""
    first = boxes[0]
    return all(box["y"] < first["y"] + first["height"] and first["y"] < box["y"] + box["height"] for box in boxes)


def same_top(boxes: list[dict]) -> bool:
    return max(box["y"] for box in boxes) - min(box["y"] for box in boxes) < 2


def nav_items(page: Page) -> list[Locator]:
    return nav(page).locator(":scope > a, :scope > form").all()


def drag_the_corner_down(page: Page, box, pixels: int) -> None:
    """What a person does to make a textarea taller: drag its resize handle (bottom right)."""
    area = box.bounding_box()
    page.mouse.move(area["x"] + area["width"] - 3, area["y"] + area["height"] - 3)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] - 3, area["y"] + area["height"] + pixels, steps=5)
    page.mouse.up()


def test_a_message_sent_through_htmx_breaks_no_csp_rule(page: Page):
    client, freelancer = the_pair()
    conversation = conversation_for_topic(
        topic_type="direct", topic_id=client.pk, title="Checkout speed", participants=[client, freelancer]
    )
    message_send(conversation=conversation, sender=freelancer, body="Hello, when can we talk?")
    console = []
    page.on("console", lambda message: console.append((message.type, message.text)))
    log_in(page, CLIENT_EMAIL)
    page.goto(conversation.get_absolute_url())
    htmx_requests = []
    page.on("request", lambda request: htmx_requests.append(request.url) if request.headers.get("hx-request") else None)

    for text in ("Tomorrow at ten works for me.", "Or Thursday, if that suits you better."):
        box = page.get_by_label(label("Message"))
        # The browser writes the new height into the textarea's style attribute; a long message needs room.
        drag_the_corner_down(page, box, 80)
        box.fill(text)
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_role("list", name="Messages").get_by_text(text)).to_be_visible()
        expect(page.get_by_label(label("Message"))).to_have_value("")

    page.wait_for_timeout(300)  # the settle step runs after the swap
    assert len(htmx_requests) == 2, "the messages were not sent through htmx"
    errors = [text for kind, text in console if kind == "error" or "Content Security Policy" in text]
    assert errors == []


def test_on_a_laptop_the_navigation_is_one_row_beside_the_logo_with_both_badges(open_browser):
    client, freelancer = the_pair()
    unread_for_both(client, freelancer)
    for email in (CLIENT_EMAIL, FREELANCER_EMAIL):
        page = open_browser(LAPTOP)
        log_in(page, email)
        page.goto("/dashboard/")
        expect(nav(page).get_by_role("link", name="Messages")).to_contain_text("12")
        expect(nav(page).get_by_role("link", name="Notifications")).to_contain_text("15")
        expect(menu_button(page)).to_be_hidden()
        brand = page.get_by_role("link", name="Proofwork", exact=True).bounding_box()
        items = [item.bounding_box() for item in nav_items(page)]
        assert len(items) >= 8
        assert same_top(items), (email, items)  # the links are on one row
        assert one_row([brand, items[0]]), (email, brand, items[0])  # the logo's row
        assert items[0]["x"] > brand["x"] + brand["width"]
        assert fits(page)


def test_on_a_laptop_someone_with_both_roles_gets_one_row_with_a_menu_button(open_browser):
    # a client who also works: more links than one row holds beside the logo at 1280
    client, freelancer = the_pair()
    unread_for_both(client, freelancer)
    User.objects.filter(pk=client.pk).update(is_freelancer=True)
    page = open_browser(LAPTOP)
    log_in(page, CLIENT_EMAIL)
    page.goto("/dashboard/")
    header = page.get_by_role("banner")
    menu = menu_button(page)
    expect(menu).to_be_visible()
    brand = page.get_by_role("link", name="Proofwork", exact=True)
    assert one_row([brand.bounding_box(), menu.bounding_box()])
    assert header.bounding_box()["height"] < 2 * menu.bounding_box()["height"]
    menu.click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert fits(page)


def test_on_a_phone_the_header_is_one_row_with_a_menu_button(open_browser):
    client, freelancer = the_pair()
    unread_for_both(client, freelancer)
    page = open_browser(PHONE)
    log_in(page, FREELANCER_EMAIL)
    page.goto("/dashboard/")
    header = page.get_by_role("banner")
    brand = page.get_by_role("link", name="Proofwork", exact=True)
    menu = menu_button(page)
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_contain_text("27")  # what is unread behind the menu: 12 conversations, 15 notifications
    expect(nav(page)).to_be_hidden()
    folded = page.get_by_role("navigation", name="Main", include_hidden=True)
    assert menu.get_attribute("aria-controls") == folded.get_attribute("id")
    assert one_row([brand.bounding_box(), menu.bounding_box()])
    assert header.bounding_box()["height"] < 2 * menu.bounding_box()["height"]
    assert fits(page)

    # From the keyboard: Tab from the skip link and the logo to the button, Enter opens the menu.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(menu).to_be_focused()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    for name in ("Dashboard", "Messages", "Contracts", "Find work", "Notifications", "Settings"):
        expect(nav(page).get_by_role("link", name=name)).to_be_visible()
    expect(nav(page).get_by_role("button", name="Sign out")).to_be_visible()
    expect(nav(page).get_by_role("link", name="Messages")).to_contain_text("12")
    assert fits(page)
    page.keyboard.press("Tab")
    expect(nav(page).get_by_role("link", name="Dashboard")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    expect(nav(page)).to_be_hidden()

    # A click (a tap) opens it too, and the link leads on.
    menu.click()
    nav(page).get_by_role("link", name="Notifications").click()
    expect(page.get_by_role("heading", level=1, name="Notifications")).to_be_visible()
    expect(menu_button(page)).to_have_attribute("aria-expanded", "false")
    assert fits(page)


def test_without_javascript_the_navigation_is_shown_on_a_phone(browser, site):
    context = browser.new_context(base_url=site.url, viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto("/")
    expect(menu_button(page)).to_be_hidden()
    for name in ("Browse projects", "Sign in", "Sign up"):
        expect(nav(page).get_by_role("link", name=name)).to_be_visible()
    assert fits(page)
    context.close()


def the_main_journeys(client: User, freelancer: User) -> dict[str, list[str]]:
    """Realistic data through the services, and the main pages each person reads: both roles and a visitor."""
    freelancer.avatar.save("ada.png", image_upload("ada.png"))
    project = open_project(client=client, title="Speed up the checkout of our Django shop with 2,000 orders a day")
    proposal = submit_proposal(project=project, freelancer=freelancer)
    other_project = open_project(client=client, title="Move the booking calendar to PostgreSQL")
    contract = active_contract(client=client, freelancer=freelancer, amounts=(450_00, 1_250_00))
    milestone_fund(milestone=milestone_of(contract), by=client)
    milestone_submit(milestone=milestone_of(contract), by=freelancer, message="The export and its tests.")
    ended = active_contract(client=client, freelancer=freelancer, amounts=(800_00,))
    move_to(milestone_of(ended), Milestone.Status.RELEASED)
    contract_end(contract=ended, by=client)
    conversation = conversation_for_topic(
        topic_type="direct", topic_id=client.pk, title="Checkout speed", participants=[client, freelancer]
    )
    message_send(
        conversation=conversation,
        sender=client,
        body="Can you look at https://shop.example.com/checkout/?step=payment&basket=48213 first?",
    )
    message_send(conversation=conversation, sender=freelancer, body="Yes, I'll start there on Monday.")
    for person in (client, freelancer):
        notify(recipient=person, kind="account.welcome", title="Welcome to Proofwork", url="/dashboard/")
    public = [
        "/",
        "/projects/",
        project.get_absolute_url(),
        f"/freelancers/{freelancer.pk}/",
        f"/clients/{client.pk}/",
        "/trust/",
    ]
    both = [
        "/dashboard/",
        "/messages/",
        conversation.get_absolute_url(),
        "/notifications/",
        "/settings/",
        contract.get_absolute_url(),
        ended.get_absolute_url(),
        f"/contracts/{ended.pk}/review/",
        *public,
    ]
    return {
        "visitor": ["/accounts/signup/", "/accounts/login/", *public],
        CLIENT_EMAIL: [
            *both,
            "/projects/new/",
            "/projects/new/?kind=test",
            "/projects/new/?kind=standard",
            f"/projects/{project.pk}/edit/",
            f"/projects/{project.pk}/proposals/",
            proposal.get_absolute_url(),
            f"/milestones/{milestone_of(contract, 2).pk}/fund/",
            "/billing/",
            "/profile/client/",
        ],
        FREELANCER_EMAIL: [
            *both,
            f"/projects/{other_project.pk}/propose/",
            "/proposals/",
            proposal.get_absolute_url(),
            "/earnings/",
            "/profile/freelancer/",
        ],
    }


def test_no_page_of_the_main_journeys_is_wider_than_a_phone(open_browser):
    client, freelancer = the_pair()
    journeys = the_main_journeys(client, freelancer)
    too_wide = {}
    for who, paths in journeys.items():
        page = open_browser(PHONE)
        if who != "visitor":
            log_in(page, who)
        for path in paths:
            response = page.goto(path)
            assert response.ok, (who, path, response.status)
            laid_out, window = page_width(page)
            if laid_out > window:
                too_wide[f"{who} {path}"] = laid_out
    assert too_wide == {}


def lined_up(first: dict, second: dict) -> bool:
    """Side by side with the same top and bottom, or one under the other with the same right edge."""
    side_by_side = abs(first["y"] - second["y"]) < 1 and abs(first["height"] - second["height"]) < 1
    stacked = abs((first["x"] + first["width"]) - (second["x"] + second["width"])) < 1
    return side_by_side or stacked


def test_the_open_and_mark_as_read_buttons_of_a_notification_line_up(open_browser):
    _, freelancer = the_pair()
    for title, body in (
        ("New proposal", ""),
        ("Milestone funded", "Grace Hopper funded “Profiling report and query fixes”: $300.00 is held for you."),
        ("A review of your work together is waiting", "Write yours to read theirs. " * 4),
    ):
        notify(recipient=freelancer, kind="account.welcome", title=title, body=body, url="/dashboard/")
    for viewport in (PHONE, LAPTOP):
        page = open_browser(viewport)
        log_in(page, FREELANCER_EMAIL)
        page.goto("/notifications/")
        items = page.get_by_role("listitem").filter(has=page.get_by_role("button", name="Open"))
        expect(items).to_have_count(3)
        for item in items.all():
            opening = item.get_by_role("button", name="Open").bounding_box()
            reading = item.get_by_role("button", name=re.compile(r"^Mark as read")).bounding_box()
            assert lined_up(opening, reading), (viewport, opening, reading)
        assert fits(page)
    # Marking one as read still swaps it in place (htmx), without its button.
    first = page.get_by_role("listitem").filter(has_text="New proposal")
    first.get_by_role("button", name=re.compile(r"^Mark as read")).click()
    expect(first.get_by_role("button", name=re.compile(r"^Mark as read"))).to_have_count(0)
    expect(first).to_contain_text("read")
