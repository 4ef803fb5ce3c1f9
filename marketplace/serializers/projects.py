"""Projects over the API: search results, the project page, and what a client sends to draft one."""

from __future__ import annotations

import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Skill
from core.serializers import (
    CentsField,
    PartySerializer,
    QueryParamsMixin,
    RejectUnknownFieldsMixin,
    StoredFileSerializer,
    StrictIntegerField,
    StrictPrimaryKeyRelatedField,
)
from core.text import single_line
from marketplace import selectors
from marketplace.models import (
    Project,
    ProjectAttachment,
    ScreeningQuestion,
)
from marketplace.serializers.common import ID_MAX
from marketplace.services.projects import PROJECT_FIELDS

SORTS = ("relevance", "newest", "budget_high", "budget_low")


# --- The client ------------------------------------------------------------------------------


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
    approvals_basis = serializers.IntegerField(
        read_only=True, help_text="Delivered milestones they approved: what the average is based on."
    )
    tests_to_longer_percent = serializers.IntegerField(read_only=True, allow_null=True)
    tests_done = serializers.IntegerField(read_only=True, help_text="Completed paid tests: what the share is based on.")
    disputes_opened = serializers.IntegerField(read_only=True, allow_null=True, help_text="Disputes they opened.")
    disputes_against = serializers.IntegerField(read_only=True, allow_null=True, help_text="Opened against them.")
    disputes_settled = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Settled between the parties or withdrawn."
    )
    disputes_decided_for = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Decided (by staff or a deadline) giving them at least half."
    )
    disputes_decided_against = serializers.IntegerField(read_only=True, allow_null=True)


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


class ProjectAttachmentSerializer(StoredFileSerializer):
    download_route = "project-attachment"
    owner_pk = "project_id"

    class Meta(StoredFileSerializer.Meta):
        model = ProjectAttachment


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
    close_reason = serializers.ChoiceField(
        choices=Project.CloseReason.choices,
        allow_blank=True,
        read_only=True,
        help_text="Why the project closed; empty while it is a draft or open.",
    )
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
    skills = StrictPrimaryKeyRelatedField(
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
        fields = [*PROJECT_FIELDS, "skills", "questions"]  # what project_create / project_update accept
        extra_kwargs = {
            "title": {"validators": [single_line]},
            "category": {"error_messages": {"does_not_exist": "There is no category with id {pk_value}."}},
        }

    def validate(self, attrs: dict) -> dict:
        if self.instance is None and "budget_max_cents" not in attrs and "budget_min_cents" in attrs:
            attrs["budget_max_cents"] = attrs["budget_min_cents"]
        return attrs


class ProjectSearchSerializer(QueryParamsMixin, serializers.Serializer):
    """Query parameters of the project list: the same search and filters as the search page."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=200, default="", help_text="Words to find.")
    skills = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Skill ids separated by commas, e.g. 3,7."
    )
    category = StrictIntegerField(required=False, min_value=1, max_value=ID_MAX, help_text="Category id.")
    budget_min = CentsField(required=False, help_text="Whole cents: projects whose budget reaches at least this.")
    budget_max = CentsField(required=False, help_text="Whole cents: projects whose budget starts at most at this.")
    test_only = serializers.BooleanField(required=False, default=False, help_text="Only paid test projects.")
    posted_within_days = StrictIntegerField(required=False, min_value=1, max_value=365)
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
