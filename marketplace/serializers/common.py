"""Shapes the market's subjects share: a project as a reference, files sent, a reason to decline."""

from __future__ import annotations

from rest_framework import serializers

from core.serializers import PartySerializer, RejectUnknownFieldsMixin

ID_MAX = 2**31 - 1


class ProjectRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    kind = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    client = PartySerializer(read_only=True)


class FilesUploadSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Files to attach, sent as multipart/form-data (repeat the `files` field for each file)."""

    files = serializers.ListField(
        child=serializers.FileField(), min_length=1, max_length=5, help_text="Up to 5 files in all; checked by bytes."
    )


class DeclineReasonSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
