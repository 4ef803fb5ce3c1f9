from django.urls import path

from notifications import views

urlpatterns = [
    path("", views.notification_list, name="notification_list"),
    path("<int:pk>/open/", views.notification_open, name="notification_open"),
    path("read-all/", views.notification_mark_all, name="notification_mark_all"),
    path("settings/", views.notification_preferences, name="notification_preferences"),
]
