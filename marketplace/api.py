"""The market over the REST API: the same selectors and services as the pages.

Every lookup goes through a selector scoped to the caller, so an object they are not a party to
is a 404. Serializers check the shape of what is sent; the services decide what is allowed, and
core.api turns their errors into 400 (a rule), 409 (a state that does not allow the move) or 429.
"""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from accounts.models import User
from core.files import attachment_response
from marketplace import selectors, services
from marketplace.models import ConfidentialAccess, Interview, InterviewSlot, Invitation, Project, Proposal
from marketplace.serializers import (
    ClientTrustSerializer,
    DeclineReasonSerializer,
    FilesUploadSerializer,
    InterviewCancelSerializer,
    InterviewCreateSerializer,
    InterviewPickSerializer,
    InterviewSerializer,
    InterviewTimesSerializer,
    InvitationCreateSerializer,
    InvitationListParamsSerializer,
    InvitationSerializer,
    ProjectDetailSerializer,
    ProjectSearchSerializer,
    ProjectSerializer,
    ProjectWriteSerializer,
    ProposalSerializer,
    ProposalWriteSerializer,
)
from marketplace.services import MilestoneInput
from marketplace.services.downloads import project_attachment_download, proposal_attachment_download
from messaging.selectors import conversations_for_user

ID_REGEX = "[0-9]+"
PROJECT_ID = OpenApiParameter("project_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The project's id.")
ATTACHMENT_ID = OpenApiParameter("attachment_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The file's id.")


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


# --- Projects --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        parameters=[ProjectSearchSerializer],
        description="Open public projects matching the search and filters (anyone, signed in or not). "
        "With mine=true: your own projects in every status.",
    ),
    retrieve=extend_schema(
        description="One project. A confidential project's description, acceptance criteria and files are "
        "only there when `full_brief_visible` is true (its client, invited freelancers, or after accepting its NDA)."
    ),
)
class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ProjectDetailSerializer

    def get_permissions(self):
        if self.action in ("list", "retrieve", "attachment"):
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    def get_serializer_class(self):
        return ProjectSerializer if self.action == "list" else ProjectDetailSerializer

    def get_queryset(self) -> QuerySet[Project]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return Project.objects.none()
        return selectors.project_detail_queryset(self.request.user)

    def _detail(self, project: Project, *, status_code: int = status.HTTP_200_OK) -> Response:
        project = self.get_queryset().get(pk=project.pk)  # fresh, with its related rows prefetched
        return Response(
            ProjectDetailSerializer(project, context=self.get_serializer_context()).data, status=status_code
        )

    def list(self, request, *args, **kwargs):
        params = ProjectSearchSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        if params.validated_data["mine"]:
            if not request.user.is_authenticated:
                raise NotAuthenticated("Sign in to list your own projects.")
            projects = (
                selectors.client_projects(request.user)
                .select_related("client", "client__client_profile", "category")
                .prefetch_related("skills")
            )
        else:
            projects = selectors.project_search(params.filters())
        page = self.paginate_queryset(projects)
        context = self.get_serializer_context()
        # All clients on the page in two queries, so the page costs the same whatever its size.
        clients = list({project.client_id: project.client for project in page}.values())
        context["client_trust_cache"] = {
            client_id: ClientTrustSerializer(trust).data
            for client_id, trust in selectors.client_trusts(clients).items()
        }
        return self.get_paginated_response(ProjectSerializer(page, many=True, context=context).data)

    def _record_full_brief_view(self, project: Project) -> None:
        """A response carrying a confidential project's full brief counts as a view for the client's log."""
        user = self.request.user
        if project.is_confidential and user.is_authenticated and selectors.can_view_confidential(project, user):
            services.confidential_access_record(
                project=project, user=user, action=ConfidentialAccess.Action.VIEW, ip_address=_client_ip(self.request)
            )

    def retrieve(self, request, *args, **kwargs):
        project = self.get_object()
        self._record_full_brief_view(project)
        return Response(self.get_serializer(project).data)

    @extend_schema(
        request=ProjectWriteSerializer,
        responses={201: ProjectDetailSerializer},
        description="Draft a project (clients). Publish it with publish/.",
    )
    def create(self, request, *args, **kwargs):
        data = ProjectWriteSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        skills = fields.pop("skills", [])
        questions = [dict(question) for question in fields.pop("questions", [])]
        project = services.project_create(client=request.user, data=fields, skills=skills, questions=questions)
        return self._detail(project, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=ProjectWriteSerializer,
        responses=ProjectDetailSerializer,
        description="Edit a draft (its client only). Published projects keep their terms: 409.",
    )
    def partial_update(self, request, *args, **kwargs):
        project = self.get_object()
        data = ProjectWriteSerializer(project, data=request.data, partial=True, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        skills = fields.pop("skills", None)
        questions = fields.pop("questions", None)
        if questions is not None:
            questions = [dict(question) for question in questions]
        project = services.project_update(
            project=project, by=request.user, data=fields, skills=skills, questions=questions
        )
        return self._detail(project)

    @extend_schema(request=None, responses=ProjectDetailSerializer, description="Publish a draft (its client only).")
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._detail(services.project_publish(project=self.get_object(), by=request.user))

    @extend_schema(
        request=None, responses=ProjectDetailSerializer, description="Close a draft or open project (its client only)."
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._detail(services.project_close(project=self.get_object(), by=request.user))

    @extend_schema(
        request=None,
        responses=ProjectDetailSerializer,
        description="Accept a confidential project's NDA (`nda_text`; freelancers): the full brief opens, "
        "and the time and address are kept as evidence. Twice changes nothing.",
    )
    @action(detail=True, methods=["post"])
    def nda(self, request, pk=None):
        project = self.get_object()
        services.project_nda_accept(project=project, freelancer=request.user, ip_address=_client_ip(request))
        self._record_full_brief_view(project)
        return self._detail(project)

    @extend_schema(
        parameters=[ATTACHMENT_ID],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        description="Download one of the project's files. On a confidential project only with the full brief; "
        "every download is logged for the client.",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=rf"attachments/(?P<attachment_pk>{ID_REGEX})",
        url_name="attachment",
    )
    def attachment(self, request, pk=None, attachment_pk=None):
        attachment = project_attachment_download(
            user=request.user, project_pk=pk, attachment_pk=attachment_pk, ip_address=_client_ip(request)
        )
        return attachment_response(attachment)

    @extend_schema(
        request={"multipart/form-data": FilesUploadSerializer},
        responses=ProjectDetailSerializer,
        description="Attach files to a draft (its client only): at most 5 in all, each checked by its bytes "
        "(no HTML or SVG). 409 once published.",
    )
    @action(detail=True, methods=["post"], url_path="attachments", parser_classes=[MultiPartParser])
    def attachments(self, request, pk=None):
        data = FilesUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = services.project_files_change(
            project=self.get_object(), by=request.user, add=data.validated_data["files"]
        )
        return self._detail(project)

    @extend_schema(
        parameters=[ATTACHMENT_ID], request=None, responses={204: None}, description="Remove a draft's file."
    )
    @attachment.mapping.delete
    def attachment_remove(self, request, pk=None, attachment_pk=None):
        project = self.get_object()
        if project.client_id != request.user.pk:
            raise Http404  # a project's files are its client's to remove; nobody else learns which exist
        attachment = get_object_or_404(project.attachments.all(), pk=attachment_pk)
        services.project_files_change(project=project, by=request.user, remove_ids=[attachment.pk])
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Proposals -------------------------------------------------------------------------------


def _proposal_rows(queryset: QuerySet[Proposal]) -> QuerySet[Proposal]:
    return queryset.select_related(
        "project", "project__client", "freelancer__freelancer_profile", "offer"
    ).prefetch_related("milestones", "answers__question", "attachments")


def _proposal_context(view, proposals) -> dict:
    """Adds the conversation of each proposal on the page, in one query."""
    context = view.get_serializer_context()
    ids = [proposal.pk for proposal in proposals]
    context["conversation_ids"] = dict(
        conversations_for_user(view.request.user)
        .filter(topic_type="proposal", topic_id__in=ids)
        .values_list("topic_id", "pk")
    )
    return context


def _proposal_terms(data: dict) -> dict:
    return {
        "cover_letter": data["cover_letter"],
        "bid_cents": data["bid_cents"],
        "duration_days": data["duration_days"],
        "milestones": [MilestoneInput(**milestone) for milestone in data["milestones"]],
        "answers": {answer["question"]: answer["text"] for answer in data.get("answers", [])},
    }


@extend_schema_view(
    list=extend_schema(
        parameters=[PROJECT_ID],
        description="The proposals on a project (not the withdrawn ones). Only its client; anyone else gets 404.",
    ),
    create=extend_schema(
        parameters=[PROJECT_ID],
        request=ProposalWriteSerializer,
        responses={201: ProposalSerializer},
        description="Send your proposal (freelancers, once per project). The milestones add up to the bid; "
        "each required screening question needs an answer.",
    ),
)
class ProjectProposalViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = ProposalSerializer

    def get_project(self) -> Project:
        if not hasattr(self, "_project"):
            self._project = get_object_or_404(
                selectors.projects_visible_to(self.request.user), pk=self.kwargs["project_pk"]
            )
        return self._project

    def get_queryset(self) -> QuerySet[Proposal]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return Proposal.objects.none()
        project = self.get_project()
        if project.client_id != self.request.user.pk:
            raise Http404  # the proposals of a project are its client's business only
        return _proposal_rows(selectors.proposals_for_project(project))

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(
            ProposalSerializer(page, many=True, context=_proposal_context(self, page)).data
        )

    def create(self, request, *args, **kwargs):
        project = self.get_project()
        data = ProposalWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = services.proposal_submit(
            project=project, freelancer=request.user, **_proposal_terms(data.validated_data)
        )
        return _proposal_response(self, proposal, status_code=status.HTTP_201_CREATED)


def _proposal_response(view, proposal: Proposal, *, status_code: int = status.HTTP_200_OK) -> Response:
    proposal = _proposal_rows(selectors.proposals_for_user(view.request.user)).get(pk=proposal.pk)
    return Response(ProposalSerializer(proposal, context=_proposal_context(view, [proposal])).data, status=status_code)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=Proposal.Status.values, description="Only this status."),
            OpenApiParameter("project", OpenApiTypes.INT, description="Only this project."),
        ],
        description="Your proposals: the ones you sent and the ones on your projects.",
    ),
    retrieve=extend_schema(description="One proposal; only its freelancer and the project's client see it."),
    update=extend_schema(
        request=ProposalWriteSerializer, responses=ProposalSerializer, description="Replace your proposal's terms."
    ),
    partial_update=extend_schema(
        request=ProposalWriteSerializer,
        responses=ProposalSerializer,
        description="Change some of your proposal's terms; milestones and answers are replaced as a whole when sent.",
    ),
)
class ProposalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ProposalSerializer

    def get_queryset(self) -> QuerySet[Proposal]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return Proposal.objects.none()
        return _proposal_rows(selectors.proposals_for_user(self.request.user))

    def list(self, request, *args, **kwargs):
        proposals = self.get_queryset()
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in Proposal.Status.values:
                raise ValidationError({"status": [f"Choose one of: {', '.join(Proposal.Status.values)}."]})
            proposals = proposals.filter(status=wanted)
        project = request.query_params.get("project")
        if project:
            if not re.fullmatch(r"[0-9]{1,18}", project):
                raise ValidationError({"project": ["Send a project id."]})
            proposals = proposals.filter(project_id=int(project))
        page = self.paginate_queryset(proposals)
        return self.get_paginated_response(
            ProposalSerializer(page, many=True, context=_proposal_context(self, page)).data
        )

    def retrieve(self, request, *args, **kwargs):
        return _proposal_response(self, self.get_object())

    def update(self, request, *args, **kwargs):
        proposal = self.get_object()
        partial = kwargs.pop("partial", False)
        data = ProposalWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        current = {
            "cover_letter": proposal.cover_letter,
            "bid_cents": proposal.bid_cents,
            "duration_days": proposal.duration_days,
            "milestones": [
                {"title": m.title, "amount_cents": m.amount_cents, "due_date": m.due_date}
                for m in proposal.milestones.all()
            ],
            "answers": [{"question": a.question_id, "text": a.text} for a in proposal.answers.all()],
        }
        terms = _proposal_terms({**current, **data.validated_data})
        proposal = services.proposal_update(proposal=proposal, by=request.user, **terms)
        return _proposal_response(self, proposal)

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    @extend_schema(request=None, responses=ProposalSerializer, description="Withdraw your proposal (before a hire).")
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return _proposal_response(self, services.proposal_withdraw(proposal=self.get_object(), by=request.user))

    @extend_schema(request=None, responses=ProposalSerializer, description="Shortlist a proposal (the client).")
    @action(detail=True, methods=["post"])
    def shortlist(self, request, pk=None):
        return _proposal_response(self, services.proposal_shortlist(proposal=self.get_object(), by=request.user))

    @extend_schema(
        request=DeclineReasonSerializer,
        responses=ProposalSerializer,
        description="Decline a proposal (the client); the freelancer sees the reason, if any.",
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        proposal = self.get_object()
        data = DeclineReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _proposal_response(
            self, services.proposal_decline(proposal=proposal, by=request.user, reason=data.validated_data["reason"])
        )

    @extend_schema(
        request=None,
        responses=ProposalSerializer,
        description="Hire (the client): a contract offer with the proposal's milestones goes to the freelancer "
        "(`offer`) and the proposal is `offered`. When they accept it, the proposal is `hired`, the project filled "
        "and the other open proposals declined; if the offer is declined, withdrawn or expires, the proposal is back "
        "on the shortlist. One offer per project at a time.",
    )
    @action(detail=True, methods=["post"])
    def hire(self, request, pk=None):
        return _proposal_response(self, services.proposal_hire(proposal=self.get_object(), by=request.user))

    @extend_schema(
        parameters=[ATTACHMENT_ID],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        description="Download one of the proposal's files (its freelancer and the project's client).",
    )
    @action(detail=True, methods=["get"], url_path=rf"attachments/(?P<attachment_pk>{ID_REGEX})", url_name="attachment")
    def attachment(self, request, pk=None, attachment_pk=None):
        return attachment_response(
            proposal_attachment_download(user=request.user, proposal_pk=pk, attachment_pk=attachment_pk)
        )

    @extend_schema(
        request={"multipart/form-data": FilesUploadSerializer},
        responses=ProposalSerializer,
        description="Attach files to your proposal while it can be edited: at most 5 in all, each checked by "
        "its bytes (no HTML or SVG).",
    )
    @action(detail=True, methods=["post"], url_path="attachments", parser_classes=[MultiPartParser])
    def attachments(self, request, pk=None):
        data = FilesUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = services.proposal_files_change(
            proposal=self.get_object(), by=request.user, add=data.validated_data["files"]
        )
        return _proposal_response(self, proposal)

    @extend_schema(
        parameters=[ATTACHMENT_ID], request=None, responses={204: None}, description="Remove a file of your proposal."
    )
    @attachment.mapping.delete
    def attachment_remove(self, request, pk=None, attachment_pk=None):
        proposal = self.get_object()
        attachment = get_object_or_404(proposal.attachments.all(), pk=attachment_pk)
        services.proposal_files_change(proposal=proposal, by=request.user, remove_ids=[attachment.pk])
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Invitations -----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        parameters=[InvitationListParamsSerializer],
        description="Invitations to you (once the project is published) and invitations you sent.",
    ),
    create=extend_schema(
        request=InvitationCreateSerializer,
        responses={201: InvitationSerializer},
        description="Invite a freelancer to propose on one of your projects (once per freelancer).",
    ),
)
class InvitationViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = InvitationSerializer

    def get_queryset(self) -> QuerySet[Invitation]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return Invitation.objects.none()
        user = self.request.user
        received = selectors.invitations_for_freelancer(user).values("pk")
        return Invitation.objects.filter(Q(pk__in=received) | Q(project__client=user)).select_related(
            "project", "project__client", "freelancer"
        )

    def list(self, request, *args, **kwargs):
        params = InvitationListParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        invitations = self.get_queryset()
        if "project" in params.validated_data:
            invitations = invitations.filter(project_id=params.validated_data["project"])
        direction = params.validated_data.get("direction")
        if direction == "received":
            invitations = invitations.filter(freelancer=request.user)
        elif direction == "sent":
            invitations = invitations.filter(project__client=request.user)
        page = self.paginate_queryset(invitations)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request, *args, **kwargs):
        data = InvitationCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        freelancer: User = data.validated_data["freelancer"]
        invitation = services.invitation_send(
            project=data.validated_data["project"],
            by=request.user,
            freelancer=freelancer,
            message=data.validated_data["message"],
        )
        return self._response(invitation, status_code=status.HTTP_201_CREATED)

    def _response(self, invitation: Invitation, *, status_code: int = status.HTTP_200_OK) -> Response:
        invitation = self.get_queryset().get(pk=invitation.pk)
        return Response(self.get_serializer(invitation).data, status=status_code)

    @extend_schema(
        request=None,
        responses=InvitationSerializer,
        description="Accept an invitation (the invited freelancer); then send a proposal.",
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._response(services.invitation_accept(invitation=self.get_object(), by=request.user))

    @extend_schema(
        request=DeclineReasonSerializer,
        responses=InvitationSerializer,
        description="Decline an invitation (the invited freelancer), optionally saying why.",
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        invitation = self.get_object()
        data = DeclineReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._response(
            services.invitation_decline(invitation=invitation, by=request.user, reason=data.validated_data["reason"])
        )


# --- Interviews ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(description="Your interviews, as client or freelancer."),
    retrieve=extend_schema(description="One interview; only its two parties see it."),
    create=extend_schema(
        request=InterviewCreateSerializer,
        responses={201: InterviewSerializer},
        description="Invite a proposal's author to a video interview (the client), offering up to three times.",
    ),
)
class InterviewViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = InterviewSerializer

    def get_queryset(self) -> QuerySet[Interview]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return Interview.objects.none()
        return selectors.interviews_for_user(self.request.user)

    def _response(self, interview: Interview, *, status_code: int = status.HTTP_200_OK) -> Response:
        interview = self.get_queryset().get(pk=interview.pk)  # with only the times still on offer
        return Response(self.get_serializer(interview).data, status=status_code)

    def create(self, request, *args, **kwargs):
        data = InterviewCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        interview = services.interview_propose(
            proposal=data.validated_data["proposal"],
            by=request.user,
            slots=data.validated_data["slots"],
            duration_minutes=data.validated_data["duration_minutes"],
            note=data.validated_data["note"],
        )
        return self._response(interview, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=InterviewPickSerializer,
        responses=InterviewSerializer,
        description="Pick one of the offered times (whoever did not offer them); the interview is scheduled.",
    )
    @action(detail=True, methods=["post"])
    def pick(self, request, pk=None):
        interview = self.get_object()
        data = InterviewPickSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slot = InterviewSlot.objects.filter(interview=interview, pk=data.validated_data["slot"]).first()
        if slot is None:
            raise ValidationError({"slot": ["That is not one of this interview's times."]})
        return self._response(services.interview_pick(interview=interview, by=request.user, slot=slot))

    @extend_schema(
        request=InterviewTimesSerializer,
        responses=InterviewSerializer,
        description="Offer other times, before or after scheduling (reschedule); the other side then picks.",
    )
    @action(detail=True, methods=["post"], url_path="offer-times", url_name="offer-times")
    def offer_times(self, request, pk=None):
        interview = self.get_object()
        data = InterviewTimesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._response(
            services.interview_offer_times(
                interview=interview,
                by=request.user,
                slots=data.validated_data["slots"],
                note=data.validated_data["note"],
            )
        )

    @extend_schema(
        request=InterviewCancelSerializer,
        responses=InterviewSerializer,
        description="Cancel the interview (either side); the other is told the reason.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        interview = self.get_object()
        data = InterviewCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._response(
            services.interview_cancel(interview=interview, by=request.user, reason=data.validated_data["reason"])
        )
