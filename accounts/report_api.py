"""Reports over the API: a member reports a project, a message or a member (target
"project:12", "message:40", "user:7") and reads their own reports and their outcome."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from accounts.models import Report
from accounts.reports import report_create
from core.serializers import RejectUnknownFieldsMixin, choice_field, status_field, validated

ReportStatusField = status_field(Report.Status, component_name="ReportStatusEnum")
ReportReasonField = choice_field(Report.Reason, component_name="ReportReasonEnum")


class ReportSerializer(serializers.ModelSerializer):
    status = ReportStatusField(read_only=True)
    reason = ReportReasonField(choices=Report.Reason.choices, read_only=True)

    class Meta:
        model = Report
        fields = ["id", "target", "target_label", "reason", "note", "status", "outcome", "created_at", "resolved_at"]
        read_only_fields = fields


class ReportCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    target = serializers.RegexField(
        r"^(project|message|user|review):[0-9]{1,12}$",
        max_length=30,
        help_text='What you report: "project:<id>", "message:<id>", "review:<id>" or "user:<id>".',
        error_messages={"invalid": 'Name it as "project:<id>", "message:<id>" or "user:<id>".'},
    )
    reason = ReportReasonField(choices=Report.Reason.choices)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ReportViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your reports to the moderators, newest first, with what was decided."""

    serializer_class = ReportSerializer

    def get_queryset(self) -> QuerySet[Report]:
        if getattr(self, "swagger_fake_view", False):
            return Report.objects.none()
        return Report.objects.filter(reporter=self.request.user).order_by("-created_at", "-pk")

    @extend_schema(
        request=ReportCreateSerializer,
        responses={201: ReportSerializer},
        description="Report something you can see to the moderators; one open report of yours per target. 400 if "
        "there is nothing you can see there, it is your own, or you already reported it.",
    )
    def create(self, request, *args, **kwargs):
        data = validated(ReportCreateSerializer, request.data)
        report = report_create(reporter=request.user, target=data["target"], reason=data["reason"], note=data["note"])
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)
