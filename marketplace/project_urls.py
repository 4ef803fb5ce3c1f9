"""Projects, search, invitations and confidential access."""

from django.urls import path

from marketplace.views import projects as views

urlpatterns = [
    path("projects/", views.project_search, name="project_search"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("projects/<int:pk>/publish/", views.project_publish, name="project_publish"),
    path("projects/<int:pk>/close/", views.project_close, name="project_close"),
    path("projects/<int:pk>/nda/", views.project_nda_accept, name="project_nda_accept"),
    path("projects/<int:pk>/attachments/<int:attachment_pk>/", views.project_attachment, name="project_attachment"),
    path("projects/<int:pk>/invite/", views.project_invite, name="project_invite"),
    path("freelancers/<int:freelancer_pk>/invite/", views.freelancer_invite, name="freelancer_invite"),
    path("freelancers/", views.freelancer_search, name="freelancer_search"),
    path("invitations/", views.invitation_list, name="invitation_list"),
    path("invitations/<int:pk>/accept/", views.invitation_accept, name="invitation_accept"),
    path("invitations/<int:pk>/decline/", views.invitation_decline, name="invitation_decline"),
]
