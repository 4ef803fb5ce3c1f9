from django.urls import path

from payments import views

urlpatterns = [
    path("earnings/", views.earnings, name="earnings"),
]
