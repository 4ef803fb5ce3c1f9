"""Disputes over the API: a party opens one on a milestone (milestones/{id}/dispute/), both parties
and moderators read it, the parties respond, propose, accept or decline a split and the filer
withdraws; staff with the moderation permission decide. A non-party gets 404."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contracts import services
from contracts.api.common import FILE_ID, service_fields
from contracts.models import Dispute, DisputeEvidence, DisputeProposal
from contracts.selectors import disputes_for_user
from contracts.services.dispute_rules import default_outcome_words
from core.files import attachment_response
from core.serializers import (
    CentsField,
    PartySerializer,
    RejectUnknownFieldsMixin,
    StoredFileSerializer,
    StrictIntegerField,
    choice_field,
    status_field,
    validated,
)

DisputeStatusField = status_field(Dispute.Status, component_name="DisputeStatusEnum")
ProposalStatusField = status_field(DisputeProposal.Status, component_name="DisputeProposalStatusEnum")
DisputeReasonField = choice_field(Dispute.Reason, component_name="DisputeReasonEnum")
DisputeFilerField = status_field(Dispute.Filer, component_name="DisputeFilerEnum")
ASKED = (
    "What you ask for yourself, in whole cents from 0 to what is held: the freelancer asks to be paid "
    "this much, the client to get this much back. The rest goes to the other side."
)


class DisputeProposalSerializer(serializers.ModelSerializer):
    by = PartySerializer(read_only=True)
    status = ProposalStatusField(read_only=True)
    client_cents = serializers.SerializerMethodField()

    class Meta:
        model = DisputeProposal
        fields = ["id", "by", "freelancer_cents", "client_cents", "note", "status", "created_at"]
        read_only_fields = fields

    def get_client_cents(self, proposal) -> int:
        return proposal.dispute.held_cents - proposal.freelancer_cents


class DisputeEvidenceSerializer(StoredFileSerializer):
    by = PartySerializer(read_only=True)
    download_route = "dispute-evidence-file"
    owner_pk = "dispute_id"
    file_kwarg = "file_pk"

    class Meta(StoredFileSerializer.Meta):
        model = DisputeEvidence
        fields = [*StoredFileSerializer.Meta.fields, "by", "note", "uploaded_at"]
        read_only_fields = fields


class DisputeSerializer(serializers.ModelSerializer):
    milestone = serializers.IntegerField(source="milestone_id", read_only=True)
    contract = serializers.IntegerField(source="contract_id", read_only=True)
    opened_by = PartySerializer(read_only=True, allow_null=True)
    status = DisputeStatusField(read_only=True)
    reason = DisputeReasonField(choices=Dispute.Reason.choices, read_only=True)
    filer = DisputeFilerField(read_only=True)
    asked_client_cents = serializers.IntegerField(read_only=True)
    outcome_client_cents = serializers.IntegerField(read_only=True, allow_null=True)
    default_outcome = serializers.SerializerMethodField(help_text="What happens if nobody acts before the deadline.")
    proposals = DisputeProposalSerializer(many=True, read_only=True)
    evidence = DisputeEvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = Dispute
        fields = [
            "id",
            "milestone",
            "contract",
            "filer",
            "opened_by",
            "reason",
            "description",
            "status",
            "held_cents",
            "asked_freelancer_cents",
            "asked_client_cents",
            "response",
            "response_freelancer_cents",
            "respond_by",
            "settle_by",
            "default_outcome",
            "outcome_freelancer_cents",
            "outcome_client_cents",
            "rationale",
            "opened_at",
            "escalated_at",
            "resolved_at",
            "proposals",
            "evidence",
        ]
        read_only_fields = fields

    def get_default_outcome(self, dispute) -> str:
        if dispute.status == Dispute.Status.OPEN and dispute.respond_by:
            return default_outcome_words(dispute)
        if dispute.status == Dispute.Status.RESPONDED:
            return "If it is not settled by the settlement deadline, staff decide."
        return ""


class DisputeOpenSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = DisputeReasonField(choices=Dispute.Reason.choices, help_text="Any but chargeback (opened by the bank).")
    description = serializers.CharField(max_length=4000)
    asked_cents = CentsField(help_text=ASKED)
    files = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=10, help_text="Multipart only."
    )


class DisputeRespondSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    response = serializers.CharField(max_length=4000)
    asked_cents = CentsField(help_text=ASKED)
    files = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=10, help_text="Multipart only."
    )


class DisputeProposeSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    freelancer_cents = CentsField(help_text="The freelancer's part of what is held; the rest goes back to the client.")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ProposalAnswerSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    proposal = StrictIntegerField(min_value=1, help_text="The id of the other side's proposal.")


class DisputeDecideSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    freelancer_cents = CentsField(help_text="The freelancer's part of what is held; the rest goes back to the client.")
    rationale = serializers.CharField(max_length=4000, help_text="Read by both parties.")


class EvidenceSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    files = serializers.ListField(child=serializers.FileField(), min_length=1, max_length=10)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


def dispute_detail(queryset: QuerySet[Dispute]) -> QuerySet[Dispute]:
    return queryset.prefetch_related(
        Prefetch("proposals", queryset=DisputeProposal.objects.select_related("by", "dispute")),
        Prefetch("evidence", queryset=DisputeEvidence.objects.select_related("by")),
    )


FILES = {NON_FIELD_ERRORS: "files"}


class DisputeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Disputes you are a party to (moderators: every dispute), oldest first."""

    serializer_class = DisputeSerializer

    def get_queryset(self) -> QuerySet[Dispute]:
        if getattr(self, "swagger_fake_view", False):
            return Dispute.objects.none()
        return dispute_detail(disputes_for_user(self.request.user))

    def _response(self, dispute: Dispute, *, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=dispute.pk)).data, status=status_code)

    @extend_schema(
        request=DisputeRespondSerializer,
        responses=DisputeSerializer,
        description="Respond to a dispute opened against you, within its deadline: your account and what you "
        "ask for yourself. The same split as asked settles it at once. 409 once answered or past the deadline.",
    )
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        dispute = self.get_object()
        data = validated(DisputeRespondSerializer, request.data)
        with service_fields(FILES):
            services.dispute_respond(
                dispute=dispute,
                by=request.user,
                response=data["response"],
                asked_cents=data["asked_cents"],
                files=data["files"],
            )
        return self._response(dispute)

    @extend_schema(
        request=DisputeProposeSerializer,
        responses={201: DisputeSerializer},
        description="Propose a split of what is held (either party); your newer proposal replaces your older one.",
    )
    @action(detail=True, methods=["post"])
    def propose(self, request, pk=None):
        dispute = self.get_object()
        data = validated(DisputeProposeSerializer, request.data)
        services.dispute_propose(
            dispute=dispute, by=request.user, freelancer_cents=data["freelancer_cents"], note=data["note"]
        )
        return self._response(dispute, status_code=status.HTTP_201_CREATED)

    def _proposal(self, dispute: Dispute, data) -> DisputeProposal:
        proposal = dispute.proposals.filter(pk=validated(ProposalAnswerSerializer, data)["proposal"]).first()
        if proposal is None:
            raise serializers.ValidationError({"proposal": ["No such proposal on this dispute."]})
        return proposal

    @extend_schema(
        request=ProposalAnswerSerializer,
        responses=DisputeSerializer,
        description="Accept the other side's proposal: the dispute is settled and the money moves as proposed.",
    )
    @action(detail=True, methods=["post"], url_path="accept-proposal", url_name="accept-proposal")
    def accept_proposal(self, request, pk=None):
        dispute = self.get_object()
        services.dispute_proposal_accept(proposal=self._proposal(dispute, request.data), by=request.user)
        return self._response(dispute)

    @extend_schema(
        request=ProposalAnswerSerializer,
        responses=DisputeSerializer,
        description="Decline the other side's proposal; the dispute goes on.",
    )
    @action(detail=True, methods=["post"], url_path="decline-proposal", url_name="decline-proposal")
    def decline_proposal(self, request, pk=None):
        dispute = self.get_object()
        services.dispute_proposal_decline(proposal=self._proposal(dispute, request.data), by=request.user)
        return self._response(dispute)

    @extend_schema(
        request=None,
        responses=DisputeSerializer,
        description="Withdraw your own dispute: the milestone goes back to where it was.",
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        dispute = self.get_object()
        services.dispute_withdraw(dispute=dispute, by=request.user)
        return self._response(dispute)

    @extend_schema(
        request=DisputeDecideSerializer,
        responses=DisputeSerializer,
        description="Decide a dispute the parties did not settle (staff with the moderation permission): the "
        "freelancer's part of what is held, the rest back to the client, and a rationale both parties read.",
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        dispute = self.get_object()
        data = validated(DisputeDecideSerializer, request.data)
        services.dispute_decide(
            dispute=dispute, by=request.user, freelancer_cents=data["freelancer_cents"], rationale=data["rationale"]
        )
        return self._response(dispute)

    @extend_schema(
        request=EvidenceSerializer,
        responses={201: DisputeSerializer},
        description="Add evidence files (multipart) while the dispute is open: either party or a moderator.",
    )
    @action(detail=True, methods=["post"])
    def evidence(self, request, pk=None):
        dispute = self.get_object()
        data = validated(EvidenceSerializer, request.data)
        with service_fields(FILES):
            services.dispute_add_evidence(dispute=dispute, by=request.user, files=data["files"], note=data["note"])
        return self._response(dispute, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[FILE_ID],
        responses={(200, "*/*"): OpenApiTypes.BINARY},
        description="Download an evidence file (the parties and moderators), as an attachment.",
    )
    @action(detail=True, methods=["get"], url_path=r"files/(?P<file_pk>[0-9]+)", url_name="evidence-file")
    def file(self, request, pk=None, file_pk=None):
        dispute = self.get_object()
        item = dispute.evidence.filter(pk=file_pk).first()
        if item is None:
            raise Http404("No such file on this dispute.")
        return attachment_response(item)


def open_dispute(view, request, milestone) -> Response:
    """milestones/{id}/dispute/: open a dispute (a party) on a funded, submitted or changes-requested milestone."""
    data = validated(DisputeOpenSerializer, request.data)
    with service_fields(FILES):
        dispute = services.dispute_open(
            milestone=milestone,
            by=request.user,
            reason=data["reason"],
            description=data["description"],
            asked_cents=data["asked_cents"],
            files=data["files"],
        )
    fresh = dispute_detail(disputes_for_user(request.user)).get(pk=dispute.pk)
    return Response(DisputeSerializer(fresh, context=view.get_serializer_context()).data, status=201)
