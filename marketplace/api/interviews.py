"""Interviews over the API: times offered, picked, moved or cancelled."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from marketplace import selectors, services
from marketplace.models import Interview, InterviewSlot
from marketplace.serializers.interviews import (
    InterviewCancelSerializer,
    InterviewCreateSerializer,
    InterviewPickSerializer,
    InterviewSerializer,
    InterviewTimesSerializer,
)


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
