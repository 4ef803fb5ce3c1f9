"""The contracts app's models: the deal (offers, contracts, milestones, submissions, refund
requests, changes) and the disputes over a milestone's held money."""

from contracts.models.deals import (  # noqa: F401
    Contract,
    ContractEvent,
    Milestone,
    Offer,
    OfferEvent,
    OfferMilestone,
    RefundRequest,
    RefundRequestEvent,
    Submission,
    SubmissionFile,
)
from contracts.models.disputes import (  # noqa: F401
    Dispute,
    DisputeEvent,
    DisputeEvidence,
    DisputeProposal,
    DisputeProposalEvent,
)
from contracts.models.edits import MilestoneEdit, MilestoneEditEvent  # noqa: F401
