from django.urls import path

from reviews import views

urlpatterns = [
    path("trust/", views.trust, name="trust"),
    path("relationships/<int:pk>/", views.relationship_view, name="relationship"),
    path("contracts/<int:pk>/review/", views.review_write, name="review_write"),
    path("reviews/<int:pk>/reply/", views.review_reply_view, name="review_reply"),
]
