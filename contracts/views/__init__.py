"""Contract pages, by subject: offers, contracts, milestones, changes to milestones.

Each POST parses input, calls one service and renders or redirects. Lookups go through
contracts.selectors, so anything the person is not a party to is a 404. What a page shows is
built in contracts.presenters.
"""

from contracts.presenters import form_prefix
from contracts.views.contracts import (
    contract_continue,
    contract_detail,
    contract_end,
    contract_list,
    contract_milestone_add,
)
from contracts.views.disputes import (
    dispute_detail,
    dispute_file,
    dispute_moderate,
    dispute_open,
    dispute_submission_file,
)
from contracts.views.edits import (
    milestone_edit_accept,
    milestone_edit_decline,
    milestone_edit_propose,
    milestone_edit_withdraw,
    milestone_removal_propose,
)
from contracts.views.milestones import (
    milestone_approve,
    milestone_cancel,
    milestone_fund,
    milestone_refund_offer,
    milestone_refund_request,
    milestone_release_partial,
    milestone_request_changes,
    milestone_submit,
    refund_request_accept,
    refund_request_decline,
    submission_file,
)
from contracts.views.offers import (
    offer_accept,
    offer_decline,
    offer_detail,
    offer_list,
    offer_revise,
    offer_withdraw,
)

__all__ = [
    "contract_continue",
    "contract_detail",
    "contract_end",
    "contract_list",
    "contract_milestone_add",
    "dispute_detail",
    "dispute_file",
    "dispute_moderate",
    "dispute_open",
    "dispute_submission_file",
    "form_prefix",
    "milestone_approve",
    "milestone_cancel",
    "milestone_edit_accept",
    "milestone_edit_decline",
    "milestone_edit_propose",
    "milestone_edit_withdraw",
    "milestone_fund",
    "milestone_refund_offer",
    "milestone_refund_request",
    "milestone_release_partial",
    "milestone_removal_propose",
    "milestone_request_changes",
    "milestone_submit",
    "offer_accept",
    "offer_decline",
    "offer_detail",
    "offer_list",
    "offer_revise",
    "offer_withdraw",
    "refund_request_accept",
    "refund_request_decline",
    "submission_file",
]
