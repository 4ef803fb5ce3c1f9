"""The charts of money by month: on the earnings page what was released to the freelancer after
the service fee, on the billing page what was charged to the client's card, each for the last
twelve calendar months with empty months at zero, in a fixed number of queries.

The money is moved by the real services at chosen moments (`clock`), then the page is read the
way a person reads it: the figures of the table beside the chart.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts.models import Milestone
from contracts.services import milestone_approve, milestone_fund, milestone_refund_offer
from payments.gateways import GatewayError
from payments.models import LedgerTransaction, Payment
from payments.services import clearances_due
from tests.contracts.factories import active_contract, milestone_of, move_to
from tests.helpers import browser_for, queries, text
from tests.marketplace.factories import new_client, new_freelancer

pytestmark = pytest.mark.django_db

VISA = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"


def moment(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    """Sets the time the services and pages read, for the rows they write too: a ledger
    transaction and a payment take `created_at` from their field's default, which holds Django's
    own `now` (not the module attribute a plain monkeypatch replaces)."""
    current = {"at": timezone.now()}

    def now() -> datetime:
        return current["at"]

    monkeypatch.setattr("django.utils.timezone.now", now)
    for model in (LedgerTransaction, Payment):
        monkeypatch.setitem(model._meta.get_field("created_at").__dict__, "_get_default", now)

    def set_to(at: datetime) -> None:
        current["at"] = at

    return set_to


def chart_table(page) -> list[tuple[str, str]]:
    """The rows of the table behind "Show as a table", as (month, figure)."""
    html = page.content.decode()
    start = html.index("<summary>Show as a table</summary>")
    table = html[start : html.index("</table>", start)]
    return re.findall(r'<tr><th scope="row">([^<]+)</th><td class="num">([^<]+)</td></tr>', table)


def released(contract, at: datetime, clock) -> None:
    clock(at)
    move_to(milestone_of(contract), Milestone.Status.RELEASED)


# --- Earnings ---------------------------------------------------------------------------------------


@pytest.fixture
def earner(clock):
    """A freelancer paid $400 and $600 in January 2025, $250 in March 2025 and $100 long before,
    in February 2024; the service fee is 10%, so they received $360 + $540, $225 and $90."""
    freelancer = new_freelancer()
    for at, amount in (
        (moment(2024, 2, 10), 100_00),
        (moment(2025, 1, 15), 400_00),
        (moment(2025, 1, 31, 23), 600_00),
        (moment(2025, 3, 1, 0), 250_00),
    ):
        clock(at)
        released(active_contract(freelancer=freelancer, amounts=(amount,)), at, clock)
    clock(moment(2025, 3, 20))
    return freelancer


def test_the_freelancer_reads_what_they_received_in_each_of_the_last_twelve_months(earner):
    page = browser_for(earner).get(reverse("earnings"))
    assert page.status_code == 200
    # then the twelve months from April 2024 to March 2025, after the fee, each month in full
    assert chart_table(page) == [
        ("April 2024", "$0.00"),
        ("May 2024", "$0.00"),
        ("June 2024", "$0.00"),
        ("July 2024", "$0.00"),
        ("August 2024", "$0.00"),
        ("September 2024", "$0.00"),
        ("October 2024", "$0.00"),
        ("November 2024", "$0.00"),
        ("December 2024", "$0.00"),
        ("January 2025", "$900.00"),
        ("February 2025", "$0.00"),
        ("March 2025", "$225.00"),
        ("Total", "$1,125.00"),
    ]
    shown = text(page)
    # the February 2024 release is older than the chart, though still in the list of releases
    assert "February 2024" not in shown and "10 Feb 2024" in shown
    # the chart is named by what it shows
    assert (
        "Released to you in each of the last 12 months, after the service fee, April 2024 to March 2025: "
        "$1,125.00 in all; the most, $900.00, in January 2025."
    ) in shown


def test_money_that_has_cleared_still_counts_in_the_month_it_was_released(earner, settings, clock):
    settings.CLEARANCE_DAYS = 0
    clock(moment(2025, 4, 2))
    clearances_due()
    rows = dict(chart_table(browser_for(earner).get(reverse("earnings"))))
    # a month later the chart has moved on: April 2024 has left it, April 2025 joined it at zero
    assert "April 2024" not in rows
    assert (rows["January 2025"], rows["March 2025"], rows["April 2025"]) == ("$900.00", "$225.00", "$0.00")


def test_a_month_is_the_month_in_the_persons_own_time_zone(earner):
    # given a freelancer in Athens: 23:00 UTC on 31 January is already 1 February there, and
    # midnight UTC on 1 March is 02:00 on 1 March
    type(earner).objects.filter(pk=earner.pk).update(timezone="Europe/Athens")
    rows = dict(chart_table(browser_for(earner).get(reverse("earnings"))))
    assert (rows["January 2025"], rows["February 2025"], rows["March 2025"]) == ("$360.00", "$540.00", "$225.00")


def test_a_freelancer_paid_nothing_yet_reads_a_sentence_instead_of_a_chart(clock):
    clock(moment(2025, 3, 20))
    freelancer = new_freelancer()
    page = browser_for(freelancer).get(reverse("earnings"))
    shown = text(page)
    assert "Earnings by month Nothing was released to you in the last 12 months." in shown
    assert "<svg" not in page.content.decode() and "Show as a table" not in shown


def test_the_earnings_page_runs_the_same_queries_for_releases_in_one_month_or_in_many(clock):
    clock(moment(2025, 1, 10))
    freelancer = new_freelancer()
    released(active_contract(freelancer=freelancer, amounts=(100_00,)), moment(2025, 1, 10), clock)
    clock(moment(2025, 3, 20))
    one = queries(browser_for(freelancer), reverse("earnings"))
    for month in (4, 6, 9, 11):
        at = moment(2024, month, 5)
        clock(at)
        released(active_contract(freelancer=freelancer, amounts=(100_00,)), at, clock)
    clock(moment(2025, 3, 20))
    browser = browser_for(freelancer)
    assert len([row for row in chart_table(browser.get(reverse("earnings"))) if row[1] == "$90.00"]) == 5
    # the balances, releases, withdrawals, payout account, bank payouts and the chart's one query
    assert queries(browser, reverse("earnings")) == one == 9


# --- Billing ----------------------------------------------------------------------------------------


@pytest.fixture
def payer(clock, settings, django_capture_on_commit_callbacks):
    """A client with a 2.5% client fee who paid $400 in January 2025 ($410 charged) and, in March,
    tried a card that was declined and then paid $600 ($615) with another; $100 of the January
    payment was refunded in March."""
    settings.CLIENT_FEE_BPS = 250
    clock(moment(2025, 1, 5))
    client = new_client()
    contract = active_contract(client=client, amounts=(400_00, 600_00))
    first, second = milestone_of(contract, 1), milestone_of(contract, 2)
    clock(moment(2025, 1, 20))
    milestone_fund(milestone=first, by=client, card_number=VISA)
    clock(moment(2025, 3, 3))
    with pytest.raises(GatewayError):
        milestone_fund(milestone=second, by=client, card_number=DECLINED)
    milestone_fund(milestone=second, by=client, card_number=VISA)
    with django_capture_on_commit_callbacks(execute=True):
        milestone_refund_offer(milestone=first, by=contract.freelancer, amount_cents=100_00)
    milestone_approve(milestone=second, by=client)
    clock(moment(2025, 3, 20))
    return client


def test_the_client_reads_what_was_charged_to_their_card_each_month(payer):
    page = browser_for(payer).get(reverse("billing"))
    assert page.status_code == 200
    rows = chart_table(page)
    # twelve months to March 2025, then the total: what the page calls "Charged to your card"
    assert [month for month, _ in rows] == [
        "April 2024",
        "May 2024",
        "June 2024",
        "July 2024",
        "August 2024",
        "September 2024",
        "October 2024",
        "November 2024",
        "December 2024",
        "January 2025",
        "February 2025",
        "March 2025",
        "Total",
    ]
    # the fee is in; the declined try is not; the refund is listed by contract, not taken off
    assert rows[-4:] == [
        ("January 2025", "$410.00"),
        ("February 2025", "$0.00"),
        ("March 2025", "$615.00"),
        ("Total", "$1,025.00"),
    ]
    assert set(rows[:9]) == {(month, "$0.00") for month, _ in rows[:9]}
    shown = text(page)
    assert "Charged to your card $1,025.00" in shown
    assert "Spending by month" in shown and "the most, $615.00, in March 2025." in shown


def test_a_client_who_paid_only_long_ago_reads_a_sentence_instead_of_a_chart(payer, clock):
    clock(moment(2026, 6, 1))
    page = browser_for(payer).get(reverse("billing"))
    shown = text(page)
    assert "Spending by month Nothing was charged to your card in the last 12 months." in shown
    assert "<svg" not in page.content.decode()
    # the payments themselves are still on the page
    assert "Charged to your card $1,025.00" in shown


def test_a_client_who_never_paid_sees_no_chart_only_the_empty_page(clock):
    clock(moment(2025, 3, 20))
    shown = text(browser_for(new_client()).get(reverse("billing")))
    assert "No payments yet" in shown
    assert "Spending by month" not in shown and "Show as a table" not in shown


def test_the_billing_page_runs_the_same_queries_for_payments_in_one_month_or_in_many(clock):
    clock(moment(2025, 1, 10))
    client = new_client()
    move_to(milestone_of(active_contract(client=client, amounts=(100_00,))), Milestone.Status.FUNDED)
    clock(moment(2025, 3, 20))
    one = queries(browser_for(client), reverse("billing"))
    for month in (4, 6, 9, 11):
        clock(moment(2024, month, 5))
        move_to(milestone_of(active_contract(client=client, amounts=(100_00,))), Milestone.Status.FUNDED)
    clock(moment(2025, 3, 20))
    browser = browser_for(client)
    assert len([row for row in chart_table(browser.get(reverse("billing"))) if row[1] == "$100.00"]) == 5
    # the payments, their milestones, refunds, releases, held escrow, the card, and the chart's one query
    assert queries(browser, reverse("billing")) == one == 8
