"""Proposed changes to unfunded milestones over the API: accept, decline, withdraw."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contracts import services
from contracts.models import MilestoneEdit
from contracts.selectors import (
    milestone_edits_for_user,
)
from contracts.serializers import (
    MilestoneEditSerializer,
    ReasonSerializer,
)
from core.serializers import validated


@extend_schema_view(retrieve=extend_schema(description="A proposed change to a milestone of one of your contracts."))
class MilestoneEditViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = MilestoneEditSerializer

    def get_queryset(self) -> QuerySet[MilestoneEdit]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return MilestoneEdit.objects.none()
        return milestone_edits_for_user(self.request.user)

    def _response(self, edit: MilestoneEdit) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=edit.pk)).data)

    @extend_schema(
        request=None,
        responses=MilestoneEditSerializer,
        description="Accept the proposed change (the other party, not the proposer): the milestone takes its title, "
        "amount and due date. 409 if already answered or the milestone was funded meanwhile.",
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        edit = self.get_object()
        services.milestone_edit_accept(edit=edit, by=request.user)
        return self._response(edit)

    @extend_schema(
        request=ReasonSerializer,
        responses=MilestoneEditSerializer,
        description="Decline the proposed change (the other party); the milestone keeps its terms. "
        "409 if already answered.",
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        edit = self.get_object()
        data = validated(ReasonSerializer, request.data)
        return self._response(services.milestone_edit_decline(edit=edit, by=request.user, reason=data["reason"]))

    @extend_schema(
        request=None,
        responses=MilestoneEditSerializer,
        description="Withdraw your own proposed change while it waits. 409 if already answered.",
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._response(services.milestone_edit_withdraw(edit=self.get_object(), by=request.user))
