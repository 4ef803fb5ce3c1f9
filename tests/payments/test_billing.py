"""A client's billing: every card payment, refund and release by contract with its totals, the same
events as a CSV, and a printable receipt for each paid payment that only its payer can open.

The money is moved by the real services on the sandbox gateway; the refund runs its outbox call
after commit (django_capture_on_commit_callbacks), as it would in production.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract, Milestone
from contracts.services import milestone_approve, milestone_fund, milestone_refund_offer, milestone_submit
from core.text import spreadsheet_cell
from payments.gateways import GatewayError
from payments.models import GatewayCall, Payment
from tests.contracts.factories import active_contract, milestone_of
from tests.factories import UserFactory
from tests.helpers import browser_for, links_to, queries, text
from tests.marketplace.factories import new_client, new_freelancer

pytestmark = pytest.mark.django_db

VISA = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
BILLING = "/billing/"


def titled(contract: Contract, title: str) -> Contract:
    # The factories give every contract the same project title; the page is read by title here.
    Contract.objects.filter(pk=contract.pk).update(title=title)
    contract.refresh_from_db()
    return contract


def paid(milestone: Milestone) -> Payment:
    return Payment.objects.get(reference=milestone.ledger_reference, status=Payment.Status.SUCCEEDED)


def receipt_url(payment: Payment) -> str:
    return reverse("billing_receipt", args=[payment.pk])


def billed_deal(client, django_capture_on_commit_callbacks, *, title: str) -> SimpleNamespace:
    """A contract of $400 + $600: the first funded with a new Visa and $100 of it refunded by the
    freelancer, the second funded with the saved card, delivered and approved."""
    contract = titled(active_contract(client=client, amounts=(400_00, 600_00)), title)
    refunded, approved = milestone_of(contract, 1), milestone_of(contract, 2)
    milestone_fund(milestone=refunded, by=client, card_number=VISA)
    milestone_fund(milestone=approved, by=client)
    with django_capture_on_commit_callbacks(execute=True):
        milestone_refund_offer(milestone=refunded, by=contract.freelancer, amount_cents=100_00)
    milestone_submit(milestone=approved, by=contract.freelancer, message="Here is the work.")
    milestone_approve(milestone=approved, by=client)
    return SimpleNamespace(contract=contract, refunded=refunded, approved=approved)


@pytest.fixture
def billed(settings, django_capture_on_commit_callbacks):
    """A client with a 2.5% client fee and two contracts: one as in `billed_deal`, and one whose
    single $200 milestone was declined once, then paid and is still held."""
    settings.CLIENT_FEE_BPS = 250
    client = new_client()
    deal = billed_deal(client, django_capture_on_commit_callbacks, title="Clinic booking site")
    second = titled(active_contract(client=client, amounts=(200_00,)), "Logo refresh")
    held = milestone_of(second)
    with pytest.raises(GatewayError):
        milestone_fund(milestone=held, by=client, card_number=DECLINED)
    milestone_fund(milestone=held, by=client, card_number=VISA)
    return SimpleNamespace(client=client, first=deal.contract, second=second, held=held, **vars(deal))


# --- The page ---------------------------------------------------------------------------------------


def test_the_client_sees_each_contract_with_what_was_charged_refunded_released_and_held(billed):
    # when the client opens their billing page
    page = browser_for(billed.client).get(reverse("billing"))
    shown = text(page)
    assert page.status_code == 200
    # then all contracts add up: $410 + $615 + $205 charged with the 2.5% fee, $100 back, $600 released
    assert (
        "All contracts Charged to your card $1,230.00 Refunded to your card $100.00 "
        "Released to freelancers $600.00 Still held $500.00"
    ) in shown
    # and each contract has its own figures, under its title linked to the contract
    assert (
        "Clinic booking site Charged $1,025.00 Refunded $100.00 Released to the freelancer $600.00 Still held $300.00"
    ) in shown
    assert "Logo refresh Charged $205.00 Refunded $0.00 Released to the freelancer $0.00 Still held $200.00" in shown
    assert links_to(page, billed.first.get_absolute_url()) == ["Clinic booking site"]
    assert links_to(page, billed.second.get_absolute_url()) == ["Logo refresh"]
    # the contract with the most recent money comes first
    assert shown.index("Logo refresh Charged") < shown.index("Clinic booking site Charged")


def test_each_payment_refund_and_release_shows_with_its_status_card_and_milestone(billed):
    page = browser_for(billed.client).get(reverse("billing"))
    shown = text(page)
    visa = "Visa •••• 4242"
    # the payments, with the fee apart and the card they were made with
    assert f"Card payment Milestone 1 $400.00 $10.00 Paid {visa}" in shown
    assert f"Card payment Milestone 2 $600.00 $15.00 Paid {visa}" in shown
    # the declined try, with the processor's words, and the payment that then went through
    assert (
        "Card payment Milestone 1 $200.00 $5.00 Declined "
        "The card was declined (sandbox test card 4000 0000 0000 0002). Nothing was charged."
    ) in shown
    assert f"Card payment Milestone 1 $200.00 $5.00 Paid {visa}" in shown
    # the refund made to the card, and the release to the freelancer
    assert GatewayCall.objects.get(payment=paid(billed.refunded)).status == GatewayCall.Status.DONE
    assert f"Refund Milestone 1 $100.00 Refunded to your card {visa}" in shown
    assert "Released to the freelancer Milestone 2 $600.00 Paid to the freelancer" in shown
    # each milestone links to its place on the contract page
    href = f"{billed.first.get_absolute_url()}#milestone-{billed.refunded.pk}"
    assert links_to(page, href) == ["Milestone 1", "Milestone 1"]


def test_a_refund_still_on_its_way_says_so(settings):
    # given a refund whose processor call has not run yet (no commit callbacks here)
    contract = active_contract(amounts=(300_00,))
    milestone = milestone_of(contract)
    milestone_fund(milestone=milestone, by=contract.client, card_number=VISA)
    milestone_refund_offer(milestone=milestone, by=contract.freelancer, amount_cents=300_00)
    # then the client reads that it is on its way, and it counts as refunded
    shown = text(browser_for(contract.client).get(reverse("billing")))
    assert "Refund Milestone 1 $300.00 Refund on its way to your card" in shown
    assert "Refunded to your card $300.00" in shown and "Still held $0.00" in shown


def test_every_paid_payment_links_to_its_receipt_and_a_declined_one_does_not(billed):
    page = browser_for(billed.client).get(reverse("billing"))
    payments = Payment.objects.filter(payer=billed.client)
    for payment in payments.filter(status=Payment.Status.SUCCEEDED):
        assert [name.split(" for ")[0] for name in links_to(page, receipt_url(payment))] == ["Receipt"]
    declined = payments.get(status=Payment.Status.FAILED)
    assert links_to(page, receipt_url(declined)) == []


def test_the_page_offers_the_csv_and_replacing_the_saved_card(billed):
    page = browser_for(billed.client).get(reverse("billing"))
    assert "Visa •••• 4242 · expires" in text(page)
    assert links_to(page, f"{reverse('billing_card')}?next={BILLING}") == ["Replace card"]
    assert links_to(page, reverse("billing_csv")) == ["Download CSV"]


def test_someone_who_never_paid_sees_an_empty_page_and_an_empty_csv():
    browser = browser_for(new_client())
    page = browser.get(reverse("billing"))
    shown = text(page)
    assert page.status_code == 200
    assert "No payments yet" in shown and "No card saved yet." in shown
    assert links_to(page, reverse("billing_csv")) == []
    assert "Charged" not in shown
    rows = list(csv.reader(io.StringIO(browser.get(reverse("billing_csv")).content.decode())))
    assert rows == [
        ["date", "contract", "milestone", "kind", "status", "amount", "fee", "currency", "card", "reference"]
    ]


def test_the_billing_pages_ask_a_visitor_to_sign_in():
    for url in (reverse("billing"), reverse("billing_csv")):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_the_page_runs_the_same_queries_for_one_contract_or_three(billed, django_capture_on_commit_callbacks):
    browser = browser_for(billed.client)
    before = queries(browser, reverse("billing"))
    billed_deal(billed.client, django_capture_on_commit_callbacks, title="Second site")
    billed_deal(billed.client, django_capture_on_commit_callbacks, title="Third site")
    assert text(browser.get(reverse("billing"))).count("Released to the freelancer Milestone 2") == 3
    assert queries(browser, reverse("billing")) == before


# --- The CSV ----------------------------------------------------------------------------------------


def csv_rows(user) -> tuple[object, list[dict]]:
    response = browser_for(user).get(reverse("billing_csv"))
    return response, list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def test_the_csv_has_one_row_per_money_event_in_dollars(billed):
    response, rows = csv_rows(billed.client)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="proofwork-billing-')
    visa = "Visa •••• 4242"
    # one row per movement of money; the declined try moved none
    fields = ("contract", "milestone", "kind", "status", "amount", "fee", "currency", "card")
    assert sorted(tuple(row[name] for name in fields) for row in rows) == sorted(
        [
            ("Clinic booking site", "Milestone 1", "Card payment", "Paid", "400.00", "10.00", "USD", visa),
            ("Clinic booking site", "Milestone 2", "Card payment", "Paid", "600.00", "15.00", "USD", visa),
            ("Clinic booking site", "Milestone 1", "Refund", "Refunded to your card", "100.00", "0.00", "USD", visa),
            (
                "Clinic booking site",
                "Milestone 2",
                "Released to the freelancer",
                "Paid to the freelancer",
                "600.00",
                "0.00",
                "USD",
                "",
            ),
            ("Logo refresh", "Milestone 1", "Card payment", "Paid", "200.00", "5.00", "USD", visa),
        ]
    )
    # each row names its date and the processor's reference for it
    assert {row["date"] for row in rows} == {timezone.localdate().isoformat()}
    references = {row["reference"] for row in rows if row["kind"] != "Released to the freelancer"}
    expected = set(Payment.objects.filter(status=Payment.Status.SUCCEEDED).values_list("intent_id", flat=True))
    expected |= set(GatewayCall.objects.filter(kind=GatewayCall.Kind.REFUND).values_list("result_id", flat=True))
    assert references == expected and "" not in references


def test_the_csv_shows_only_the_viewers_own_money(billed):
    _, rows = csv_rows(billed.first.freelancer)
    assert rows == []
    _, rows = csv_rows(new_client())
    assert rows == []


def test_user_text_that_a_spreadsheet_would_run_is_escaped_in_the_csv(billed):
    # given titles that a spreadsheet would read as formulas
    Milestone.objects.filter(pk=billed.refunded.pk).update(title='=HYPERLINK("http://evil.example","x")')
    Milestone.objects.filter(pk=billed.approved.pk).update(title="+1+cmd|' /C calc'!A0")
    Milestone.objects.filter(pk=billed.held.pk).update(title="-2+3")
    titled(billed.second, "@SUM(A1:A9)")
    # when the client downloads the CSV
    _, rows = csv_rows(billed.client)
    # then each starts with an apostrophe, and the amounts stay numbers
    assert {row["milestone"] for row in rows} == {
        '\'=HYPERLINK("http://evil.example","x")',
        "'+1+cmd|' /C calc'!A0",
        "'-2+3",
    }
    assert {row["contract"] for row in rows} == {"Clinic booking site", "'@SUM(A1:A9)"}
    assert all(not row["amount"].startswith("'") for row in rows)
    # and the page shows the titles as text
    page = browser_for(billed.client).get(reverse("billing"))
    assert "=HYPERLINK(&quot;http://evil.example&quot;,&quot;x&quot;)" in page.content.decode()


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\t=1", "'\t=1"), ("Logo", "Logo"), ("", "")],
)
def test_a_cell_starting_like_a_formula_gets_an_apostrophe(value, cell):
    assert spreadsheet_cell(value) == cell


# --- The receipt ------------------------------------------------------------------------------------


def test_the_payer_reads_a_receipt_with_what_it_paid_for_its_fee_card_and_refunds(billed):
    payment = paid(billed.refunded)
    page = browser_for(billed.client).get(receipt_url(payment))
    shown = text(page)
    assert page.status_code == 200
    assert f"Receipt #{payment.pk}" in shown
    assert f"Paid by {billed.client.display_name} {billed.client.email}" in shown
    assert "For Milestone 1 Clinic booking site" in shown
    assert "Card Visa •••• 4242" in shown
    assert f"Payment reference {payment.intent_id}" in shown and payment.intent_id
    assert "Milestone (held in escrow) $400.00 Client marketplace fee $10.00 Total charged $410.00 USD" in shown
    assert "Refunds Date Amount Status" in shown and "$100.00 Refunded to your card" in shown
    assert "Paid after refunds $310.00" in shown
    assert "Sandbox payment" in shown
    # no processor receipt to link to in the sandbox
    assert "The card processor's receipt" not in shown


def test_a_receipt_links_to_the_processors_receipt_when_there_is_one(billed):
    payment = paid(billed.approved)
    stripe_receipt = "https://pay.stripe.com/receipts/payment/CAcaFwoVYWNjdF8x"
    # Stripe's confirmation carries a receipt address (payment_apply keeps it)
    Payment.objects.filter(pk=payment.pk).update(receipt_url=stripe_receipt)
    page = browser_for(billed.client).get(receipt_url(payment))
    assert links_to(page, stripe_receipt) == ["The card processor's receipt (Stripe)"]
    assert "Refunds" not in text(page)


@pytest.mark.parametrize("who", ["freelancer", "other client", "staff", "other freelancer"])
def test_a_receipt_is_a_404_to_anyone_but_its_payer(billed, who):
    viewer = {
        "freelancer": billed.first.freelancer,
        "other client": new_client(),
        "staff": UserFactory(is_staff=True, is_superuser=True),
        "other freelancer": new_freelancer(),
    }[who]
    assert browser_for(viewer).get(receipt_url(paid(billed.approved))).status_code == 404


def test_there_is_no_receipt_for_a_declined_payment(billed):
    declined = Payment.objects.get(payer=billed.client, status=Payment.Status.FAILED)
    browser = browser_for(billed.client)
    assert browser.get(receipt_url(declined)).status_code == 404
    assert browser.get(reverse("billing_receipt", args=[987_654_321])).status_code == 404


def test_a_printed_receipt_leaves_out_the_site_navigation():
    css = (Path(django_settings.BASE_DIR) / "static" / "css" / "app.css").read_text()
    print_rules = css[css.index("@media print") :]
    hidden = print_rules[: print_rules.index("display: none")]
    assert ".site-header" in hidden and ".no-print" in hidden


# --- Finding the page -------------------------------------------------------------------------------


def test_a_client_finds_billing_in_the_header_and_a_freelancer_does_not():
    client_page = browser_for(new_client()).get(reverse("dashboard"))
    assert links_to(client_page, BILLING) == ["Billing"]
    freelancer_page = browser_for(new_freelancer()).get(reverse("dashboard"))
    assert links_to(freelancer_page, BILLING) == []


def test_the_earnings_page_sends_a_client_to_billing():
    page = browser_for(new_client()).get(reverse("earnings"))
    assert "Earnings are for freelancers" in text(page)
    assert "See your billing: payments, refunds and receipts" in links_to(page, BILLING)
