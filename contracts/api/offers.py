"""Offers over the API: read, accept, decline, withdraw, revise."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contracts import services
from contracts.models import Offer
from contracts.selectors import (
    offers_for_user,
)
from contracts.serializers import (
    OfferReviseSerializer,
    OfferSerializer,
    ReasonSerializer,
)
from core.serializers import validated


@extend_schema_view(
    list=extend_schema(description="Offers you made (client) or received (freelancer), newest first."),
    retrieve=extend_schema(description="One of your offers with its milestones."),
)
class OfferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = OfferSerializer

    def get_queryset(self) -> QuerySet[Offer]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return Offer.objects.none()
        return (
            offers_for_user(self.request.user)
            .select_related("client", "freelancer", "contract")
            .prefetch_related("milestones")
        )

    def _response(self, offer: Offer) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=offer.pk)).data)

    @extend_schema(
        request=None,
        responses=OfferSerializer,
        description="Accept the offer's current terms (the side it waits for, see `awaiting`): the contract "
        "starts (`contract`). 409 once expired, declined or withdrawn.",
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        offer = self.get_object()
        services.offer_accept(offer=offer, by=request.user)
        return self._response(offer)

    @extend_schema(
        request=ReasonSerializer, responses=OfferSerializer, description="Decline the offer (the freelancer)."
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        offer = self.get_object()
        data = validated(ReasonSerializer, request.data)
        return self._response(services.offer_decline(offer=offer, by=request.user, reason=data["reason"]))

    @extend_schema(
        request=None, responses=OfferSerializer, description="Withdraw the offer before it is accepted (the client)."
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._response(services.offer_withdraw(offer=self.get_object(), by=request.user))

    @extend_schema(
        request=OfferReviseSerializer,
        responses=OfferSerializer,
        description="Propose changed milestones (either side, before acceptance); the other side must then accept.",
    )
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        offer = self.get_object()
        data = validated(OfferReviseSerializer, request.data)
        milestones = [services.MilestoneTerms(**dict(m)) for m in data["milestones"]]
        revised = services.offer_revise(
            offer=offer,
            by=request.user,
            milestones=milestones,
            note=data["note"],
            change_rounds=data.get("change_rounds"),
        )
        return self._response(revised)
