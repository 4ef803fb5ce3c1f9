"""Contracts' API shapes. Serializers check the shape of input (types, lengths, whole cents); the
services check every rule, so the API and the pages refuse the same things."""

from __future__ import annotations

from django.urls import NoReverseMatch
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contracts.models import (
    Contract,
    ContractEvent,
    Milestone,
    MilestoneEdit,
    Offer,
    OfferMilestone,
    RefundRequest,
    Submission,
    SubmissionFile,
)
from core.serializers import (
    PartySerializer,
    PositiveCentsField,
    RejectUnknownFieldsMixin,
    StoredFileSerializer,
    StrictIntegerField,
    choice_field,
    status_field,
)
from core.text import single_line

# --- Status fields ---------------------------------------------------------------------------

MilestoneStatusField = status_field(Milestone.Status, component_name="MilestoneStatusEnum")
ContractStatusField = status_field(Contract.Status, component_name="ContractStatusEnum", description="active or ended.")
OfferStatusField = status_field(Offer.Status, component_name="OfferStatusEnum")
MilestoneEditStatusField = status_field(MilestoneEdit.Status, component_name="MilestoneEditStatusEnum")
# One class for the reason sent to end a contract and the reason read back.
EndReasonDetailField = choice_field(Contract.EndReasonDetail, component_name="ContractEndReasonDetailEnum")


def _page_url(obj) -> str | None:
    try:
        return obj.get_absolute_url()
    except NoReverseMatch:
        return None


# --- Milestones ------------------------------------------------------------------------------


class SubmissionFileSerializer(StoredFileSerializer):
    download_url = serializers.SerializerMethodField(help_text="GET it (as either party) to download the file.")
    download_route = "milestone-file"
    owner_pk = "submission.milestone_id"
    file_kwarg = "file_pk"

    class Meta(StoredFileSerializer.Meta):
        model = SubmissionFile


class SubmissionSerializer(serializers.ModelSerializer):
    files = SubmissionFileSerializer(many=True, read_only=True)

    class Meta:
        model = Submission
        fields = ["id", "message", "files", "created_at"]
        read_only_fields = fields


class RefundRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = RefundRequest
        fields = ["id", "amount_cents", "reason", "created_at"]
        read_only_fields = fields


class MilestoneEditSerializer(serializers.ModelSerializer):
    """New terms proposed for an unfunded milestone; they apply once the other party accepts."""

    milestone = serializers.IntegerField(source="milestone_id", read_only=True)
    proposed_by = PartySerializer(read_only=True)
    status = MilestoneEditStatusField(read_only=True)

    class Meta:
        model = MilestoneEdit
        fields = [
            "id",
            "milestone",
            "proposed_by",
            "removes",
            "title",
            "amount_cents",
            "due_date",
            "note",
            "status",
            "created_at",
            "responded_at",
        ]
        read_only_fields = fields


class MilestoneSerializer(serializers.ModelSerializer):
    """A milestone with its money: what escrow holds now, and what was released or refunded."""

    contract = serializers.IntegerField(source="contract_id", read_only=True)
    status = MilestoneStatusField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    held_cents = serializers.IntegerField(read_only=True, help_text="What escrow holds for it now.")
    rounds_left = serializers.IntegerField(read_only=True, help_text="Change requests the client has left.")
    auto_release_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="Submitted work not approved or sent back by then is approved automatically.",
    )
    pending_refund_request = serializers.SerializerMethodField(
        help_text="The client's refund request waiting for the freelancer (refund-accept/ or refund-decline/)."
    )
    pending_edit = serializers.SerializerMethodField(
        help_text="A change to this unfunded milestone waiting for the other party (milestone-edits/{id}/accept/, "
        "decline/ or withdraw/)."
    )
    submissions = SubmissionSerializer(many=True, read_only=True)
    available_actions = serializers.SerializerMethodField(
        help_text="What the caller may do with it now, as the contract page offers it: fund, remove, decline, "
        "submit, approve, request_changes, release_part, release_all, refund_request, refund_offer, "
        "answer_refund, edit, propose_removal, answer_edit, withdraw_edit."
    )

    class Meta:
        model = Milestone
        fields = [
            "id",
            "contract",
            "position",
            "title",
            "status",
            "status_display",
            "amount_cents",
            "held_cents",
            "released_cents",
            "refunded_cents",
            "due_date",
            "is_change_order",
            "changes_requested_count",
            "rounds_left",
            "funded_at",
            "submitted_at",
            "auto_release_at",
            "settled_at",
            "pending_refund_request",
            "pending_edit",
            "submissions",
            "available_actions",
        ]
        read_only_fields = fields

    def _pending_refund(self, milestone: Milestone) -> RefundRequest | None:
        return next((r for r in milestone.refund_requests.all() if r.status == RefundRequest.Status.PENDING), None)

    def _pending_edit(self, milestone: Milestone) -> MilestoneEdit | None:
        if not milestone.is_pending:
            return None  # funding withdraws a waiting change; a removed milestone has nothing to change
        return next((e for e in milestone.edits.all() if e.status == MilestoneEdit.Status.PENDING), None)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_available_actions(self, milestone: Milestone) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        actions = milestone.actions_for(
            request.user, pending_refund=self._pending_refund(milestone), pending_edit=self._pending_edit(milestone)
        )
        return sorted(actions)

    @extend_schema_field(RefundRequestSerializer(allow_null=True))
    def get_pending_refund_request(self, milestone: Milestone) -> dict | None:
        pending = self._pending_refund(milestone)
        return RefundRequestSerializer(pending).data if pending else None

    @extend_schema_field(MilestoneEditSerializer(allow_null=True))
    def get_pending_edit(self, milestone: Milestone) -> dict | None:
        pending = self._pending_edit(milestone)
        return MilestoneEditSerializer(pending).data if pending else None


# --- Contracts -------------------------------------------------------------------------------


class ContractEventSerializer(serializers.ModelSerializer):
    actor = PartySerializer(read_only=True, allow_null=True, help_text="Null when the system acted (a deadline).")
    milestone = serializers.IntegerField(source="milestone_id", read_only=True, allow_null=True)

    class Meta:
        model = ContractEvent
        fields = ["id", "at", "actor", "verb", "milestone", "from_status", "to_status", "amount_cents", "note"]
        read_only_fields = fields


class ContractSerializer(serializers.ModelSerializer):
    client = PartySerializer(read_only=True)
    freelancer = PartySerializer(read_only=True)
    status = ContractStatusField(read_only=True)
    end_reason = serializers.ChoiceField(
        choices=Contract.EndReason.choices,
        allow_blank=True,
        read_only=True,
        help_text="Why the contract ended; empty while it runs.",
    )
    end_reason_detail = choice_field(
        Contract.EndReasonDetail, component_name="ContractEndReasonDetailOrEmptyEnum", blank=True
    )(
        choices=Contract.EndReasonDetail.choices,
        allow_blank=True,
        read_only=True,
        help_text="The reason given by whoever ended it; empty while it runs (and for contracts ended without one).",
    )
    end_note = serializers.CharField(read_only=True, help_text="The note given with the reason; may be empty.")
    offer = serializers.IntegerField(source="offer_id", read_only=True)
    follow_on_of = serializers.IntegerField(source="follow_on_of_id", read_only=True, allow_null=True)
    url = serializers.SerializerMethodField(help_text="The contract's page.")

    class Meta:
        model = Contract
        fields = [
            "id",
            "title",
            "status",
            "end_reason",
            "end_reason_detail",
            "end_note",
            "client",
            "freelancer",
            "currency",
            "is_test_project",
            "change_rounds",
            "offer",
            "follow_on_of",
            "started_at",
            "ended_at",
            "url",
        ]
        read_only_fields = fields

    def get_url(self, contract: Contract) -> str | None:
        return _page_url(contract)


class ContractDetailSerializer(ContractSerializer):
    milestones = MilestoneSerializer(many=True, read_only=True)
    events = ContractEventSerializer(many=True, read_only=True, help_text="The timeline, oldest first.")

    class Meta(ContractSerializer.Meta):
        fields = [*ContractSerializer.Meta.fields, "scope", "acceptance_criteria", "milestones", "events"]
        read_only_fields = fields


# --- Offers ----------------------------------------------------------------------------------


class OfferMilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = OfferMilestone
        fields = ["position", "title", "amount_cents", "due_date"]
        read_only_fields = fields


class OfferSerializer(serializers.ModelSerializer):
    client = PartySerializer(read_only=True)
    freelancer = PartySerializer(read_only=True)
    status = OfferStatusField(read_only=True)
    milestones = OfferMilestoneSerializer(many=True, read_only=True)
    proposal = serializers.IntegerField(source="proposal_id", read_only=True, allow_null=True)
    follow_on_of = serializers.IntegerField(source="follow_on_of_id", read_only=True, allow_null=True)
    contract = serializers.SerializerMethodField(help_text="The contract, once the offer is accepted.")
    url = serializers.SerializerMethodField(help_text="The offer's page.")

    class Meta:
        model = Offer
        fields = [
            "id",
            "title",
            "scope",
            "acceptance_criteria",
            "status",
            "awaiting",
            "revision",
            "client",
            "freelancer",
            "currency",
            "total_cents",
            "is_test_project",
            "change_rounds",
            "milestones",
            "expires_at",
            "decline_reason",
            "proposal",
            "follow_on_of",
            "contract",
            "created_at",
            "url",
        ]
        read_only_fields = fields

    def get_contract(self, offer: Offer) -> int | None:
        try:
            return offer.contract.pk
        except Contract.DoesNotExist:
            return None

    def get_url(self, offer: Offer) -> str | None:
        return _page_url(offer)


# --- Input -----------------------------------------------------------------------------------


class ContractEndSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Why the contract is ending, which the other party reads."""

    reason = EndReasonDetailField(
        choices=Contract.EndReasonDetail.choices,
        error_messages={"invalid_choice": "Choose one of: " + ", ".join(Contract.EndReasonDetail.values) + "."},
        help_text="Why you end it.",
    )
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=500, default="", help_text="Optional; the other party reads it."
    )


class MilestoneTermsInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """One milestone of revised terms."""

    title = serializers.CharField(max_length=120, validators=[single_line])
    amount_cents = PositiveCentsField()
    due_date = serializers.DateField()


class OfferReviseSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Changed terms: the whole list of milestones, the change rounds, and an optional note."""

    milestones = MilestoneTermsInputSerializer(many=True, max_length=50, help_text="The whole new list, in order.")
    change_rounds = StrictIntegerField(
        required=False, min_value=0, max_value=5, help_text="Change requests allowed per milestone (kept if left out)."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class ReasonSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """An optional reason, shown to the other side."""

    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class RequiredReasonSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """What needs to change, shown to the freelancer."""

    reason = serializers.CharField(max_length=2000, help_text="What needs to change.")


class MilestoneAddSerializer(MilestoneTermsInputSerializer):
    """A change order: a new milestone on an active contract."""


class MilestoneEditInputSerializer(MilestoneTermsInputSerializer):
    """New terms for an unfunded milestone: the whole title, amount and due date, and an optional note."""

    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class FundSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """How the client pays (sandbox: a card number, optional)."""

    card_number = serializers.RegexField(
        r"^[0-9 ]{0,30}$",
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid": "Send the card number as digits (spaces allowed)."},
        help_text="Sandbox only: any number is charged, except the test card 4000 0000 0000 0002, which is declined.",
    )


class SubmitSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Delivered work: a message, files (multipart), or both."""

    message = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    files = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=10, help_text="Multipart only."
    )


class AmountSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """An amount in whole cents above zero."""

    amount_cents = PositiveCentsField()


class RefundRequestInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """A refund request: an amount (everything held when left out) and a reason."""

    amount_cents = PositiveCentsField(required=False, help_text="Leave out to ask for everything still held.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class FollowOnInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Longer work offered to the freelancer of a completed paid test."""

    title = serializers.CharField(max_length=120, help_text="The new work's title.")
    scope = serializers.CharField(max_length=10_000, help_text="What the freelancer will do.")
    milestones = MilestoneTermsInputSerializer(many=True, max_length=50, help_text="The milestones, in order.")
    change_rounds = StrictIntegerField(
        required=False, min_value=0, max_value=5, help_text="Change requests allowed per milestone."
    )
