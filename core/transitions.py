"""The one way a row with a state changes state: lock it, re-check the move against its model's
TRANSITIONS table, compare-and-set the status, write one event row. The compare-and-set also holds
on SQLite, where select_for_update does nothing.

Nothing else assigns a status (tests/test_architecture.py checks the source): a service that
needs more around a move (a timeline entry on the contract, a notification) wraps `move`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from core.exceptions import InvalidTransition


def lock(instance: models.Model) -> models.Model:
    return type(instance).objects.select_for_update().get(pk=instance.pk)


def _changed_meanwhile(model: type[models.Model]) -> InvalidTransition:
    return InvalidTransition(f"This {model._meta.verbose_name} changed meanwhile. Reload the page and try again.")


def _compare_and_set(instance: models.Model, *, expect: dict[str, Any], changes: dict[str, Any]) -> None:
    model = type(instance)
    if model.objects.filter(pk=instance.pk, **expect).update(**changes) != 1:
        raise _changed_meanwhile(model)


def compare_and_set(instance: models.Model, *, expect: dict[str, Any], **changes: Any) -> None:
    """Write `changes` (never the status: that is `move`) only while the row still holds `expect`,
    or raise InvalidTransition changing nothing. For counters and terms that move without a status."""
    if "status" in changes:
        raise TypeError("A status changes through core.transitions.move, which checks the table.")
    _compare_and_set(instance, expect=expect, changes=changes)


def allowed(model: type[models.Model], source: str, to: str) -> bool:
    """Whether the model's transition table allows the move from `source` to `to`."""
    return to in model.TRANSITIONS.get(source, ())


@transaction.atomic
def move(
    instance: models.Model,
    *,
    to: str,
    by,
    event_model: type[models.Model],
    event_field: str | None,
    note: str = "",
    refuse: str | None = None,
    expect: dict[str, Any] | None = None,
    event: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
    **changes: Any,
) -> models.Model:
    """Move `instance` to status `to` (plus `changes`), or raise InvalidTransition changing nothing.

    The stored row is locked and re-checked, not the instance passed in, which may be stale.
    `refuse` is the message for a move the table forbids ("{status}" reads the current status);
    `expect` holds other columns the compare-and-set must still find (an offer's revision);
    `event` holds further fields of the event row (a contract timeline's verb and amount), whose
    foreign key to the moved row is `event_field` (None when `event` names what moved); `fields`
    holds column changes whose names are taken by the arguments here (an interview's `note`)."""
    model = type(instance)
    current = lock(instance)
    if not allowed(model, current.status, to):
        label = dict(model.Status.choices).get(current.status, current.status).lower()
        if refuse:
            raise InvalidTransition(refuse.replace("{status}", label))
        raise InvalidTransition(f"This {model._meta.verbose_name} is {label}, so that is not possible now.")
    _compare_and_set(
        current,
        expect={"status": current.status, **(expect or {})},
        changes={"status": to, **changes, **(fields or {})},
    )
    history = {"actor": by, "from_status": current.status, "to_status": to, "note": note[:500], **(event or {})}
    if event_field:
        history[event_field] = current
    event_model.objects.create(**history)
    current.refresh_from_db()
    return current


class Stateful:
    """A model with a `status` and a `TRANSITIONS` table: {status: statuses it may move to}."""

    TRANSITIONS: ClassVar[dict[str, set[str]]]

    def can_move_to(self, status: str) -> bool:
        return allowed(type(self), self.status, status)


class StatusEvent(models.Model):
    """The history row of one move: who (none for the system), from which status, to which, when.
    Subclasses add the foreign key to what moved (and inherit Meta, so their ordering is this one)."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        subject = next(f for f in self._meta.concrete_fields if f.is_relation and f.name != "actor")
        return f"{getattr(self, subject.attname)}: {self.from_status or 'new'} → {self.to_status}"
