"""Offers, contracts and milestones over the REST API: the same services as the pages.

Every lookup goes through a queryset scoped to the caller's own offers and contracts, so an object
they are not a party to is a 404. Serializers check the shape of what is sent (amounts are whole
cents above zero); the services decide what is allowed, and core.api turns their errors into 400
(a rule, a declined card), 409 (a state that does not allow the move) or 429.

Every POST that moves money (fund, approve, release-partial, refund-request, refund-accept,
refund-offer, end) honours an Idempotency-Key header: see payments.idempotency.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contracts import services
from contracts.models import Contract, ContractEvent, Milestone, MilestoneEdit, Offer, RefundRequest
from contracts.selectors import (
    contracts_for_user,
    milestone_edits_for_user,
    milestones_for_user,
    offers_for_user,
)
from contracts.serializers import (
    AmountSerializer,
    ContractDetailSerializer,
    ContractSerializer,
    FundSerializer,
    MilestoneAddSerializer,
    MilestoneEditInputSerializer,
    MilestoneEditSerializer,
    MilestoneSerializer,
    OfferReviseSerializer,
    OfferSerializer,
    ReasonSerializer,
    RefundRequestInputSerializer,
    RequiredReasonSerializer,
    SubmitSerializer,
)
from contracts.services.downloads import submission_file_download
from core.exceptions import DomainError, InvalidTransition
from core.files import attachment_response
from payments.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent

FILE_ID = OpenApiParameter("file_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The file's id.")
MONEY_NOTE = " Moves money: send an Idempotency-Key so that a retry moves it once."


# --- Scoped querysets ------------------------------------------------------------------------


def _milestone_detail(queryset: QuerySet[Milestone]) -> QuerySet[Milestone]:
    return queryset.select_related("contract").prefetch_related(
        "refund_requests",
        "submissions__files",
        Prefetch("edits", queryset=MilestoneEdit.objects.select_related("proposed_by")),
    )


def _contract_detail(queryset: QuerySet[Contract]) -> QuerySet[Contract]:
    return queryset.select_related("client", "freelancer").prefetch_related(
        Prefetch("milestones", queryset=_milestone_detail(Milestone.objects.all())),
        Prefetch("events", queryset=ContractEvent.objects.select_related("actor")),
    )


@contextmanager
def service_fields(renames: dict[str, str]) -> Iterator[None]:
    """Report a service's errors under the names the caller sent (`amount` → `amount_cents`)."""
    try:
        yield
    except DjangoValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
        if not any(name in renames for name in errors):
            raise
        raise DjangoValidationError({renames.get(name, name): messages for name, messages in errors.items()}) from error
    except DomainError as error:
        if error.field in renames:
            error.field = renames[error.field]
        raise


AMOUNT_FIELDS = {"amount": "amount_cents"}


# --- Contracts -------------------------------------------------------------------------------


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
            return _contract_detail(contracts)
        return contracts

    def _detail(self, contract: Contract) -> Response:
        contract = _contract_detail(contracts_for_user(self.request.user)).get(pk=contract.pk)
        return Response(ContractDetailSerializer(contract, context=self.get_serializer_context()).data)

    @extend_schema(
        request=None,
        responses=ContractDetailSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        description="End the contract (either party) once no money is held: completed when every milestone was paid, "
        "otherwise ended early. Unfunded milestones are removed. 400 while money is held; 409 if already ended."
        + MONEY_NOTE,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def end(self, request, pk=None):
        return self._detail(services.contract_end(contract=self.get_object(), by=request.user))

    @extend_schema(
        request=MilestoneAddSerializer,
        responses={201: MilestoneSerializer},
        description="Add a change-order milestone to an active contract (the client); fund it like any other. "
        "409 once the contract has ended.",
    )
    @action(detail=True, methods=["post"], url_path="milestones", url_name="milestones")
    def add_milestone(self, request, pk=None):
        contract = self.get_object()
        data = MilestoneAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with service_fields(AMOUNT_FIELDS):
            milestone = services.milestone_add(contract=contract, by=request.user, **data.validated_data)
        fresh = _milestone_detail(Milestone.objects.all()).get(pk=milestone.pk)
        return Response(MilestoneSerializer(fresh).data, status=status.HTTP_201_CREATED)


# --- Offers ----------------------------------------------------------------------------------


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
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._response(
            services.offer_decline(offer=offer, by=request.user, reason=data.validated_data["reason"])
        )

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
        data = OfferReviseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        milestones = [services.MilestoneTerms(**dict(m)) for m in data.validated_data["milestones"]]
        revised = services.offer_revise(
            offer=offer,
            by=request.user,
            milestones=milestones,
            note=data.validated_data["note"],
            change_rounds=data.validated_data.get("change_rounds"),
        )
        return self._response(revised)


# --- Milestones ------------------------------------------------------------------------------


@extend_schema_view(retrieve=extend_schema(description="One milestone of one of your contracts."))
class MilestoneViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = MilestoneSerializer

    def get_queryset(self) -> QuerySet[Milestone]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return Milestone.objects.none()
        milestones = milestones_for_user(self.request.user)
        return _milestone_detail(milestones) if self.action == "retrieve" else milestones.select_related("contract")

    def _response(self, milestone: Milestone, *, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = _milestone_detail(milestones_for_user(self.request.user)).get(pk=milestone.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    @extend_schema(
        parameters=[FILE_ID],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        description="Download a file delivered on this milestone (either party), as an attachment.",
    )
    @action(detail=True, methods=["get"], url_path=r"files/(?P<file_pk>[0-9]+)", url_name="file")
    def file(self, request, pk=None, file_pk=None):
        milestone = self.get_object()
        return attachment_response(submission_file_download(user=request.user, file_pk=file_pk, milestone=milestone))

    def _pending_refund_request(self, milestone: Milestone) -> RefundRequest:
        pending = milestone.refund_requests.filter(status=RefundRequest.Status.PENDING).first()
        if pending is None:
            raise InvalidTransition("No refund request is waiting for an answer on this milestone.")
        return pending

    @extend_schema(
        request=FundSerializer,
        responses=MilestoneSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        description="Fund the milestone (the client): the card is charged (sandbox: simulated) and the amount is "
        "held in escrow. 409 unless it is waiting for funding; 400 if the card is declined." + MONEY_NOTE,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def fund(self, request, pk=None):
        milestone = self.get_object()
        data = FundSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.milestone_fund(milestone=milestone, by=request.user, card_number=data.validated_data["card_number"])
        return self._response(milestone)

    @extend_schema(
        request=SubmitSerializer,
        responses=MilestoneSerializer,
        description="Deliver work on a funded milestone (the freelancer): a message and/or files (multipart). "
        "The client's review window starts (`auto_release_at`).",
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        milestone = self.get_object()
        data = SubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with service_fields({NON_FIELD_ERRORS: "files"}):
            services.milestone_submit(
                milestone=milestone,
                by=request.user,
                message=data.validated_data["message"],
                files=data.validated_data["files"],
            )
        return self._response(milestone)

    @extend_schema(
        request=RequiredReasonSerializer,
        responses=MilestoneSerializer,
        description="Send submitted work back with a reason (the client), at most the contract's number of rounds.",
    )
    @action(detail=True, methods=["post"], url_path="request-changes", url_name="request-changes")
    def request_changes(self, request, pk=None):
        milestone = self.get_object()
        data = RequiredReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.milestone_request_changes(milestone=milestone, by=request.user, reason=data.validated_data["reason"])
        return self._response(milestone)

    @extend_schema(
        request=None,
        responses=MilestoneSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        description="Approve the work (the client): what escrow still holds is released to the freelancer, less "
        "the fee, into their pending balance." + MONEY_NOTE,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def approve(self, request, pk=None):
        milestone = self.get_object()
        services.milestone_approve(milestone=milestone, by=request.user)
        return self._response(milestone)

    @extend_schema(
        request=AmountSerializer,
        responses=MilestoneSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        description="Release part of the held money early (the client); the rest stays held. Less than what is "
        "held: approve to release all of it." + MONEY_NOTE,
    )
    @action(detail=True, methods=["post"], url_path="release-partial", url_name="release-partial")
    @idempotent
    def release_partial(self, request, pk=None):
        milestone = self.get_object()
        data = AmountSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with service_fields(AMOUNT_FIELDS):
            services.milestone_release_partial(
                milestone=milestone, by=request.user, amount_cents=data.validated_data["amount_cents"]
            )
        return self._response(milestone)

    @extend_schema(
        request=RefundRequestInputSerializer,
        responses={201: MilestoneSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        description="Ask for held money back (the client; all of it unless `amount_cents`); the freelancer "
        "agrees (refund-accept/) or declines. One request at a time." + MONEY_NOTE,
    )
    @action(detail=True, methods=["post"], url_path="refund-request", url_name="refund-request")
    @idempotent
    def refund_request(self, request, pk=None):
        milestone = self.get_object()
        data = RefundRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with service_fields(AMOUNT_FIELDS):
            services.milestone_refund_request(
                milestone=milestone,
                by=request.user,
                amount_cents=data.validated_data.get("amount_cents"),
                reason=data.validated_data["reason"],
            )
        return self._response(milestone, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses=MilestoneSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        description="Agree to the client's pending refund request (the freelancer): the money goes back to the "
        "client. 409 if no request is waiting." + MONEY_NOTE,
    )
    @action(detail=True, methods=["post"], url_path="refund-accept", url_name="refund-accept")
    @idempotent
    def refund_accept(self, request, pk=None):
        milestone = self.get_object()
        services.refund_request_accept(request=self._pending_refund_request(milestone), by=request.user)
        return self._response(milestone)

    @extend_schema(
        request=ReasonSerializer,
        responses=MilestoneSerializer,
        description="Decline the client's pending refund request (the freelancer); the money stays held. "
        "409 if no request is waiting.",
    )
    @action(detail=True, methods=["post"], url_path="refund-decline", url_name="refund-decline")
    def refund_decline(self, request, pk=None):
        milestone = self.get_object()
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.refund_request_decline(
            request=self._pending_refund_request(milestone), by=request.user, reason=data.validated_data["reason"]
        )
        return self._response(milestone)

    @extend_schema(
        request=AmountSerializer,
        responses=MilestoneSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        description="Give back part or all of the held money (the freelancer); all of it settles the milestone "
        "as refunded." + MONEY_NOTE,
    )
    @action(detail=True, methods=["post"], url_path="refund-offer", url_name="refund-offer")
    @idempotent
    def refund_offer(self, request, pk=None):
        milestone = self.get_object()
        data = AmountSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with service_fields(AMOUNT_FIELDS):
            services.milestone_refund_offer(
                milestone=milestone, by=request.user, amount_cents=data.validated_data["amount_cents"]
            )
        return self._response(milestone)

    @extend_schema(
        request=None,
        responses=MilestoneSerializer,
        description="Remove a change order that is not funded yet: the client withdraws it, or the freelancer "
        "declines it. Milestones of the agreed terms are removed by agreement instead (propose-removal/). "
        "409 once funded: ask for a refund instead.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        milestone = self.get_object()
        services.milestone_cancel(milestone=milestone, by=request.user)
        return self._response(milestone)

    @extend_schema(
        request=MilestoneEditInputSerializer,
        responses={201: MilestoneEditSerializer},
        description="Propose new terms for a milestone that is not funded yet (either party): the whole title, "
        "amount and due date. Nothing changes until the other party accepts (milestone-edits/{id}/accept/). "
        "One change waits at a time; funding the milestone withdraws it. 409 once funded or removed.",
    )
    @action(detail=True, methods=["post"], url_path="edit", url_name="edit")
    def edit(self, request, pk=None):
        milestone = self.get_object()
        data = MilestoneEditInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with service_fields(AMOUNT_FIELDS):
            edit = services.milestone_edit_propose(milestone=milestone, by=request.user, **data.validated_data)
        fresh = MilestoneEdit.objects.select_related("proposed_by").get(pk=edit.pk)
        return Response(MilestoneEditSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={201: MilestoneEditSerializer},
        description="Propose removing a milestone of the agreed terms that is not funded yet (either party). It "
        "stays until the other party accepts (milestone-edits/{id}/accept/); `removes` is true on the proposal.",
    )
    @action(detail=True, methods=["post"], url_path="propose-removal", url_name="propose-removal")
    def propose_removal(self, request, pk=None):
        edit = services.milestone_removal_propose(milestone=self.get_object(), by=request.user)
        fresh = MilestoneEdit.objects.select_related("proposed_by").get(pk=edit.pk)
        return Response(MilestoneEditSerializer(fresh).data, status=status.HTTP_201_CREATED)


# --- Changes to unfunded milestones ------------------------------------------------------------


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
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._response(
            services.milestone_edit_decline(edit=edit, by=request.user, reason=data.validated_data["reason"])
        )

    @extend_schema(
        request=None,
        responses=MilestoneEditSerializer,
        description="Withdraw your own proposed change while it waits. 409 if already answered.",
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._response(services.milestone_edit_withdraw(edit=self.get_object(), by=request.user))
