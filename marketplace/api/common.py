"""What the market's API views share: path parameters, uploaded files and the caller's address."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from marketplace.serializers.common import FilesUploadSerializer

ID_REGEX = "[0-9]+"
PROJECT_ID = OpenApiParameter("project_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The project's id.")
ATTACHMENT_ID = OpenApiParameter("attachment_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The file's id.")


def uploaded_files(request) -> list:
    """The files a multipart request attaches, checked by FilesUploadSerializer (a 400 otherwise)."""
    data = FilesUploadSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data["files"]


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None
