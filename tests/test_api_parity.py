"""The API does what the pages do.

Every route of the site's URLconf that takes a POST (an action on the pages) is either mapped
below to the API operation that does the same (by its operationId in the generated OpenAPI
schema), or listed as pages-only with the reason. A new action on the pages fails this test until
its API operation exists or the reason it has none is written down.
"""

from __future__ import annotations

import inspect

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

# The page's action (URL name) → the API operation that does the same.
API_FOR_PAGE_ACTION = {
    # notifications and messages
    "notification_open": "notifications_read_create",
    "notification_mark_all": "notifications_read_all_create",
    "conversation_detail": "conversations_messages_create",  # the page's form sends a message
    # the market
    "project_create": "projects_create",
    "project_edit": "projects_partial_update",
    "project_publish": "projects_publish_create",
    "project_close": "projects_close_create",
    "project_nda_accept": "projects_nda_create",
    "project_invite": "invitations_create",
    "freelancer_invite": "invitations_create",
    "invitation_accept": "invitations_accept_create",
    "invitation_decline": "invitations_decline_create",
    "proposal_create": "projects_proposals_create",
    "proposal_edit": "proposals_partial_update",
    "proposal_shortlist": "proposals_shortlist_create",
    "proposal_decline": "proposals_decline_create",
    "proposal_hire": "proposals_hire_create",
    "proposal_withdraw": "proposals_withdraw_create",
    "interview_create": "interviews_create",
    "interview_pick": "interviews_pick_create",
    "interview_offer_times": "interviews_offer_times_create",
    "interview_cancel": "interviews_cancel_create",
    # offers and contracts
    "offer_accept": "offers_accept_create",
    "offer_decline": "offers_decline_create",
    "offer_withdraw": "offers_withdraw_create",
    "offer_revise": "offers_revise_create",
    "contract_end": "contracts_end_create",
    "contract_milestone_add": "contracts_milestones_create",
    "contract_continue": "contracts_continue_create",
    # milestones and money
    "milestone_fund": "milestones_fund_create",
    "dispute_open": "milestones_dispute_create",
    # the dispute page's forms (respond, propose, accept or decline a proposal, withdraw, decide, add
    # evidence) post to the page's own address, each with its `action`; each has its own operation
    "dispute_detail": "disputes_respond_create",
    "dispute_moderate": "disputes_decide_create",  # the staff's page: decide, add evidence
    "report": "reports_create",
    "review_write": "contracts_reviews_create",
    "review_reply": "reviews_reply_create",
    "milestone_submit": "milestones_submit_create",
    "milestone_request_changes": "milestones_request_changes_create",
    "milestone_approve": "milestones_approve_create",
    "milestone_release_partial": "milestones_release_partial_create",
    "milestone_refund_request": "milestones_refund_request_create",
    "milestone_refund_offer": "milestones_refund_offer_create",
    "milestone_cancel": "milestones_cancel_create",
    "milestone_edit_propose": "milestones_edit_create",
    "milestone_removal_propose": "milestones_propose_removal_create",
    "milestone_edit_accept": "milestone_edits_accept_create",
    "milestone_edit_decline": "milestone_edits_decline_create",
    "milestone_edit_withdraw": "milestone_edits_withdraw_create",
    "refund_request_accept": "milestones_refund_accept_create",
    "refund_request_decline": "milestones_refund_decline_create",
    "earnings": "payouts_create",  # the earnings page's form asks for a payout
    # signing in: the API's counterpart is a token
    "account_login": "auth_token_create",
}

ALLAUTH = "Handled by allauth's pages (sign-up, email, passwords, two-factor); the API signs in with a token."
PROFILES = (
    "Not in the API yet: roles, profiles and the portfolio are edited on the pages; the API reads the person at /me/."
)

# The page's action (URL name) → why the API has no operation for it.
PAGES_ONLY = {
    "moderation_report": "Moderators answer reports in the moderation area, which needs a sign-in with an "
    "authenticator code; the API has no staff queue for them.",
    "api_token_revoke": "The settings page revokes any of your tokens by id; the API revokes the token it is "
    "called with (DELETE /api/v1/auth/token/), so a stolen token cannot revoke the others.",
    "account_logout": "A token is revoked by signing out on the pages; the API has no session to end.",
    "account_signup": ALLAUTH,
    "account_reauthenticate": ALLAUTH,
    "account_request_reauthentication_code": ALLAUTH,
    "account_confirm_reauthentication_code": ALLAUTH,
    "account_email": ALLAUTH,
    "account_change_password": ALLAUTH,
    "account_set_password": ALLAUTH,
    "account_reset_password": ALLAUTH,
    "account_reset_password_from_key": ALLAUTH,
    "account_confirm_login_code": ALLAUTH,
    "account_confirm_email": ALLAUTH,
    "mfa_authenticate": ALLAUTH,
    "mfa_reauthenticate": ALLAUTH,
    "mfa_activate_totp": ALLAUTH,
    "mfa_deactivate_totp": ALLAUTH,
    "mfa_generate_recovery_codes": ALLAUTH,
    "notification_preferences": "Not in the API yet: email preferences are set on the settings page.",
    "moderation_member": "Staff moderation (suspend, reinstate) is a staff tool on the pages only.",
    "onboarding": PROFILES,
    "profile_freelancer_edit": PROFILES,
    "profile_client_edit": PROFILES,
    "portfolio_item_create": PROFILES,
    "portfolio_item_edit": PROFILES,
    "portfolio_item_delete": PROFILES,
    "billing_card": "A card is typed on Stripe's own page (or the sandbox's form) in a browser, never sent to "
    "our API; the API's fund operation pays with the saved card.",
    "payout_account": "Stripe's Express onboarding happens on Stripe's pages in a browser; the API reads the "
    "balance and withdraws to the account once it is ready.",
    "stripe_webhook": "Stripe's own calls, verified by their signature: not something a member does.",
}

# Not the site's pages: the admin is Django's own staff tool, and /api/ is the API itself.
NOT_PAGES = ("admin/", "api/")


def _routes(patterns, prefix: str = "", namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), namespace + (pattern.name or ""), pattern.callback


def _declared_methods(view) -> set[str] | None:
    """The methods a view says it takes: a class-based view's handlers, or the list given to
    require_POST / require_http_methods; None when the view does not restrict them."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return {name.upper() for name in view_class.http_method_names if hasattr(view_class, name)}
    layer = view
    while layer is not None:
        for cell in layer.__closure__ or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if (
                isinstance(value, list | tuple | set)
                and value
                and all(isinstance(m, str) and m.isupper() for m in value)
            ):
                return set(value)
        layer = getattr(layer, "__wrapped__", None)
    return None


def _reads_a_post(view) -> bool:
    """A view that does not restrict its methods acts on a POST when it (or a helper of its module
    it calls) looks at one."""
    function = inspect.unwrap(view)
    sources = [inspect.getsource(function)]
    module = inspect.getmodule(function)
    for name in function.__code__.co_names:
        helper = getattr(module, name, None)
        if inspect.isfunction(helper) and helper.__module__ == function.__module__:
            sources.append(inspect.getsource(helper))
    return any("POST" in source for source in sources)


def page_actions() -> dict[str, str]:
    """Every named route of the site's pages that takes a POST: name → route."""
    actions = {}
    for route, name, view in _routes(get_resolver().url_patterns):
        if route.startswith(NOT_PAGES) or not name:
            continue
        methods = _declared_methods(view)
        if (methods is not None and "POST" in methods) or (methods is None and _reads_a_post(view)):
            actions[name] = route
    return actions


@pytest.fixture(scope="module")
def operation_ids() -> set[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {operation["operationId"] for path in schema["paths"].values() for operation in path.values()}


def test_every_action_on_the_pages_has_an_api_operation_or_a_reason_it_has_none(operation_ids):
    actions = page_actions()
    unaccounted = sorted(name for name in actions if name not in API_FOR_PAGE_ACTION and name not in PAGES_ONLY)
    assert unaccounted == [], f"map these page actions to an API operation or list them as pages-only: {unaccounted}"
    missing = {page: op for page, op in API_FOR_PAGE_ACTION.items() if page in actions and op not in operation_ids}
    assert missing == {}, f"these API operations are not in the schema: {missing}"


def test_the_mapping_names_only_actions_that_exist():
    # a page that was removed or renamed must leave the mapping too, so it stays a true record
    actions = page_actions()
    stale = sorted(name for name in [*API_FOR_PAGE_ACTION, *PAGES_ONLY] if name not in actions)
    assert stale == []
    assert not set(API_FOR_PAGE_ACTION) & set(PAGES_ONLY)
    assert all(reason.strip() for reason in PAGES_ONLY.values())


def test_the_finder_sees_every_kind_of_action():
    actions = page_actions()
    assert "proposal_hire" in actions  # GET shows the terms, POST hires (require_http_methods)
    assert "offer_accept" in actions  # require_POST
    assert "account_signup" in actions  # a class-based view with a post handler
    assert "profile_client_edit" in actions  # unrestricted, its helper reads the POST
    assert "contract_continue" in actions
    assert "project_detail" not in actions and "contract_list" not in actions  # pages that only read
