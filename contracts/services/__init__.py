"""Every write to offers, contracts and milestones goes through these services."""

from contracts.services.contracts import contract_end  # noqa: F401
from contracts.services.dispute_decisions import dispute_decide, disputes_due  # noqa: F401
from contracts.services.disputes import (  # noqa: F401
    dispute_add_evidence,
    dispute_open,
    dispute_proposal_accept,
    dispute_proposal_decline,
    dispute_propose,
    dispute_respond,
    dispute_withdraw,
)
from contracts.services.edits import (  # noqa: F401
    check_milestone_terms,
    milestone_edit_accept,
    milestone_edit_decline,
    milestone_edit_propose,
    milestone_edit_withdraw,
    milestone_removal_propose,
)
from contracts.services.milestones import (  # noqa: F401
    milestone_add,
    milestone_approve,
    milestone_cancel,
    milestone_fund,
    milestone_request_changes,
    milestone_submit,
    milestones_auto_release_due,
    milestones_send_reminders,
)
from contracts.services.offers import (  # noqa: F401
    MilestoneTerms,
    offer_accept,
    offer_create_follow_on,
    offer_create_from_hire,
    offer_decline,
    offer_revise,
    offer_terms_check,
    offer_withdraw,
    offers_expire_due,
)
from contracts.services.refunds import (  # noqa: F401
    milestone_refund_offer,
    milestone_refund_request,
    milestone_release_partial,
    milestone_settle_split,
    refund_request_accept,
    refund_request_decline,
    release_partial_check,
)
