from django.urls import path

from messaging import views

urlpatterns = [
    path("", views.conversation_list, name="conversation_list"),
    path("<int:pk>/", views.conversation_detail, name="conversation_detail"),
    path("attachments/<int:pk>/", views.message_attachment, name="message_attachment"),
]
