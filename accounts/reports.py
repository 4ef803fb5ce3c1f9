"""Members report a project, a message or a member; moderators answer. The apps that own what can
be reported say what a target is (its label, its author, whether the reporter can see it) through
register_report_target, so accounts never imports them."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Report, ReportEvent, User
from accounts.moderation import audit, can_moderate, moderator_text
from core import transitions
from core.exceptions import DomainError, NotAllowed
from notifications.services import notify


@dataclass(frozen=True)
class ReportTarget:
    label: str
    author_id: int | None  # who posted it (the member themself for "user")
    url: str = ""  # where it is read


# kind → resolver(pk, viewer) -> ReportTarget | None (None: no such thing, or the viewer cannot see it)
_targets: dict = {}


def register_report_target(kind: str, resolver) -> None:
    _targets[kind] = resolver


def report_target(target: str, viewer) -> ReportTarget | None:
    kind, _, pk = target.partition(":")
    resolver = _targets.get(kind)
    if resolver is None or not pk.isdigit() or len(pk) > 12:
        return None
    return resolver(int(pk), viewer)


def _user_target(pk: int, viewer) -> ReportTarget | None:
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None:
        return None
    return ReportTarget(label=user.display_name, author_id=user.pk, url=reverse("moderation_member", args=[pk]))


register_report_target("user", _user_target)


@transaction.atomic
def report_create(*, reporter, target: str, reason: str, note: str = "") -> Report:
    """A member reports something they can see; one open report of theirs per target. Staff are told."""
    found = report_target(target, reporter)
    if found is None:
        raise DomainError("There is nothing to report there, or you cannot see it.")
    if found.author_id == reporter.pk:
        raise DomainError("You cannot report your own account or what you posted.")
    if reason not in Report.Reason.values:
        raise ValidationError({"reason": ["Choose a reason from the list."]})
    note = (note or "").strip()
    if len(note) > 1000:
        raise ValidationError({"note": ["Keep it under 1,000 characters."]})
    try:
        with transaction.atomic():
            report = Report.objects.create(
                reporter=reporter, target=target, target_label=found.label[:200], reason=reason, note=note
            )
    except IntegrityError:
        raise DomainError("You already reported this; a moderator will look at it.") from None
    for person in User.objects.filter(is_staff=True, is_active=True):
        if can_moderate(person):
            notify(
                recipient=person,
                kind="staff.report",
                title=f"New report: {report.get_reason_display()}",
                body=f"{found.label[:120]} ({target}).",
                url=reverse("moderation_report", args=[report.pk]),
            )
    return report


@transaction.atomic
def report_resolve(*, report: Report, by, actioned: bool, outcome: str) -> Report:
    """A moderator answers a report; the reporter reads `outcome`, and the audit log keeps it."""
    if not can_moderate(by):
        raise NotAllowed("Only moderators answer reports.")
    outcome = moderator_text(
        outcome,
        field="outcome",
        missing="Write what the reporter reads: what was done, or why nothing needed doing.",
        most=1000,
    )
    report = transitions.move(
        report,
        to=Report.Status.ACTIONED if actioned else Report.Status.DISMISSED,
        by=by,
        event_model=ReportEvent,
        event_field="report",
        note=outcome[:500],
        refuse="This report was already answered.",
        outcome=outcome,
        resolved_by=by,
        resolved_at=timezone.now(),
    )
    audit(actor=by, verb="resolved_report", target=report.target, label=report.target_label, reason=outcome)
    notify(
        recipient=report.reporter,
        kind="moderation.report",
        title=f"Your report about {report.target_label[:80]}: {report.get_status_display().lower()}",
        body=outcome,
    )
    return report


def open_reports(*, limit: int = 50) -> list[Report]:
    return list(Report.objects.filter(status=Report.Status.OPEN).select_related("reporter")[:limit])
