"""The dispute and moderation pages fit a 390 px phone: nothing is wider than the screen
(measured by the document's scrollWidth, not read from the CSS), with long texts in them."""

from __future__ import annotations

from accounts.reports import report_create
from contracts.services import dispute_open, dispute_propose, dispute_respond
from tests.contracts.factories import submitted_milestone
from tests.e2e.test_dispute_journey import a_moderator, sign_in_with_code
from tests.e2e.test_market_journey import the_pair
from tests.e2e.test_signup_journeys import log_in
from tests.marketplace.factories import new_freelancer, open_project

PHONE = {"width": 390, "height": 844}


def wider_than_the_screen(page, paths) -> dict[str, int]:
    widths = {}
    for path in paths:
        page.goto(path)
        widths[path] = page.evaluate("document.documentElement.scrollWidth")
    return {path: width for path, width in widths.items() if width > PHONE["width"]}


def test_the_dispute_and_moderation_pages_fit_a_phone(browser, site):
    client, freelancer = the_pair()
    milestone = submitted_milestone(client=client, freelancer=freelancer, amounts=(1_000_00,))
    dispute = dispute_open(
        milestone=milestone, by=freelancer, reason="not_approved", description="The account " * 40, asked_cents=1_000_00
    )
    dispute_respond(dispute=dispute, by=client, response="The other account " * 30, asked_cents=500_00)
    dispute_propose(dispute=dispute, by=client, freelancer_cents=500_00, note="Meet halfway on this one?")
    project = open_project()
    report = report_create(reporter=new_freelancer(), target=f"project:{project.pk}", reason="scam", note="Odd. " * 60)

    party_context = browser.new_context(base_url=site.url, viewport=PHONE)
    party = party_context.new_page()
    log_in(party, freelancer.email)
    assert (
        wider_than_the_screen(
            party,
            [f"/disputes/{dispute.pk}/", f"/milestones/{milestone.pk}/dispute/", milestone.contract.get_absolute_url()],
        )
        == {}
    )

    party_context.close()
    staff_context = browser.new_context(base_url=site.url, viewport=PHONE)
    staff = staff_context.new_page()
    sign_in_with_code(staff, a_moderator())
    paths = [
        "/moderation/",
        f"/moderation/disputes/{dispute.pk}/",
        f"/moderation/reports/{report.pk}/",
        "/moderation/log/",
        f"/moderation/view/contract/{milestone.contract_id}/",
        "/moderation/members/",
    ]
    assert wider_than_the_screen(staff, paths) == {}
    staff_context.close()
