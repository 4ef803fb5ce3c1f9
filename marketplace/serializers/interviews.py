"""Interviews over the API: times offered with their UTC offset, picked, moved or cancelled."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from core.serializers import (
    MAX_BIGINT,
    PartySerializer,
    RejectUnknownFieldsMixin,
    StrictIntegerField,
    StrictPrimaryKeyRelatedField,
)
from marketplace import selectors
from marketplace.models import (
    Interview,
    Proposal,
)
from marketplace.serializers.common import ProjectRefSerializer


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time with its UTC offset; a bare local time would be read in the wrong zone."""

    default_error_messages = {"naive": "Include the UTC offset, e.g. 2030-05-01T14:00:00+02:00."}

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)


class InterviewSlotSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    starts_at = serializers.DateTimeField(read_only=True)


class InterviewProposalSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    project = ProjectRefSerializer(read_only=True)
    freelancer = PartySerializer(read_only=True)


class InterviewSerializer(serializers.ModelSerializer):
    proposal = InterviewProposalSerializer(read_only=True)
    offered_by = PartySerializer(read_only=True)
    slots = InterviewSlotSerializer(many=True, read_only=True, help_text="The times on offer now.")
    ends_at = serializers.DateTimeField(read_only=True, allow_null=True)
    awaiting_you = serializers.SerializerMethodField(help_text="You can pick one of the offered times.")
    meeting_url = serializers.SerializerMethodField(help_text="Only once the interview is scheduled.")
    ics_url = serializers.SerializerMethodField(help_text="Calendar file, once a time is set.")
    url = serializers.SerializerMethodField(help_text="The interview's page.")

    class Meta:
        model = Interview
        fields = [
            "id",
            "proposal",
            "status",
            "duration_minutes",
            "offered_by",
            "slots",
            "starts_at",
            "ends_at",
            "note",
            "cancel_reason",
            "sequence",
            "awaiting_you",
            "meeting_url",
            "ics_url",
            "url",
        ]
        read_only_fields = fields

    def get_awaiting_you(self, interview: Interview) -> bool:
        request = self.context.get("request")
        return bool(
            request is not None
            and interview.status == Interview.Status.PROPOSED
            and interview.offered_by_id != request.user.pk
        )

    def get_meeting_url(self, interview: Interview) -> str | None:
        return interview.meeting_url if interview.status == Interview.Status.SCHEDULED else None

    def get_ics_url(self, interview: Interview) -> str | None:
        if interview.starts_at is None or interview.status == Interview.Status.PROPOSED:
            return None
        try:
            return reverse("interview_ics", args=[interview.pk])
        except NoReverseMatch:
            return None

    def get_url(self, interview: Interview) -> str:
        return reverse("interview_detail", args=[interview.pk])


class InterviewCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    proposal = StrictPrimaryKeyRelatedField(
        queryset=Proposal.objects.none(), error_messages={"does_not_exist": "There is no proposal with id {pk_value}."}
    )
    slots = serializers.ListField(
        child=AwareDateTimeField(), max_length=10, help_text="Up to 3 ISO 8601 times with their UTC offset."
    )
    duration_minutes = StrictIntegerField(required=False, default=30, help_text="15, 30, 45 or 60.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["proposal"].queryset = selectors.proposals_for_user(request.user)


class InterviewPickSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    slot = StrictIntegerField(min_value=1, max_value=MAX_BIGINT, help_text="The id of one of the offered slots.")


class InterviewTimesSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    slots = serializers.ListField(
        child=AwareDateTimeField(), max_length=10, help_text="Up to 3 ISO 8601 times with their UTC offset."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class InterviewCancelSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
