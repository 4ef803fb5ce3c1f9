"""The charts of money by month in a real browser on a 390 px phone: the earnings and billing
pages stay within the screen, the bars are drawn and coloured by the site's stylesheet with no
style the Content-Security-Policy refuses, and "Show as a table" opens the same figures."""

from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import expect

from contracts.models import Milestone
from tests.contracts.factories import active_contract, milestone_of, move_to
from tests.e2e.test_dispute_pages_fit_a_phone import PHONE
from tests.e2e.test_market_journey import the_pair
from tests.e2e.test_signup_journeys import log_in

BRAND = "rgb(11, 93, 75)"  # --brand in static/css/app.css


def test_the_charts_fit_a_phone_and_open_as_a_table(browser, site):
    client, freelancer = the_pair()
    contract = active_contract(client=client, freelancer=freelancer, amounts=(1_234_00, 48_300_00))
    move_to(milestone_of(contract, 1), Milestone.Status.RELEASED)
    move_to(milestone_of(contract, 2), Milestone.Status.FUNDED)
    this_month = date_format(timezone.localdate(), "F Y")

    for person, path, figure in (
        (freelancer, "/earnings/", "$1,110.60"),  # $1,234 less the 10% fee
        (client, "/billing/", "$49,534.00"),  # both milestones charged
    ):
        context = browser.new_context(base_url=site.url, viewport=PHONE)
        page = context.new_page()
        refused = []
        page.on("console", lambda message: refused.append(message.text) if message.type == "error" else None)
        log_in(page, person.email)
        page.goto(path)
        chart = page.get_by_role("img", name="in all; the most")
        expect(chart).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert chart.bounding_box()["width"] <= PHONE["width"]
        bar = page.locator(".bar-chart-bar").first
        assert bar.evaluate("element => getComputedStyle(element).fill") == BRAND
        page.get_by_text("Show as a table").click()
        expect(page.get_by_role("row", name=f"{this_month} {figure}")).to_be_visible()
        assert refused == []
        context.close()
