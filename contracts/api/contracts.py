"""Contracts over the API: list, read, end, add a change order, continue after a paid test."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contracts import services
from contracts.api.common import AMOUNT_FIELDS, MONEY_NOTE, contract_detail, milestone_detail, service_fields
from contracts.models import Contract, Milestone, Offer
from contracts.selectors import (
    contracts_for_user,
)
from contracts.serializers import (
    ContractDetailSerializer,
    ContractEndSerializer,
    ContractSerializer,
    FollowOnInputSerializer,
    MilestoneAddSerializer,
    MilestoneSerializer,
    OfferSerializer,
)
from core.serializers import validated
from payments.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent


@extend_schema_view(
    list=extend_schema(description="Your contracts, as client or freelancer, newest first."),
    retrieve=extend_schema(
        description="One of your contracts with its milestones (status, money held, released and refunded, "
        "deadlines) and its timeline of events."
    ),
)
class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    def get_serializer_class(self):
        return ContractSerializer if self.action == "list" else ContractDetailSerializer

    def get_queryset(self) -> QuerySet[Contract]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return Contract.objects.none()
        contracts = contracts_for_user(self.request.user)
        if self.action == "list":
            return contracts.select_related("client", "freelancer")
        if self.action == "retrieve":
            return contract_detail(contracts)
        return contracts

    def _detail(self, contract: Contract) -> Response:
        contract = contract_detail(contracts_for_user(self.request.user)).get(pk=contract.pk)
        return Response(ContractDetailSerializer(contract, context=self.get_serializer_context()).data)

    @extend_schema(
        request=ContractEndSerializer,
        responses=ContractDetailSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        description="End the contract (either party) once no money is held, with a reason and an optional note "
        "that the other party is sent: completed when every milestone was paid, otherwise ended early. Unfunded "
        "milestones are removed. 400 for a missing or unknown reason and while money is held; 409 if already ended."
        + MONEY_NOTE,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def end(self, request, pk=None):
        contract = self.get_object()
        data = validated(ContractEndSerializer, request.data)
        return self._detail(services.contract_end(contract=contract, by=request.user, **data))

    @extend_schema(
        request=MilestoneAddSerializer,
        responses={201: MilestoneSerializer},
        description="Add a change-order milestone to an active contract (the client); fund it like any other. "
        "409 once the contract has ended.",
    )
    @action(detail=True, methods=["post"], url_path="milestones", url_name="milestones")
    def add_milestone(self, request, pk=None):
        contract = self.get_object()
        data = validated(MilestoneAddSerializer, request.data)
        with service_fields(AMOUNT_FIELDS):
            milestone = services.milestone_add(contract=contract, by=request.user, **data)
        fresh = milestone_detail(Milestone.objects.all()).get(pk=milestone.pk)
        return Response(MilestoneSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=FollowOnInputSerializer,
        responses={201: OfferSerializer},
        description="Continue with this freelancer (the client, after a paid test ended as completed): a new offer "
        "of longer work with these milestones, linked to the test (`follow_on_of`), which the freelancer accepts "
        "or declines like any offer. 400 for a contract that is not a completed paid test.",
    )
    @action(detail=True, methods=["post"], url_path="continue", url_name="continue")
    def continue_(self, request, pk=None):
        contract = self.get_object()
        data = validated(FollowOnInputSerializer, request.data)
        with service_fields(AMOUNT_FIELDS):
            offer = services.offer_create_follow_on(
                contract=contract,
                by=request.user,
                title=data["title"],
                scope=data["scope"],
                milestones=[services.MilestoneTerms(**dict(m)) for m in data["milestones"]],
                change_rounds=data.get("change_rounds"),
            )
        fresh = Offer.objects.select_related("client", "freelancer", "contract").prefetch_related("milestones")
        return Response(OfferSerializer(fresh.get(pk=offer.pk)).data, status=status.HTTP_201_CREATED)
