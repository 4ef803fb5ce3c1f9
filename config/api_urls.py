from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.api import MeView, TokenView
from accounts.report_api import ReportViewSet
from contracts.api.contracts import ContractViewSet
from contracts.api.disputes import DisputeViewSet
from contracts.api.edits import MilestoneEditViewSet
from contracts.api.milestones import MilestoneViewSet
from contracts.api.offers import OfferViewSet
from core.api import IdRouter
from core.api import not_found as api_not_found
from marketplace.api.interviews import InterviewViewSet
from marketplace.api.invitations import InvitationViewSet
from marketplace.api.projects import ProjectViewSet
from marketplace.api.proposals import ProjectProposalViewSet, ProposalViewSet
from marketplace.api.skills import CategoryViewSet, SkillViewSet
from messaging.api import ConversationMessageViewSet, ConversationViewSet
from notifications.api import NotificationViewSet
from payments.api import BalanceViewSet, PayoutViewSet
from reviews.api import ContractReviewViewSet, ReviewViewSet, UserReputationViewSet, UserReviewViewSet

router = IdRouter()
router.register("notifications", NotificationViewSet, basename="notification")
router.register("conversations", ConversationViewSet, basename="conversation")
router.register(
    r"conversations/(?P<conversation_pk>[0-9]+)/messages", ConversationMessageViewSet, basename="conversation-message"
)

# The market: projects, proposals, invitations and interviews.
router.register("projects", ProjectViewSet, basename="project")
router.register(r"projects/(?P<project_pk>[0-9]+)/proposals", ProjectProposalViewSet, basename="project-proposal")
router.register("proposals", ProposalViewSet, basename="proposal")
router.register("invitations", InvitationViewSet, basename="invitation")
router.register("interviews", InterviewViewSet, basename="interview")
router.register("categories", CategoryViewSet, basename="category")
router.register("skills", SkillViewSet, basename="skill")

# Contracts and money: offers, contracts, milestones, earnings and withdrawals.
router.register("offers", OfferViewSet, basename="offer")
router.register("contracts", ContractViewSet, basename="contract")
router.register("milestones", MilestoneViewSet, basename="milestone")
router.register("milestone-edits", MilestoneEditViewSet, basename="milestone-edit")
router.register("disputes", DisputeViewSet, basename="dispute")
router.register("reports", ReportViewSet, basename="report")
router.register(r"contracts/(?P<contract_pk>[0-9]+)/reviews", ContractReviewViewSet, basename="contract-review")
router.register("reviews", ReviewViewSet, basename="review")
router.register(r"users/(?P<user_pk>[0-9]+)/reviews", UserReviewViewSet, basename="user-review")
router.register(r"users/(?P<user_pk>[0-9]+)/reputation", UserReputationViewSet, basename="user-reputation")
router.register("me/balance", BalanceViewSet, basename="balance")
router.register("payouts", PayoutViewSet, basename="payout")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api_token"),
    path("me/", MeView.as_view(), name="api_me"),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("", include(router.urls)),
    re_path(r"", api_not_found),  # anything else under /api/v1/: a JSON 404, not a web page
]
