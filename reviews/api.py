"""Reviews over the API: a contract's reviews (submit yours; list what you may read), a review's
one reply, and a person's published reviews. Double-blind as on the pages."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Report, User
from accounts.reports import report_create
from contracts.models import Contract
from core.exceptions import NotAllowed
from core.schema import SingleObjectSchema
from core.serializers import (
    PartySerializer,
    RejectUnknownFieldsMixin,
    StrictIntegerField,
    choice_field,
    status_field,
    validated,
)
from reviews.figures import MIN_BASIS
from reviews.models import Review
from reviews.reputation import reputation
from reviews.selectors import contracts_of, published_reviews_of, reviews_visible_to
from reviews.services import review_reply, review_submit

# The same components as the reports API's (accounts): one enum each in the schema.
ReportStatusField = status_field(Report.Status, component_name="ReportStatusEnum")
ReportReasonField = choice_field(Report.Reason, component_name="ReportReasonEnum")


class ReviewSerializer(serializers.ModelSerializer):
    author = PartySerializer(read_only=True)
    subject = PartySerializer(read_only=True)
    contract = serializers.IntegerField(source="contract_id", read_only=True)
    reply = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "contract",
            "author",
            "subject",
            "direction",
            "overall",
            "quality",
            "communication",
            "timeliness",
            "expertise",
            "clarity",
            "payment",
            "comment",
            "submitted_at",
            "published_at",
            "reply",
        ]
        read_only_fields = fields

    def get_reply(self, review) -> str | None:
        reply = getattr(review, "reply", None)  # None when there is none (the relation raises AttributeError)
        return reply.body if reply else None


ASPECTS = ("quality", "communication", "timeliness", "expertise", "clarity", "payment")


class ReviewInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    overall = StrictIntegerField(min_value=1, max_value=5)
    quality = StrictIntegerField(min_value=1, max_value=5, required=False)
    communication = StrictIntegerField(min_value=1, max_value=5, required=False)
    timeliness = StrictIntegerField(min_value=1, max_value=5, required=False)
    expertise = StrictIntegerField(min_value=1, max_value=5, required=False)
    clarity = StrictIntegerField(min_value=1, max_value=5, required=False)
    payment = StrictIntegerField(min_value=1, max_value=5, required=False)
    comment = serializers.CharField(max_length=2000)
    private_feedback = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    would_work_again = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Private: only the share of yes answers is shown, once at least three answered.",
    )

    def __init__(self, *args, aspects: tuple[str, ...] | None = None, **kwargs):
        """`aspects`: what the caller rates (the client: quality, communication, timeliness and
        expertise; the freelancer: clarity, communication and payment). Those are required and the
        others refused, in the same answer as every other field's error."""
        super().__init__(*args, **kwargs)
        self.aspects = aspects
        if aspects is not None:
            for name in ASPECTS:
                self.fields[name].required = name in aspects

    def to_internal_value(self, data):
        errors: dict = {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            errors, value = dict(error.detail), None
        if self.aspects is not None and hasattr(data, "keys"):
            for name in ASPECTS:
                if name in data and name not in self.aspects and name not in errors:
                    errors[name] = ["Not rated in this direction."]
        if errors:
            raise serializers.ValidationError(errors)
        return value


class ReplyInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    body = serializers.CharField(max_length=2000)


class ReviewReportInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = ReportReasonField(choices=Report.Reason.choices)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ReviewReportSerializer(serializers.ModelSerializer):
    status = ReportStatusField(read_only=True)
    reason = ReportReasonField(choices=Report.Reason.choices, read_only=True)

    class Meta:
        model = Report
        fields = ["id", "target", "reason", "note", "status", "created_at"]
        read_only_fields = fields


def _my_contract(request, pk) -> Contract:
    return get_object_or_404(contracts_of(request.user), pk=pk)


class ContractReviewViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The reviews of one of your contracts you may read now: yours, and theirs once published."""

    serializer_class = ReviewSerializer

    def get_queryset(self) -> QuerySet[Review]:
        if getattr(self, "swagger_fake_view", False):
            return Review.objects.none()
        contract = _my_contract(self.request, self.kwargs["contract_pk"])
        return reviews_visible_to(self.request.user).filter(contract=contract).select_related("reply")

    @extend_schema(
        request=ReviewInputSerializer,
        responses={201: ReviewSerializer},
        description="Review the other party of an ended contract with money paid, within 14 days of its end: "
        "the client rates quality, communication, timeliness and expertise; the freelancer clarity, "
        "communication and payment. Hidden from everyone but you until both have reviewed or the window closes.",
    )
    def create(self, request, contract_pk=None):
        contract = _my_contract(request, contract_pk)
        direction = (
            Review.Direction.OF_FREELANCER if request.user.pk == contract.client_id else Review.Direction.OF_CLIENT
        )
        serializer = ReviewInputSerializer(data=request.data, aspects=Review.ASPECTS[direction])
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        review = review_submit(
            contract=contract,
            by=request.user,
            overall=data["overall"],
            aspects={name: data[name] for name in ASPECTS if name in data},
            comment=data["comment"],
            private_feedback=data["private_feedback"],
            would_work_again=data["would_work_again"],
        )
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class ReviewViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A review you may read (published, or your own). Published ones are public."""

    serializer_class = ReviewSerializer

    def get_permissions(self):
        return [permissions.AllowAny()] if self.action == "retrieve" else super().get_permissions()

    def get_queryset(self) -> QuerySet[Review]:
        if getattr(self, "swagger_fake_view", False):
            return Review.objects.none()
        return reviews_visible_to(self.request.user).select_related("reply")

    @extend_schema(
        request=ReplyInputSerializer,
        responses={201: ReviewSerializer},
        description="Reply once, in public, to a published review of you, within 28 days of its publication.",
    )
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        review = self.get_object()
        if review.subject_id != request.user.pk:
            raise NotAllowed("Only the person reviewed replies to a review.")
        review_reply(review=review, by=request.user, body=validated(ReplyInputSerializer, request.data)["body"])
        fresh = self.get_queryset().get(pk=review.pk)
        return Response(ReviewSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ReviewReportInputSerializer,
        responses={201: ReviewReportSerializer},
        description="Report a published review to the moderators (a reason from the list, an optional note). "
        "Staff hide it with a reason shown in its place, or dismiss the report. 400 for your own review or "
        "a second open report of it.",
    )
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        review = self.get_object()
        data = validated(ReviewReportInputSerializer, request.data)
        filed = report_create(
            reporter=request.user, target=f"review:{review.pk}", reason=data["reason"], note=data["note"]
        )
        return Response(ReviewReportSerializer(filed).data, status=status.HTTP_201_CREATED)


class UserReviewViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A person's published reviews (of them), newest first: public, as on their profile."""

    serializer_class = ReviewSerializer
    permission_classes = [permissions.AllowAny]

    def get_queryset(self) -> QuerySet[Review]:
        if getattr(self, "swagger_fake_view", False):
            return Review.objects.none()
        person = get_object_or_404(User, pk=self.kwargs["user_pk"], is_active=True)
        return published_reviews_of(person).select_related("reply")


class ReadOnlySerializer(serializers.Serializer):
    """An answer's shape, never input: every field is read-only."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.read_only = True
        return fields


class RatingsSerializer(ReadOnlySerializer):
    rating_average = serializers.FloatField(allow_null=True, help_text="Average overall stars; null with no rating.")
    rating_count = serializers.IntegerField()
    rating_distribution = serializers.DictField(
        child=serializers.IntegerField(), help_text='Published ratings per star: {"5": 3, "4": 1, ...}.'
    )
    hidden_reviews = serializers.IntegerField(help_text="Reviews hidden by a moderator: in no figure.")
    would_work_again_percent = serializers.IntegerField(
        allow_null=True, help_text="Share of reviewers who privately answered they would work with them again."
    )
    would_work_again_basis = serializers.IntegerField(help_text="Reviewers who answered that private question.")
    is_new = serializers.BooleanField(help_text=f"Fewer than {MIN_BASIS} ended contracts with money paid.")
    contracts_ended_paid = serializers.IntegerField()


class FreelancerReputationSerializer(RatingsSerializer):
    job_success_percent = serializers.IntegerField(allow_null=True)
    job_success_basis = serializers.IntegerField(help_text="Contracts counted (rated, or a dispute lost).")
    on_time_percent = serializers.IntegerField(allow_null=True)
    on_time_basis = serializers.IntegerField(help_text="Milestones delivered, or past due undelivered.")
    clients = serializers.IntegerField()
    repeat_clients = serializers.IntegerField()
    earned_band = serializers.CharField()
    tests_done = serializers.IntegerField()
    tests_continued = serializers.IntegerField()


class ClientReputationSerializer(RatingsSerializer):
    released_without_dispute_percent = serializers.IntegerField(allow_null=True)
    released_basis = serializers.IntegerField(help_text="Milestones released or refunded.")
    disputes_lost = serializers.IntegerField()
    freelancers_hired = serializers.IntegerField()
    repeat_hires = serializers.IntegerField()
    relationship_days = serializers.FloatField(allow_null=True)
    answered_percent = serializers.IntegerField(allow_null=True)
    answered_basis = serializers.IntegerField()
    ended_early = serializers.IntegerField()
    replaced_after_ending = serializers.IntegerField()


class ReputationSerializer(ReadOnlySerializer):
    freelancer = FreelancerReputationSerializer()
    client = ClientReputationSerializer()
    min_basis = serializers.IntegerField(help_text="Below this basis a figure is shown as New, not as a score.")
    formulas = serializers.CharField(help_text="The page that explains every formula.")


def _with_distribution(figures: dict) -> dict:
    return {**figures, "rating_distribution": {str(stars): n for stars, n, _ in figures["rating_distribution"]}}


class UserReputationViewSet(viewsets.ViewSet):
    """A person's reputation figures in both roles, each with the number it is based on: public, as on
    their profile and the trust panels. Formulas: /trust/."""

    permission_classes = [permissions.AllowAny]
    serializer_class = ReputationSerializer
    schema = SingleObjectSchema()  # one object, although the router serves it as a `list` route

    @extend_schema(responses={200: ReputationSerializer})
    def list(self, request, user_pk=None):
        person = get_object_or_404(User, pk=user_pk, is_active=True)
        data = {
            "freelancer": _with_distribution(reputation(person.pk, "freelancer")),
            "client": _with_distribution(reputation(person.pk, "client")),
            "min_basis": MIN_BASIS,
            "formulas": request.build_absolute_uri("/trust/"),
        }
        return Response(ReputationSerializer(data).data)
