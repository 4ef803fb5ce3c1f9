"""What the contracts API views share: scoped querysets with what a detail needs, and error
names as the caller sent them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from contracts.models import Contract, ContractEvent, Milestone, MilestoneEdit
from core.exceptions import DomainError

FILE_ID = OpenApiParameter("file_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The file's id.")
MONEY_NOTE = " Moves money: send an Idempotency-Key so that a retry moves it once."


def milestone_detail(queryset: QuerySet[Milestone]) -> QuerySet[Milestone]:
    return queryset.select_related("contract").prefetch_related(
        "refund_requests",
        "submissions__files",
        Prefetch("edits", queryset=MilestoneEdit.objects.select_related("proposed_by")),
    )


def contract_detail(queryset: QuerySet[Contract]) -> QuerySet[Contract]:
    return queryset.select_related("client", "freelancer").prefetch_related(
        Prefetch("milestones", queryset=milestone_detail(Milestone.objects.all())),
        Prefetch("events", queryset=ContractEvent.objects.select_related("actor")),
    )


@contextmanager
def service_fields(renames: dict[str, str]) -> Iterator[None]:
    """Report a service's errors under the names the caller sent (`amount` → `amount_cents`)."""
    try:
        yield
    except DjangoValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
        if not any(name in renames for name in errors):
            raise
        raise DjangoValidationError({renames.get(name, name): messages for name, messages in errors.items()}) from error
    except DomainError as error:
        if error.field in renames:
            error.field = renames[error.field]
        raise


AMOUNT_FIELDS = {"amount": "amount_cents"}
