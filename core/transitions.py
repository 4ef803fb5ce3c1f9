"""The one way a row with a state changes state: lock it, re-check the move, compare-and-set
the status, write an event row. The compare-and-set also holds on SQLite, where
select_for_update does nothing."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from core.exceptions import InvalidTransition


def lock(instance: models.Model) -> models.Model:
    return type(instance).objects.select_for_update().get(pk=instance.pk)


@transaction.atomic
def move(
    instance: models.Model,
    *,
    to: str,
    by,
    event_model: type[models.Model],
    event_field: str,
    note: str = "",
    refuse: str | None = None,
    **changes: Any,
) -> models.Model:
    """Move `instance` to status `to` (plus `changes`), or raise InvalidTransition changing nothing."""
    model = type(instance)
    current = lock(instance)
    if not current.can_move_to(to):
        label = dict(model.Status.choices).get(current.status, current.status).lower()
        raise InvalidTransition(refuse or f"This {model._meta.verbose_name} is {label}, so that is not possible now.")
    updated = model.objects.filter(pk=current.pk, status=current.status).update(status=to, **changes)
    if updated != 1:
        raise InvalidTransition(f"This {model._meta.verbose_name} changed meanwhile. Reload and try again.")
    event_model.objects.create(
        **{event_field: current}, actor=by, from_status=current.status, to_status=to, note=note[:500]
    )
    current.refresh_from_db()
    return current


class StatusEvent(models.Model):
    """The history row of one move: who (none for the system), from which status, to which, when.
    Subclasses add the foreign key to what moved."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]
