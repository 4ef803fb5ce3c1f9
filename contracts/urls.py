from django.urls import path

from contracts import views

urlpatterns = [
    path("offers/<int:pk>/", views.offer_detail, name="offer_detail"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract_detail"),
]
