"""Earnings and withdrawals over the REST API: the same services as the withdrawal page.

Amounts are whole cents. A withdrawal with an Idempotency-Key pays once however often it is
retried (the key becomes the payout's key); without one, every request is a new withdrawal.
"""

from __future__ import annotations

import hashlib
import uuid

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from core.exceptions import DomainError
from core.schema import SingleObjectSchema
from core.serializers import PositiveCentsField, RejectUnknownFieldsMixin
from payments.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotency_key, idempotent
from payments.models import Payout
from payments.selectors import earnings_for_user
from payments.services import payout_request

# The ledger is single-currency for now; every entry and payout is in it.
LEDGER_CURRENCY = "USD"


class BalanceSerializer(serializers.Serializer):
    pending_cents = serializers.IntegerField(
        read_only=True, help_text="Released to you and still in its clearance period."
    )
    available_cents = serializers.IntegerField(read_only=True, help_text="Yours to withdraw now.")
    currency = serializers.CharField(read_only=True)


class PayoutSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payout
        fields = ["id", "amount_cents", "currency", "status", "destination", "gateway_reference", "created_at"]
        read_only_fields = fields


class PayoutCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    amount_cents = PositiveCentsField(help_text="How much to withdraw, in whole cents; at most what is available.")


class BalanceViewSet(viewsets.ViewSet):
    schema = SingleObjectSchema()  # one object, although the router serves it as a `list` route

    @extend_schema(
        responses=BalanceSerializer,
        description="Your earnings: pending (released, in its clearance period) and available to withdraw.",
    )
    def list(self, request):
        figures = earnings_for_user(request.user)
        return Response(
            BalanceSerializer(
                {
                    "pending_cents": figures["pending"],
                    "available_cents": figures["available"],
                    "currency": LEDGER_CURRENCY,
                }
            ).data
        )


@extend_schema_view(list=extend_schema(description="Your withdrawals, newest first."))
class PayoutViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = PayoutSerializer

    def get_queryset(self) -> QuerySet[Payout]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return Payout.objects.none()
        return Payout.objects.filter(freelancer=self.request.user)

    @extend_schema(
        request=PayoutCreateSerializer,
        responses={201: PayoutSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        description="Withdraw available money to your payout account (set it up on the earnings page first; "
        "sandbox: simulated). The withdrawal is `sending` until the transfer is made, then `paid`; a transfer that "
        "fails for good or is reversed returns the money to your balance (`failed`, `reversed`). Send an "
        "Idempotency-Key so that a retry pays once; without one, each request is a new withdrawal.",
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = PayoutCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = idempotency_key(request)
        # Hashed, so any key fits the payout's column; scoped to the user like the Idempotency-Key itself.
        payout_key = (
            f"api:{request.user.pk}:{hashlib.sha256(key.encode()).hexdigest()}"
            if key is not None
            else f"api:{uuid.uuid4().hex}"
        )
        try:
            payout = payout_request(
                freelancer=request.user, amount_cents=data.validated_data["amount_cents"], key=payout_key
            )
        except DomainError as error:
            if error.field == "amount":
                error.field = "amount_cents"  # the name the caller sent
            raise
        return Response(PayoutSerializer(payout).data, status=status.HTTP_201_CREATED)
