"""The market's API shapes. Serializers check the shape of input (types, lengths, whole cents);
the services check every rule, so the API and the pages refuse the same things."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.core.exceptions import ObjectDoesNotExist
from django.urls import NoReverseMatch, reverse
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Skill, User
from marketplace import selectors
from marketplace.models import (
    COVER_LETTER_MAX_LENGTH,
    Interview,
    Invitation,
    Project,
    ProjectAttachment,
    Proposal,
    ProposalAttachment,
    ProposedMilestone,
    ScreeningAnswer,
    ScreeningQuestion,
)

# The largest value a 64-bit column holds: anything bigger would fail in the database, not here.
MAX_BIGINT = 2**63 - 1
ID_MAX = 2**31 - 1
SORTS = ("relevance", "newest", "budget_high", "budget_low")


# --- Input fields ----------------------------------------------------------------------------


class CentsField(serializers.IntegerField):
    """Money in whole minor units. 12.5, "12.5" and even 12.0 are refused rather than rounded."""

    default_error_messages = {
        "not_whole": "Send whole cents as an integer, e.g. 12550 for $125.50.",
        "max_value": "That amount is too large for any budget or bid here.",
    }
    _DIGITS = re.compile(r"[0-9]{1,30}")

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_BIGINT)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("not_whole")
        if isinstance(data, str) and self._DIGITS.fullmatch(data.strip()):
            data = int(data.strip())  # query strings and form posts carry text
        if not isinstance(data, int):
            self.fail("not_whole")
        return super().to_internal_value(data)


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


class RejectUnknownFieldsMixin:
    """Refuse fields the caller may not set (status, client, published_at…) instead of dropping
    them silently, so a client that tries never believes it worked."""

    protected_messages: dict[str, str] = {}

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [self.protected_messages.get(name, "This field cannot be set here.")] for name in unknown}
                )
        return super().to_internal_value(data)


# --- People ----------------------------------------------------------------------------------


class PartySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    display_name = serializers.CharField(read_only=True)


class ProposalFreelancerSerializer(PartySerializer):
    headline = serializers.CharField(source="freelancer_profile.headline", read_only=True, allow_null=True)


class ClientPitchSerializer(serializers.Serializer):
    company_name = serializers.CharField(read_only=True)
    about_team = serializers.CharField(read_only=True)
    vision = serializers.CharField(read_only=True)
    values = serializers.CharField(read_only=True)


class ProjectClientSerializer(PartySerializer):
    pitch = ClientPitchSerializer(source="client_profile", read_only=True, allow_null=True)


class ClientTrustSerializer(serializers.Serializer):
    """The trust panel. A null figure is not known yet; it is never shown as zero."""

    member_since = serializers.DateTimeField(read_only=True)
    payment_verified = serializers.BooleanField(read_only=True)
    projects_posted = serializers.IntegerField(read_only=True)
    hires = serializers.IntegerField(read_only=True)
    decided_projects = serializers.IntegerField(read_only=True)
    hire_rate_percent = serializers.IntegerField(read_only=True, allow_null=True)
    total_spent_cents = serializers.IntegerField(read_only=True, allow_null=True)
    review_count = serializers.IntegerField(read_only=True, allow_null=True)
    average_days_to_approve = serializers.FloatField(read_only=True, allow_null=True)
    tests_to_longer_percent = serializers.IntegerField(read_only=True, allow_null=True)


# --- Projects --------------------------------------------------------------------------------


# Its own schema component: the list and the detail both carry it, and drf-spectacular cannot
# name an enum shared by two components without an ENUM_NAME_OVERRIDES setting.
@extend_schema_field(
    {"type": "string", "enum": Project.Status.values, "description": "draft, open, filled or closed."},
    component_name="ProjectStatusEnum",
)
class ProjectStatusField(serializers.CharField):
    pass


class NamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class ScreeningQuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScreeningQuestion
        fields = ["id", "position", "text", "required"]
        read_only_fields = fields


class ProjectAttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ProjectAttachment
        fields = ["id", "name", "content_type", "size", "download_url"]
        read_only_fields = fields

    def get_download_url(self, attachment: ProjectAttachment) -> str:
        return reverse("project-attachment", kwargs={"pk": attachment.project_id, "attachment_pk": attachment.pk})


class ProjectSerializer(serializers.ModelSerializer):
    """A project as search results show it: the summary, never the confidential brief."""

    category = NamedRefSerializer(read_only=True)
    skills = NamedRefSerializer(many=True, read_only=True)
    client = ProjectClientSerializer(read_only=True)
    status = ProjectStatusField(read_only=True)
    client_trust = serializers.SerializerMethodField()
    proposal_count = serializers.SerializerMethodField(
        help_text="Proposals received (not withdrawn); only in a list of your own projects (mine=true)."
    )
    url = serializers.CharField(source="get_absolute_url", read_only=True, help_text="The project's page.")

    class Meta:
        model = Project
        fields = [
            "id",
            "kind",
            "status",
            "title",
            "summary",
            "category",
            "skills",
            "experience_level",
            "budget_type",
            "budget_min_cents",
            "budget_max_cents",
            "currency",
            "duration_days",
            "apply_by",
            "visibility",
            "is_confidential",
            "published_at",
            "expires_at",
            "client",
            "client_trust",
            "proposal_count",
            "url",
        ]
        read_only_fields = fields

    @extend_schema_field(ClientTrustSerializer(allow_null=True))
    def get_client_trust(self, project: Project) -> dict | None:
        # One figure set per client per response: a page of one client's projects costs one lookup.
        cache = self.context.setdefault("client_trust_cache", {})
        if project.client_id not in cache:
            trust = selectors.client_trust(project.client)
            cache[project.client_id] = ClientTrustSerializer(trust).data if trust is not None else None
        return cache[project.client_id]

    def get_proposal_count(self, project: Project) -> int | None:
        return getattr(project, "proposal_count", None)


class ProjectDetailSerializer(ProjectSerializer):
    """The project page. A confidential project's description, acceptance criteria and files
    are null/empty unless the caller may read the full brief (`full_brief_visible`)."""

    description = serializers.SerializerMethodField()
    acceptance_criteria = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    questions = ScreeningQuestionSerializer(many=True, read_only=True)
    full_brief_visible = serializers.SerializerMethodField()
    nda_text = serializers.SerializerMethodField(
        help_text="What a freelancer agrees to; only on confidential projects."
    )

    class Meta(ProjectSerializer.Meta):
        fields = [
            *ProjectSerializer.Meta.fields,
            "description",
            "acceptance_criteria",
            "follow_on_plan",
            "questions",
            "attachments",
            "full_brief_visible",
            "nda_text",
            "close_reason",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _full_brief(self, project: Project) -> bool:
        if not hasattr(project, "_api_full_brief"):
            request = self.context.get("request")
            user = getattr(request, "user", None)
            project._api_full_brief = user is not None and selectors.can_view_confidential(project, user)
        return project._api_full_brief

    def get_full_brief_visible(self, project: Project) -> bool:
        return self._full_brief(project)

    def get_description(self, project: Project) -> str | None:
        return project.description if self._full_brief(project) else None

    def get_acceptance_criteria(self, project: Project) -> str | None:
        return project.acceptance_criteria if self._full_brief(project) else None

    @extend_schema_field(ProjectAttachmentSerializer(many=True))
    def get_attachments(self, project: Project) -> list:
        if not self._full_brief(project):
            return []
        return ProjectAttachmentSerializer(project.attachments.all(), many=True).data

    def get_nda_text(self, project: Project) -> str | None:
        return project.nda_text if project.is_confidential else None


class ScreeningQuestionInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    text = serializers.CharField(max_length=300)
    required = serializers.BooleanField(default=True)


PROJECT_PROTECTED = {
    name: f"“{name}” cannot be set: it changes only through publish/, close/ or a hire."
    for name in ("status", "published_at", "expires_at", "closed_at", "close_reason")
} | {
    "client": "The project belongs to whoever creates it.",
    "id": "The id is given by the server.",
}


class ProjectWriteSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    """What a client sends to draft or edit a project. Budget in whole cents."""

    protected_messages = PROJECT_PROTECTED

    budget_min_cents = CentsField(help_text="Whole cents; for a fixed price, the price.")
    budget_max_cents = CentsField(
        required=False, help_text="Whole cents. Leave out on create for a fixed price (the same as the minimum)."
    )
    skills = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Skill.objects.all(),
        required=False,
        help_text="Skill ids.",
        error_messages={"does_not_exist": "There is no skill with id {pk_value}."},
    )
    questions = ScreeningQuestionInputSerializer(
        many=True, required=False, max_length=20, help_text="Screening questions (at most 5), in order."
    )

    class Meta:
        model = Project
        fields = [
            "kind",
            "title",
            "summary",
            "description",
            "acceptance_criteria",
            "follow_on_plan",
            "category",
            "skills",
            "experience_level",
            "budget_min_cents",
            "budget_max_cents",
            "duration_days",
            "apply_by",
            "visibility",
            "is_confidential",
            "nda_text",
            "questions",
        ]
        extra_kwargs = {
            "category": {"error_messages": {"does_not_exist": "There is no category with id {pk_value}."}},
        }

    def validate(self, attrs: dict) -> dict:
        if self.instance is None and "budget_max_cents" not in attrs and "budget_min_cents" in attrs:
            attrs["budget_max_cents"] = attrs["budget_min_cents"]
        return attrs


class ProjectSearchSerializer(serializers.Serializer):
    """Query parameters of the project list: the same search and filters as the search page."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=200, default="", help_text="Words to find.")
    skills = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Skill ids separated by commas, e.g. 3,7."
    )
    category = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX, help_text="Category id.")
    budget_min = CentsField(required=False, help_text="Whole cents: projects whose budget reaches at least this.")
    budget_max = CentsField(required=False, help_text="Whole cents: projects whose budget starts at most at this.")
    test_only = serializers.BooleanField(required=False, default=False, help_text="Only paid test projects.")
    posted_within_days = serializers.IntegerField(required=False, min_value=1, max_value=365)
    payment_verified = serializers.BooleanField(
        required=False, default=False, help_text="Only clients whose payment method is verified."
    )
    sort = serializers.ChoiceField(choices=SORTS, required=False, default="relevance")
    mine = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Your own projects in every status, drafts included (sign-in needed; the filters above do not apply).",
    )

    def validate_skills(self, value: str) -> tuple[int, ...]:
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if len(parts) > 30 or not all(re.fullmatch(r"[0-9]{1,9}", part) for part in parts):
            raise serializers.ValidationError("Send skill ids separated by commas, e.g. 3,7.")
        return tuple(int(part) for part in parts)

    def validate(self, attrs: dict) -> dict:
        low, high = attrs.get("budget_min"), attrs.get("budget_max")
        if low is not None and high is not None and high < low:
            raise serializers.ValidationError({"budget_max": ["budget_max cannot be below budget_min."]})
        return attrs

    def filters(self) -> selectors.SearchFilters:
        data = self.validated_data
        return selectors.SearchFilters(
            query=data["q"],
            skills=data["skills"],
            category=data.get("category"),
            budget_min_cents=data.get("budget_min"),
            budget_max_cents=data.get("budget_max"),
            test_only=data["test_only"],
            posted_within_days=data.get("posted_within_days"),
            payment_verified=data["payment_verified"],
            sort=data["sort"],
        )


# --- Proposals -------------------------------------------------------------------------------


class ProjectRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    kind = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    client = PartySerializer(read_only=True)


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


class ProposalAttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ProposalAttachment
        fields = ["id", "name", "content_type", "size", "download_url"]
        read_only_fields = fields

    def get_download_url(self, attachment: ProposalAttachment) -> str:
        return reverse("proposal-attachment", kwargs={"pk": attachment.proposal_id, "attachment_pk": attachment.pk})


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
        try:
            offer = proposal.offer
        except ObjectDoesNotExist:
            return None
        return OfferRefSerializer(offer).data

    def get_conversation_id(self, proposal: Proposal) -> int | None:
        return self.context.get("conversation_ids", {}).get(proposal.pk)


class ProposedMilestoneInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=120)
    amount_cents = CentsField()
    due_date = serializers.DateField()


class ScreeningAnswerInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    question = serializers.IntegerField(min_value=1, max_value=ID_MAX, help_text="The screening question's id.")
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
    duration_days = serializers.IntegerField(min_value=0, max_value=ID_MAX, help_text="Estimated duration in days.")
    milestones = ProposedMilestoneInputSerializer(many=True, max_length=50)
    answers = ScreeningAnswerInputSerializer(many=True, required=False, max_length=20)

    def validate_answers(self, value: list[dict]) -> list[dict]:
        questions = [answer["question"] for answer in value]
        if len(questions) != len(set(questions)):
            raise serializers.ValidationError("Answer each question once.")
        return value


class FilesUploadSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Files to attach, sent as multipart/form-data (repeat the `files` field for each file)."""

    files = serializers.ListField(
        child=serializers.FileField(), min_length=1, max_length=5, help_text="Up to 5 files in all; checked by bytes."
    )


class DeclineReasonSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


# --- Invitations -----------------------------------------------------------------------------


class InvitationSerializer(serializers.ModelSerializer):
    project = ProjectRefSerializer(read_only=True)
    freelancer = PartySerializer(read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "project", "freelancer", "message", "status", "decline_reason", "created_at", "responded_at"]
        read_only_fields = fields


class InvitationCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    project = serializers.PrimaryKeyRelatedField(
        queryset=Project.objects.none(), error_messages={"does_not_exist": "Choose one of your own projects."}
    )
    freelancer = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        error_messages={"does_not_exist": "There is no freelancer with id {pk_value}."},
    )
    message = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["project"].queryset = selectors.client_projects(request.user)


class InvitationListParamsSerializer(serializers.Serializer):
    project = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX, help_text="Only this project.")
    direction = serializers.ChoiceField(
        choices=("received", "sent"),
        required=False,
        help_text="received: invitations to you; sent: invitations you made. Both when left out.",
    )


# --- Interviews ------------------------------------------------------------------------------


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
    proposal = serializers.PrimaryKeyRelatedField(
        queryset=Proposal.objects.none(), error_messages={"does_not_exist": "There is no proposal with id {pk_value}."}
    )
    slots = serializers.ListField(
        child=AwareDateTimeField(), max_length=10, help_text="Up to 3 ISO 8601 times with their UTC offset."
    )
    duration_minutes = serializers.IntegerField(required=False, default=30, help_text="15, 30, 45 or 60.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["proposal"].queryset = selectors.proposals_for_user(request.user)


class InterviewPickSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    slot = serializers.IntegerField(min_value=1, max_value=MAX_BIGINT, help_text="The id of one of the offered slots.")


class InterviewTimesSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    slots = serializers.ListField(
        child=AwareDateTimeField(), max_length=10, help_text="Up to 3 ISO 8601 times with their UTC offset."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class InterviewCancelSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
