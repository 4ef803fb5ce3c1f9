"""What the market's API views share: path parameters and the caller's address."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

ID_REGEX = "[0-9]+"
PROJECT_ID = OpenApiParameter("project_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The project's id.")
ATTACHMENT_ID = OpenApiParameter("attachment_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The file's id.")


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None
