"""Milestones over the API: fund, deliver, review, release, refund, change; every money move honours an
Idempotency-Key (payments.idempotency)."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contracts import services
from contracts.api.common import AMOUNT_FIELDS, FILE_ID, MONEY_NOTE, milestone_detail, service_fields
from contracts.api.disputes import DisputeOpenSerializer, DisputeSerializer, open_dispute
from contracts.models import Milestone, MilestoneEdit, RefundRequest
from contracts.selectors import (
    milestones_for_user,
)
from contracts.serializers import (
    AmountSerializer,
    FundSerializer,
    MilestoneEditInputSerializer,
    MilestoneEditSerializer,
    MilestoneSerializer,
    ReasonSerializer,
    RefundRequestInputSerializer,
    RequiredReasonSerializer,
    SubmitSerializer,
)
from contracts.services.downloads import submission_file_download
from core.exceptions import InvalidTransition
from core.files import attachment_response
from core.serializers import validated
from payments.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent, request_intent


@extend_schema_view(retrieve=extend_schema(description="One milestone of one of your contracts."))
class MilestoneViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = MilestoneSerializer

    def get_queryset(self) -> QuerySet[Milestone]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return Milestone.objects.none()
        milestones = milestones_for_user(self.request.user)
        return milestone_detail(milestones) if self.action == "retrieve" else milestones.select_related("contract")

    def _response(self, milestone: Milestone, *, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = milestone_detail(milestones_for_user(self.request.user)).get(pk=milestone.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    @extend_schema(
        parameters=[FILE_ID],
        responses={(200, "*/*"): OpenApiTypes.BINARY},
        description="Download a file delivered on this milestone (either party), as an attachment.",
    )
    @action(detail=True, methods=["get"], url_path=r"files/(?P<file_pk>[0-9]+)", url_name="file")
    def file(self, request, pk=None, file_pk=None):
        milestone = self.get_object()
        return attachment_response(submission_file_download(user=request.user, file_pk=file_pk, milestone=milestone))

    def _move_part(self, request, service) -> Response:
        """Part of the held money moves (released early, or refunded by the freelancer), keyed by the
        request's Idempotency-Key so that a retry moves it once."""
        milestone = self.get_object()
        amount_cents = validated(AmountSerializer, request.data)["amount_cents"]
        with service_fields(AMOUNT_FIELDS):
            service(milestone=milestone, by=request.user, amount_cents=amount_cents, intent=request_intent(request))
        return self._response(milestone)

    def _edit_created(self, edit: MilestoneEdit) -> Response:
        fresh = MilestoneEdit.objects.select_related("proposed_by").get(pk=edit.pk)
        return Response(MilestoneEditSerializer(fresh).data, status=status.HTTP_201_CREATED)

    def _pending_refund_request(self, milestone: Milestone) -> RefundRequest:
        pending = milestone.refund_requests.filter(status=RefundRequest.Status.PENDING).first()
        if pending is None:
            raise InvalidTransition("No refund request is waiting for an answer on this milestone.")
        return pending

    @extend_schema(
        request=DisputeOpenSerializer,
        responses={201: DisputeSerializer},
        description="Open a dispute on a funded, submitted or changes-requested milestone (either party): a "
        "reason, what happened, what you ask for yourself and evidence files (multipart). The milestone's money "
        "freezes; the other side has 5 days to respond, or what you asked applies. 409 if the milestone is "
        "unfunded, settled or already in dispute.",
    )
    @action(detail=True, methods=["post"])
    def dispute(self, request, pk=None):
        return open_dispute(self, request, self.get_object())

    @extend_schema(
        request=FundSerializer,
        responses=MilestoneSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        description="Fund the milestone (the client): the card is charged and the amount is held in escrow. "
        "Sandbox: `card_number` is a test card (any number; 4000 0000 0000 0002 is declined; empty uses the saved "
        "card) and the milestone is funded at once. Stripe: the card saved on the billing page is charged "
        "(`card_number` is refused: card numbers never reach this API) and the milestone stays `pending` until "
        "Stripe confirms the payment, usually within seconds; read the milestone again. 409 unless it is waiting "
        "for funding or while a payment for it is processing; 400 if the card is declined." + MONEY_NOTE,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def fund(self, request, pk=None):
        milestone = self.get_object()
        data = validated(FundSerializer, request.data)
        services.milestone_fund(milestone=milestone, by=request.user, card_number=data["card_number"])
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
        data = validated(SubmitSerializer, request.data)
        with service_fields({NON_FIELD_ERRORS: "files"}):
            services.milestone_submit(
                milestone=milestone,
                by=request.user,
                message=data["message"],
                files=data["files"],
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
        data = validated(RequiredReasonSerializer, request.data)
        services.milestone_request_changes(milestone=milestone, by=request.user, reason=data["reason"])
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
        return self._move_part(request, services.milestone_release_partial)

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
        data = validated(RefundRequestInputSerializer, request.data)
        with service_fields(AMOUNT_FIELDS):
            services.milestone_refund_request(
                milestone=milestone,
                by=request.user,
                amount_cents=data.get("amount_cents"),
                reason=data["reason"],
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
        data = validated(ReasonSerializer, request.data)
        services.refund_request_decline(
            request=self._pending_refund_request(milestone), by=request.user, reason=data["reason"]
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
        return self._move_part(request, services.milestone_refund_offer)

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
        data = validated(MilestoneEditInputSerializer, request.data)
        with service_fields(AMOUNT_FIELDS):
            edit = services.milestone_edit_propose(milestone=milestone, by=request.user, **data)
        return self._edit_created(edit)

    @extend_schema(
        request=None,
        responses={201: MilestoneEditSerializer},
        description="Propose removing a milestone of the agreed terms that is not funded yet (either party). It "
        "stays until the other party accepts (milestone-edits/{id}/accept/); `removes` is true on the proposal.",
    )
    @action(detail=True, methods=["post"], url_path="propose-removal", url_name="propose-removal")
    def propose_removal(self, request, pk=None):
        return self._edit_created(services.milestone_removal_propose(milestone=self.get_object(), by=request.user))
