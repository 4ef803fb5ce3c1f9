"""Invitations over the API: a client invites, the freelancer accepts or declines."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import User
from marketplace import selectors, services
from marketplace.models import Invitation
from marketplace.serializers.common import DeclineReasonSerializer
from marketplace.serializers.invitations import (
    InvitationCreateSerializer,
    InvitationListParamsSerializer,
    InvitationSerializer,
)


@extend_schema_view(
    list=extend_schema(
        parameters=[InvitationListParamsSerializer],
        description="Invitations to you (once the project is published) and invitations you sent.",
    ),
    create=extend_schema(
        request=InvitationCreateSerializer,
        responses={201: InvitationSerializer},
        description="Invite a freelancer to propose on one of your projects (once per freelancer).",
    ),
)
class InvitationViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = InvitationSerializer

    def get_queryset(self) -> QuerySet[Invitation]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return Invitation.objects.none()
        user = self.request.user
        received = selectors.invitations_for_freelancer(user).values("pk")
        return Invitation.objects.filter(Q(pk__in=received) | Q(project__client=user)).select_related(
            "project", "project__client", "freelancer"
        )

    def list(self, request, *args, **kwargs):
        params = InvitationListParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        invitations = self.get_queryset()
        if "project" in params.validated_data:
            invitations = invitations.filter(project_id=params.validated_data["project"])
        direction = params.validated_data.get("direction")
        if direction == "received":
            invitations = invitations.filter(freelancer=request.user)
        elif direction == "sent":
            invitations = invitations.filter(project__client=request.user)
        page = self.paginate_queryset(invitations)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request, *args, **kwargs):
        data = InvitationCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        freelancer: User = data.validated_data["freelancer"]
        invitation = services.invitation_send(
            project=data.validated_data["project"],
            by=request.user,
            freelancer=freelancer,
            message=data.validated_data["message"],
        )
        return self._response(invitation, status_code=status.HTTP_201_CREATED)

    def _response(self, invitation: Invitation, *, status_code: int = status.HTTP_200_OK) -> Response:
        invitation = self.get_queryset().get(pk=invitation.pk)
        return Response(self.get_serializer(invitation).data, status=status_code)

    @extend_schema(
        request=None,
        responses=InvitationSerializer,
        description="Accept an invitation (the invited freelancer); then send a proposal.",
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._response(services.invitation_accept(invitation=self.get_object(), by=request.user))

    @extend_schema(
        request=DeclineReasonSerializer,
        responses=InvitationSerializer,
        description="Decline an invitation (the invited freelancer), optionally saying why.",
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        invitation = self.get_object()
        data = DeclineReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._response(
            services.invitation_decline(invitation=invitation, by=request.user, reason=data.validated_data["reason"])
        )
