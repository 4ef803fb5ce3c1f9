"""Projects over the API: search, the project page, drafting, publishing, files and the NDA."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from core.files import attachment_response
from core.pagination import PageNumberPagination
from marketplace import selectors, services
from marketplace.api.common import ATTACHMENT_ID, ID_REGEX, client_ip, uploaded_files
from marketplace.models import ConfidentialAccess, Project
from marketplace.serializers.common import FilesUploadSerializer
from marketplace.serializers.projects import (
    ClientTrustSerializer,
    ProjectDetailSerializer,
    ProjectSearchSerializer,
    ProjectSerializer,
    ProjectWriteSerializer,
)
from marketplace.services.downloads import project_attachment_download


class ProjectListPagination(PageNumberPagination):
    """Page numbers over a counted window: `count` stops at it, and `count_is_capped` says there are more."""

    django_paginator_class = selectors.SearchPaginator

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_is_capped"] = self.page.paginator.more
        return response

    def get_paginated_response_schema(self, schema: dict) -> dict:
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count"]["description"] = (
            f"Projects found, counted up to {selectors.SEARCH_WINDOW}; pages stop there too."
        )
        schema["properties"]["count_is_capped"] = {
            "type": "boolean",
            "description": f"True when more than {selectors.SEARCH_WINDOW} projects match: narrow the search to see others.",
        }
        schema["required"] = [*schema.get("required", []), "count_is_capped"]
        return schema


@extend_schema_view(
    list=extend_schema(
        parameters=[ProjectSearchSerializer],
        description="Open public projects matching the search and filters (anyone, signed in or not). "
        "With mine=true: your own projects in every status. "
        f"A search with words ranks the newest {selectors.SEARCH_WINDOW} matches; counts and pages stop at "
        f"{selectors.SEARCH_WINDOW} (`count_is_capped` says when there are more).",
    ),
    retrieve=extend_schema(
        description="One project. A confidential project's description, acceptance criteria and files are "
        "only there when `full_brief_visible` is true (its client, invited freelancers, or after accepting its NDA)."
    ),
)
class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ProjectDetailSerializer
    pagination_class = ProjectListPagination

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
        # Fresh, with its related rows prefetched. A draft its client just closed is discarded and
        # gone from every list; the answer still shows it once, as it now stands.
        project = self.get_queryset().filter(pk=project.pk).first() or project
        return Response(
            ProjectDetailSerializer(project, context=self.get_serializer_context()).data, status=status_code
        )

    def list(self, request, *args, **kwargs):
        # The public list is the same for every caller: its JSON is kept a few seconds per address.
        # Only an address that was read as a valid public search is ever stored, so a hit needs
        # neither the parameters read again nor the query built.
        key = None
        if settings.PUBLIC_LIST_CACHE_SECONDS and request.accepted_renderer.format == "json":
            key = "public-project-list:" + hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
            body = cache.get(key)
            if body is not None:
                return HttpResponse(body, content_type=request.accepted_renderer.media_type)
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
            return self._list_page(request, projects)
        response = self._list_page(request, selectors.project_search(params.filters()))
        if key is None:
            return response
        body = request.accepted_renderer.render(response.data, request.accepted_media_type, self.get_renderer_context())
        cache.set(key, body, settings.PUBLIC_LIST_CACHE_SECONDS)
        return HttpResponse(body, content_type=request.accepted_renderer.media_type)

    def _list_page(self, request, projects) -> Response:
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
                project=project, user=user, action=ConfidentialAccess.Action.VIEW, ip_address=client_ip(self.request)
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
        services.project_edit_check(project=project, by=request.user)  # who and when, before what
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
        request=None,
        responses=ProjectDetailSerializer,
        description="Close an open project, or discard a draft (its client only). The answer shows it closed; "
        "a discarded draft is gone from then on (404).",
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
        services.project_nda_accept(project=project, freelancer=request.user, ip_address=client_ip(request))
        self._record_full_brief_view(project)
        return self._detail(project)

    @extend_schema(
        parameters=[ATTACHMENT_ID],
        responses={(200, "*/*"): OpenApiTypes.BINARY},
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
            user=request.user, project_pk=pk, attachment_pk=attachment_pk, ip_address=client_ip(request)
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
        project = services.project_files_change(project=self.get_object(), by=request.user, add=uploaded_files(request))
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
