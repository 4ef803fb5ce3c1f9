"""Layout in a real browser: the header on a phone and on a laptop, pages that fit a phone, and
htmx swaps that the Content-Security-Policy lets through."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from messaging.services import conversation_for_topic, message_send
from tests.e2e.test_market_journey import CLIENT_EMAIL, the_pair
from tests.e2e.test_signup_journeys import label, log_in


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
