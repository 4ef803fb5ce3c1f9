from django.urls import path

from accounts import views

urlpatterns = [
    path("welcome/", views.onboarding, name="onboarding"),
    path("profile/freelancer/", views.profile_freelancer_edit, name="profile_freelancer_edit"),
    path("profile/client/", views.profile_client_edit, name="profile_client_edit"),
    path("profile/portfolio/new/", views.portfolio_item_edit, name="portfolio_item_create"),
    path("profile/portfolio/<int:pk>/", views.portfolio_item_edit, name="portfolio_item_edit"),
    path("profile/portfolio/<int:pk>/delete/", views.portfolio_item_delete, name="portfolio_item_delete"),
    path("freelancers/<int:pk>/", views.freelancer_public, name="freelancer_public"),
    path("clients/<int:pk>/", views.client_public, name="client_public"),
    path("report/", views.report_page, name="report"),
    path("settings/", views.account_settings, name="account_settings"),
    path("settings/api-tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]
