"""Connect (Express accounts, onboarding links) and transfers: separate charges and transfers.

Stripe: "Create charges on your platform account and separately transfer funds to connected accounts" — the
platform charges the customer, then POST /v1/transfers moves part of its balance to a connected account.
"""

import time
from urllib.parse import quote

from aiohttp import web
from localstripe.resources import List, StripeObject

from tests.fakestripe.common import (
    as_bool,
    as_int,
    find,
    json_response,
    params,
    pop_expand,
    random_id,
    required,
    send_event,
    stored,
    stripe_error,
    unexpected,
)
from tests.fakestripe.payments import available_balance

routes = web.RouteTableDef()

# What Stripe lists under requirements.currently_due for a new Express account, in part.
ONBOARDING_REQUIREMENTS = [
    "business_profile.url",
    "external_account",
    "individual.dob.day",
    "individual.first_name",
    "individual.last_name",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]


class Account(StripeObject):
    """Stripe: a connected account. Until onboarding is done, details_submitted, charges_enabled and payouts_enabled
    are false, requirements.currently_due lists what is missing and requested capabilities are "inactive".

    (localstripe exports every public attribute and method of an object: helpers here start with "_".)"""

    object = "account"
    _id_prefix = "acct_"

    def __init__(self, type, email, country, capabilities, metadata, business_type):
        super().__init__()
        self.type = type
        self.email = email
        self.country = country
        self.default_currency = {"US": "usd", "GB": "gbp"}.get(country, "eur")
        self.business_type = business_type
        self.metadata = metadata
        self.capabilities = {
            name: "inactive" for name, asked in capabilities.items() if as_bool(asked.get("requested"))
        }
        self.details_submitted = False
        self.charges_enabled = False
        self.payouts_enabled = False
        self.requirements = {
            "currently_due": list(ONBOARDING_REQUIREMENTS),
            "eventually_due": list(ONBOARDING_REQUIREMENTS),
            "past_due": list(ONBOARDING_REQUIREMENTS),
            "pending_verification": [],
            "disabled_reason": "requirements.past_due",
            "current_deadline": None,
            "errors": [],
        }

    def _complete_onboarding(self) -> None:
        self.details_submitted = True
        self.charges_enabled = True
        self.payouts_enabled = True
        self.capabilities = dict.fromkeys(self.capabilities, "active")
        self.requirements = {**self.requirements, "currently_due": [], "eventually_due": [], "past_due": []}
        self.requirements["disabled_reason"] = None


@routes.post("/v1/accounts")
async def create_account(request: web.Request) -> web.Response:
    data = await params(request)
    expand = pop_expand(data)
    required(data, "type")
    if data["type"] not in ("express", "standard", "custom"):
        raise stripe_error(400, f"Invalid type: {data['type']}", param="type")
    fields = {
        "type": data.pop("type"),
        "email": data.pop("email", None),
        "country": data.pop("country", "US"),
        "capabilities": data.pop("capabilities", None) or {},
        "metadata": data.pop("metadata", None) or {},
        "business_type": data.pop("business_type", None),
    }
    unexpected(data)
    account = Account(**fields)
    return json_response(account._export(expand=expand))


@routes.get("/v1/accounts/{id}")
async def retrieve_account(request: web.Request) -> web.Response:
    data = await params(request)
    account = find("account", request.match_info["id"])
    return json_response(account._export(expand=pop_expand(data)))


@routes.post("/v1/account_links")
async def create_account_link(request: web.Request) -> web.Response:
    """Stripe: "Account Links are the means by which a Connect platform grants a connected account permission to
    access Stripe-hosted applications, such as Connect Onboarding." The fake's link completes onboarding when opened
    (GET) and then sends the browser to return_url."""
    data = await params(request)
    required(data, "account", "type", "refresh_url", "return_url")
    account = find("account", data.pop("account"), param="account")
    if data["type"] not in ("account_onboarding", "account_update"):
        raise stripe_error(400, f"Invalid type: {data['type']}", param="type")
    return_url = data.pop("return_url")
    data.pop("type"), data.pop("refresh_url"), data.pop("collect", None), data.pop("collection_options", None)
    unexpected(data)
    now = int(time.time())
    url = f"http://{request.host}/_fake/onboard/{account.id}?return_url={quote(return_url, safe='')}"
    return json_response({"object": "account_link", "created": now, "expires_at": now + 300, "url": url})


@routes.get("/_fake/onboard/{id}")
async def onboarding_page(request: web.Request) -> web.StreamResponse:
    """Opening the onboarding link stands for a person filling Stripe's forms: the account becomes complete,
    Stripe sends account.updated (a Connect event: it carries `account`), and the browser goes to return_url.
    With ?incomplete=1 the person leaves early: Stripe still sends them to return_url ("doesn't mean that all
    information has been collected"), and nothing changes."""
    account = find("account", request.match_info["id"])
    if not request.query.get("incomplete"):
        account._complete_onboarding()
        send_event("account.updated", account, account=account.id)
    if "return_url" in request.query:
        raise web.HTTPFound(request.query["return_url"])
    return web.Response(text="Onboarding complete.", content_type="text/plain")


class Transfer(StripeObject):
    """Stripe's Transfer: "A Transfer object is created when you move funds between Stripe accounts as part of
    Connect." amount_reversed and reversed follow its reversals."""

    object = "transfer"
    _id_prefix = "tr_"

    def __init__(self, amount, currency, destination, description, metadata, transfer_group, source_transaction):
        super().__init__()
        self.amount = amount
        self.currency = currency
        self.destination = destination
        self.description = description
        self.metadata = metadata
        self.transfer_group = transfer_group
        self.source_transaction = source_transaction
        self.source_type = "card"
        self.balance_transaction = random_id("txn_")
        self.destination_payment = random_id("py_")

    @property
    def reversals(self):
        reversals = List(f"/v1/transfers/{self.id}/reversals")
        reversals._list = [r for r in stored("transfer_reversal") if r.transfer == self.id]
        return reversals

    @property
    def amount_reversed(self) -> int:
        return sum(r.amount for r in stored("transfer_reversal") if r.transfer == self.id)

    @property
    def reversed(self) -> bool:
        return self.amount_reversed >= self.amount


class TransferReversal(StripeObject):
    object = "transfer_reversal"
    _id_prefix = "trr_"

    def __init__(self, transfer, amount, metadata):
        super().__init__()
        self.transfer = transfer.id
        self.amount = amount
        self.currency = transfer.currency
        self.metadata = metadata
        self.balance_transaction = random_id("txn_")
        self.destination_payment_refund = random_id("pyr_")
        self.source_refund = None


@routes.post("/v1/transfers")
async def create_transfer(request: web.Request) -> web.Response:
    """Stripe refuses a transfer to an unknown destination (resource_missing), to an account whose transfers
    capability is not active, and one above the available balance (balance_insufficient) unless it names the charge
    it is paid from (source_transaction: "the transfer succeeds regardless of your available balance")."""
    data = await params(request)
    expand = pop_expand(data)
    required(data, "amount", "currency", "destination")
    amount = as_int(data.pop("amount"), "amount")
    currency = str(data.pop("currency")).lower()
    destination = find("account", data.pop("destination"), param="destination", noun="destination")
    if destination.capabilities.get("transfers") != "active":
        raise stripe_error(
            400,
            "Your destination account needs to have at least one of the following capabilities enabled: "
            "transfers, crypto_transfers, legacy_payments",
            code="insufficient_capabilities_for_transfer",
            param="destination",
        )
    source_transaction = data.pop("source_transaction", None)
    if source_transaction:
        _check_source_transaction(source_transaction, amount)
    elif amount > available_balance(currency):
        raise stripe_error(
            400,
            "You have insufficient available funds in your Stripe account. Try adding funds directly to your "
            "available balance by creating Charges using the 4000000000000077 test card.",
            code="balance_insufficient",
        )
    fields = {
        "description": data.pop("description", None),
        "metadata": data.pop("metadata", None) or {},
        "transfer_group": data.pop("transfer_group", None),
    }
    unexpected(data)
    transfer = Transfer(amount, currency, destination.id, source_transaction=source_transaction, **fields)
    send_event("transfer.created", transfer)
    return json_response(transfer._export(expand=expand))


def _check_source_transaction(charge_id: str, amount: int) -> None:
    # The fake's own rule (Stripe's wording not known): no more than what the charge kept after refunds and the
    # transfers already paid from it.
    charge = find("charge", charge_id, param="source_transaction")
    if charge.status != "succeeded":
        raise stripe_error(400, f"The source transaction {charge.id} has not succeeded.", param="source_transaction")
    paid_out = sum(t.amount - t.amount_reversed for t in stored("transfer") if t.source_transaction == charge.id)
    left = charge.amount - charge.amount_refunded - paid_out
    if amount > left:
        message = f"Transfer amount ({amount}) exceeds what remains of source transaction {charge.id} ({left})."
        raise stripe_error(400, message, param="amount")


@routes.get("/v1/transfers/{id}")
async def retrieve_transfer(request: web.Request) -> web.Response:
    data = await params(request)
    return json_response(find("transfer", request.match_info["id"])._export(expand=pop_expand(data)))


@routes.get("/v1/transfers")
async def list_transfers(request: web.Request) -> web.Response:
    """Stripe: "destination: Only return transfers for the destination specified by this account ID";
    "transfer_group: Only return transfers with the specified transfer group". Newest first."""
    data = await params(request)
    expand = pop_expand(data)
    destination = data.pop("destination", None)
    transfer_group = data.pop("transfer_group", None)
    transfers = List("/v1/transfers", limit=data.pop("limit", None), starting_after=data.pop("starting_after", None))
    unexpected(data)
    transfers._list = [
        t
        for t in reversed(stored("transfer"))
        if destination in (None, t.destination) and transfer_group in (None, t.transfer_group)
    ]
    return json_response(transfers._export(expand=expand))


@routes.post("/v1/transfers/{id}/reversals")
async def reverse_transfer(request: web.Request) -> web.Response:
    """Stripe: "You can reverse a transfer ... Reversing a transfer that was previously partially reversed is possible
    until the entire transfer has been reversed." amount defaults to the rest; transfer.reversed is sent."""
    data = await params(request)
    expand = pop_expand(data)
    transfer = find("transfer", request.match_info["id"])
    left = transfer.amount - transfer.amount_reversed
    if left <= 0:
        raise stripe_error(400, f"Transfer {transfer.id} has already been fully reversed.")
    amount = as_int(data.pop("amount"), "amount") if data.get("amount") is not None else left
    if amount > left:
        message = f"Amount ({amount}) is greater than the amount left to reverse on transfer {transfer.id} ({left})."
        raise stripe_error(400, message, param="amount")
    data.pop("description", None), data.pop("refund_application_fee", None)
    metadata = data.pop("metadata", None) or {}
    unexpected(data)
    reversal = TransferReversal(transfer, amount, metadata)
    send_event("transfer.reversed", transfer)
    return json_response(reversal._export(expand=expand))
