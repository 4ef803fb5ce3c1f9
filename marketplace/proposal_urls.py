"""Proposals and interviews."""

from django.urls import path

from marketplace.views import interviews, proposals

urlpatterns = [
    path("projects/<int:project_id>/propose/", proposals.proposal_create, name="proposal_create"),
    path("projects/<int:project_id>/proposals/", proposals.project_proposals, name="project_proposals"),
    path("proposals/", proposals.proposal_list, name="proposal_list"),
    path("proposals/<int:pk>/", proposals.proposal_detail, name="proposal_detail"),
    path("proposals/<int:pk>/edit/", proposals.proposal_edit, name="proposal_edit"),
    path("proposals/<int:pk>/shortlist/", proposals.proposal_shortlist, name="proposal_shortlist"),
    path("proposals/<int:pk>/decline/", proposals.proposal_decline, name="proposal_decline"),
    path("proposals/<int:pk>/hire/", proposals.proposal_hire, name="proposal_hire"),
    path("proposals/<int:pk>/withdraw/", proposals.proposal_withdraw, name="proposal_withdraw"),
    path(
        "proposals/<int:pk>/attachments/<int:attachment_pk>/",
        proposals.proposal_attachment,
        name="proposal_attachment",
    ),
    path("proposals/<int:pk>/interview/", interviews.interview_create, name="interview_create"),
    path("interviews/", interviews.interview_list, name="interview_list"),
    path("interviews/<int:pk>/", interviews.interview_detail, name="interview_detail"),
    path("interviews/<int:pk>/pick/", interviews.interview_pick, name="interview_pick"),
    path("interviews/<int:pk>/times/", interviews.interview_offer_times, name="interview_offer_times"),
    path("interviews/<int:pk>/cancel/", interviews.interview_cancel, name="interview_cancel"),
    path("interviews/<int:pk>/calendar.ics", interviews.interview_ics, name="interview_ics"),
]
