from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from accounts import views as account_views
from config import views
from contracts import views as contract_views
from core import views as core_views

# The admin signs in through allauth, so its rate limits and two-factor step apply there too.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Proofwork administration"

# Errors Django answers itself are JSON under /api/.
handler400 = "core.api.bad_request"
handler500 = "core.api.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("accounts/", include("allauth.urls")),
    path("notifications/", include("notifications.urls")),
    path("messages/", include("messaging.urls")),
    path("", include("marketplace.project_urls")),
    path("", include("marketplace.proposal_urls")),
    path("", include("contracts.urls")),
    path("", include("payments.urls")),
    path("moderation/", views.moderation_home, name="moderation_home"),
    path("moderation/members/", account_views.moderation_members, name="moderation_members"),
    path("moderation/members/<int:pk>/", account_views.moderation_member, name="moderation_member"),
    path("moderation/log/", account_views.moderation_log_page, name="moderation_log"),
    path("moderation/reports/<int:pk>/", views.moderation_report, name="moderation_report"),
    *[
        path(f"moderation/view/{kind}/<int:pk>/", views.moderation_view, {"kind": kind}, name=f"moderation_view_{kind}")
        for kind in ("contract", "offer", "project", "conversation")
    ],
    path("moderation/disputes/<int:pk>/", contract_views.dispute_moderate, name="dispute_moderate"),
    path(
        "moderation/disputes/<int:pk>/delivered/<int:file_pk>/",
        contract_views.dispute_submission_file,
        name="dispute_submission_file",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("", include("accounts.urls")),
    path("", include("reviews.urls")),
]

if settings.BENCH_BARE_VIEW:
    from config import bench

    urlpatterns.insert(0, path("bench/bare/", bench.bare, name="bench_bare"))

if settings.SERVE_MEDIA:
    urlpatterns.append(re_path(r"^media/(?P<path>.+)$", core_views.serve_media, name="media"))
