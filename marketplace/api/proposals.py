"""Proposals over the API: sending, editing, the client's decisions and files."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from core.files import attachment_response
from core.milestones import MilestoneTerms
from marketplace import hiring, selectors, services
from marketplace.api.common import ATTACHMENT_ID, ID_REGEX, PROJECT_ID, uploaded_files
from marketplace.models import Project, Proposal
from marketplace.serializers.common import DeclineReasonSerializer, FilesUploadSerializer
from marketplace.serializers.proposals import ProposalListParamsSerializer, ProposalSerializer, ProposalWriteSerializer
from marketplace.services.downloads import proposal_attachment_download
from marketplace.topics import PROPOSAL_TOPIC
from messaging.selectors import topic_conversation_ids


def _proposal_rows(queryset: QuerySet[Proposal]) -> QuerySet[Proposal]:
    return queryset.select_related("project", "project__client", "freelancer__freelancer_profile").prefetch_related(
        "milestones", "answers__question", "attachments"
    )


def _proposal_context(view, proposals) -> dict:
    """Adds the conversation and the offer of each proposal on the page, one query each."""
    context = view.get_serializer_context()
    ids = [proposal.pk for proposal in proposals]
    context["conversation_ids"] = topic_conversation_ids(
        topic_type=PROPOSAL_TOPIC, topic_ids=ids, user=view.request.user
    )
    context["offers"] = hiring.offers_for_proposals(ids)
    return context


def _proposal_terms(data: dict) -> dict:
    return {
        "cover_letter": data["cover_letter"],
        "bid_cents": data["bid_cents"],
        "duration_days": data["duration_days"],
        "milestones": [MilestoneTerms(**milestone) for milestone in data["milestones"]],
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
        parameters=[ProposalListParamsSerializer],
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
        params = ProposalListParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        if "status" in params.validated_data:
            proposals = proposals.filter(status=params.validated_data["status"])
        if "project" in params.validated_data:
            proposals = proposals.filter(project_id=params.validated_data["project"])
        page = self.paginate_queryset(proposals)
        return self.get_paginated_response(
            ProposalSerializer(page, many=True, context=_proposal_context(self, page)).data
        )

    def retrieve(self, request, *args, **kwargs):
        return _proposal_response(self, self.get_object())

    def update(self, request, *args, **kwargs):
        proposal = self.get_object()
        services.proposal_edit_check(proposal=proposal, by=request.user)  # who and when, before what
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
        responses={(200, "*/*"): OpenApiTypes.BINARY},
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
        proposal = services.proposal_files_change(
            proposal=self.get_object(), by=request.user, add=uploaded_files(request)
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
