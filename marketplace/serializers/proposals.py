"""Proposals over the API: what a freelancer sends, and a proposal as both sides read it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import (
    CentsField,
    PartySerializer,
    QueryParamsMixin,
    RejectUnknownFieldsMixin,
    StoredFileSerializer,
    StrictIntegerField,
)
from core.text import single_line
from marketplace.models import (
    COVER_LETTER_MAX_LENGTH,
    Proposal,
    ProposalAttachment,
    ProposedMilestone,
    ScreeningAnswer,
)
from marketplace.serializers.common import ID_MAX, ProjectRefSerializer


class ProposalFreelancerSerializer(PartySerializer):
    headline = serializers.CharField(source="freelancer_profile.headline", read_only=True, allow_null=True)


class ProposedMilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProposedMilestone
        fields = ["position", "title", "amount_cents", "due_date"]
        read_only_fields = fields


class ScreeningAnswerSerializer(serializers.ModelSerializer):
    question_text = serializers.CharField(source="question.text", read_only=True)

    class Meta:
        model = ScreeningAnswer
        fields = ["question", "question_text", "text"]
        read_only_fields = fields


class ProposalAttachmentSerializer(StoredFileSerializer):
    download_route = "proposal-attachment"
    owner_pk = "proposal_id"

    class Meta(StoredFileSerializer.Meta):
        model = ProposalAttachment


class OfferRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    status = serializers.CharField(read_only=True)
    total_cents = serializers.IntegerField(read_only=True)
    currency = serializers.CharField(read_only=True)


class ProposalSerializer(serializers.ModelSerializer):
    project = ProjectRefSerializer(read_only=True)
    freelancer = ProposalFreelancerSerializer(read_only=True)
    milestones = ProposedMilestoneSerializer(many=True, read_only=True)
    answers = ScreeningAnswerSerializer(many=True, read_only=True)
    attachments = ProposalAttachmentSerializer(many=True, read_only=True)
    offer = serializers.SerializerMethodField(help_text="The contract offer made when the client hired.")
    conversation_id = serializers.SerializerMethodField(
        help_text="The conversation about this proposal: /api/v1/conversations/{id}/messages/."
    )
    url = serializers.CharField(source="get_absolute_url", read_only=True, help_text="The proposal's page.")

    class Meta:
        model = Proposal
        fields = [
            "id",
            "project",
            "freelancer",
            "status",
            "cover_letter",
            "bid_cents",
            "currency",
            "duration_days",
            "milestones",
            "answers",
            "attachments",
            "decline_reason",
            "offer",
            "conversation_id",
            "created_at",
            "updated_at",
            "url",
        ]
        read_only_fields = fields

    @extend_schema_field(OfferRefSerializer(allow_null=True))
    def get_offer(self, proposal: Proposal) -> dict | None:
        # Offers are contracts' rows: the view looks up the page's offers through marketplace.hiring.
        offer = self.context.get("offers", {}).get(proposal.pk)
        return None if offer is None else OfferRefSerializer(offer).data

    def get_conversation_id(self, proposal: Proposal) -> int | None:
        return self.context.get("conversation_ids", {}).get(proposal.pk)


class ProposedMilestoneInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=120, validators=[single_line])
    amount_cents = CentsField()
    due_date = serializers.DateField()


class ScreeningAnswerInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    question = StrictIntegerField(min_value=1, max_value=ID_MAX, help_text="The screening question's id.")
    text = serializers.CharField(max_length=2000, allow_blank=True)


PROPOSAL_PROTECTED = {
    "status": "“status” cannot be set: use withdraw/, or wait for the client's decision.",
    "freelancer": "A proposal belongs to whoever sends it.",
    "project": "The project is in the address: /api/v1/projects/{id}/proposals/.",
    "id": "The id is given by the server.",
}


class ProposalWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """A proposal: the milestones must add up to the bid (whole cents)."""

    protected_messages = PROPOSAL_PROTECTED

    cover_letter = serializers.CharField(max_length=COVER_LETTER_MAX_LENGTH)
    bid_cents = CentsField()
    duration_days = StrictIntegerField(min_value=0, max_value=ID_MAX, help_text="Estimated duration in days.")
    milestones = ProposedMilestoneInputSerializer(many=True, max_length=50)
    answers = ScreeningAnswerInputSerializer(many=True, required=False, max_length=20)

    def validate_answers(self, value: list[dict]) -> list[dict]:
        questions = [answer["question"] for answer in value]
        if len(questions) != len(set(questions)):
            raise serializers.ValidationError("Answer each question once.")
        return value


class ProposalListParamsSerializer(QueryParamsMixin, serializers.Serializer):
    """Query parameters of your proposals: both optional; sent empty or twice, a 400."""

    status = serializers.ChoiceField(choices=Proposal.Status.values, required=False, help_text="Only this status.")
    project = StrictIntegerField(required=False, min_value=1, max_value=ID_MAX, help_text="Only this project.")
