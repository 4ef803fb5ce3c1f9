"""Every write in the market goes through these services (split by subject)."""

from marketplace.services.interviews import (  # noqa: F401
    interview_cancel,
    interview_offer_times,
    interview_pick,
    interview_propose,
)
from marketplace.services.invitations import invitation_accept, invitation_decline, invitation_send  # noqa: F401
from marketplace.services.projects import (  # noqa: F401
    confidential_access_record,
    project_close,
    project_create,
    project_edit_check,
    project_files_change,
    project_nda_accept,
    project_publish,
    project_rules_check,
    project_update,
    projects_expire_due,
)
from marketplace.services.proposals import (  # noqa: F401
    MilestoneTerms,
    proposal_decline,
    proposal_edit_check,
    proposal_files_change,
    proposal_hire,
    proposal_offer_accepted,
    proposal_offer_ended,
    proposal_shortlist,
    proposal_submit,
    proposal_terms_check,
    proposal_update,
    proposal_withdraw,
)
