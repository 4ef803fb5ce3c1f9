"""Invitations over the API."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import User
from core.serializers import (
    PartySerializer,
    QueryParamsMixin,
    RejectUnknownFieldsMixin,
    StrictIntegerField,
    StrictPrimaryKeyRelatedField,
)
from marketplace import selectors
from marketplace.models import (
    Invitation,
    Project,
)
from marketplace.serializers.common import ID_MAX, ProjectRefSerializer


class InvitationSerializer(serializers.ModelSerializer):
    project = ProjectRefSerializer(read_only=True)
    freelancer = PartySerializer(read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "project", "freelancer", "message", "status", "decline_reason", "created_at", "responded_at"]
        read_only_fields = fields


class InvitationCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    project = StrictPrimaryKeyRelatedField(
        queryset=Project.objects.none(), error_messages={"does_not_exist": "Choose one of your own projects."}
    )
    freelancer = StrictPrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        error_messages={"does_not_exist": "There is no freelancer with id {pk_value}."},
    )
    message = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["project"].queryset = selectors.client_projects(request.user)


class InvitationListParamsSerializer(QueryParamsMixin, serializers.Serializer):
    project = StrictIntegerField(required=False, min_value=1, max_value=ID_MAX, help_text="Only this project.")
    direction = serializers.ChoiceField(
        choices=("received", "sent"),
        required=False,
        help_text="received: invitations to you; sent: invitations you made. Both when left out.",
    )
