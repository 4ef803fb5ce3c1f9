from django.urls import path

from contracts import views

urlpatterns = [
    path("offers/", views.offer_list, name="offer_list"),
    path("offers/<int:pk>/", views.offer_detail, name="offer_detail"),
    path("offers/<int:pk>/accept/", views.offer_accept, name="offer_accept"),
    path("offers/<int:pk>/decline/", views.offer_decline, name="offer_decline"),
    path("offers/<int:pk>/withdraw/", views.offer_withdraw, name="offer_withdraw"),
    path("offers/<int:pk>/revise/", views.offer_revise, name="offer_revise"),
    path("contracts/", views.contract_list, name="contract_list"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/end/", views.contract_end, name="contract_end"),
    path("contracts/<int:pk>/milestones/", views.contract_milestone_add, name="contract_milestone_add"),
    path("contracts/<int:pk>/continue/", views.contract_continue, name="contract_continue"),
    path("milestones/<int:pk>/fund/", views.milestone_fund, name="milestone_fund"),
    path("milestones/<int:pk>/submit/", views.milestone_submit, name="milestone_submit"),
    path("milestones/<int:pk>/request-changes/", views.milestone_request_changes, name="milestone_request_changes"),
    path("milestones/<int:pk>/approve/", views.milestone_approve, name="milestone_approve"),
    path("milestones/<int:pk>/release-part/", views.milestone_release_partial, name="milestone_release_partial"),
    path("milestones/<int:pk>/refund-request/", views.milestone_refund_request, name="milestone_refund_request"),
    path("milestones/<int:pk>/refund-offer/", views.milestone_refund_offer, name="milestone_refund_offer"),
    path("milestones/<int:pk>/remove/", views.milestone_cancel, name="milestone_cancel"),
    path("milestones/<int:pk>/edit/", views.milestone_edit_propose, name="milestone_edit_propose"),
    path("milestones/<int:pk>/propose-removal/", views.milestone_removal_propose, name="milestone_removal_propose"),
    path("milestone-edits/<int:pk>/accept/", views.milestone_edit_accept, name="milestone_edit_accept"),
    path("milestone-edits/<int:pk>/decline/", views.milestone_edit_decline, name="milestone_edit_decline"),
    path("milestone-edits/<int:pk>/withdraw/", views.milestone_edit_withdraw, name="milestone_edit_withdraw"),
    path("refund-requests/<int:pk>/accept/", views.refund_request_accept, name="refund_request_accept"),
    path("refund-requests/<int:pk>/decline/", views.refund_request_decline, name="refund_request_decline"),
    path("submissions/files/<int:pk>/", views.submission_file, name="submission_file"),
]
