"""Moderators hide a project (its client reads why) and show it again; while a client is
suspended their open projects are hidden, and shown again when the suspension is lifted."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.moderation import audit, can_moderate, moderator_text
from core.exceptions import DomainError, NotAllowed
from marketplace.models import Project
from marketplace.selectors import client_trust_forget
from notifications.services import notify

SUSPENSION_REASON = "Hidden while the client's account is suspended."


@transaction.atomic
def project_hide(*, project: Project, by, reason: str) -> Project:
    if not can_moderate(by):
        raise NotAllowed("Only moderators hide projects.")
    reason = moderator_text(reason, field="reason", missing="Give the reason: the client reads it.")
    updated = Project.objects.filter(pk=project.pk, hidden_at__isnull=True).update(
        hidden_at=timezone.now(), hidden_reason=reason, hidden_for_suspension=False
    )
    if not updated:
        raise DomainError("This project is already hidden.")
    project.refresh_from_db()
    audit(actor=by, verb="hid", target=f"project:{project.pk}", label=project.title, reason=reason)
    notify(
        recipient=project.client,
        kind="moderation.hidden",
        title=f"A moderator hid your project “{project.title}”",
        body=f"Reason: {reason}\nNobody else can find or open it now. Reply to this notice's email or contact support "
        "if you think this is a mistake.",
        url=reverse("project_detail", args=[project.pk]),
    )
    client_trust_forget(project.client_id)
    return project


@transaction.atomic
def project_unhide(*, project: Project, by, reason: str = "") -> Project:
    if not can_moderate(by):
        raise NotAllowed("Only moderators show hidden projects again.")
    updated = Project.objects.filter(pk=project.pk, hidden_at__isnull=False).update(
        hidden_at=None, hidden_reason="", hidden_for_suspension=False
    )
    if not updated:
        raise DomainError("This project is not hidden.")
    project.refresh_from_db()
    audit(actor=by, verb="unhid", target=f"project:{project.pk}", label=project.title, reason=reason.strip())
    notify(
        recipient=project.client,
        kind="moderation.hidden",
        title=f"Your project “{project.title}” can be found again",
        url=reverse("project_detail", args=[project.pk]),
    )
    return project


def on_suspension_changed(*, user, suspended: bool) -> None:
    """A suspended client's open projects are hidden with the reason; lifted, those come back."""
    if suspended:
        Project.objects.filter(client=user, status=Project.Status.OPEN, hidden_at__isnull=True).update(
            hidden_at=timezone.now(), hidden_reason=SUSPENSION_REASON, hidden_for_suspension=True
        )
    else:
        Project.objects.filter(client=user, hidden_for_suspension=True).update(
            hidden_at=None, hidden_reason="", hidden_for_suspension=False
        )


def project_report_target(pk: int, viewer):
    """A project as a report names it: one the reporter can see."""
    from accounts.reports import ReportTarget
    from marketplace.selectors import projects_visible_to

    project = projects_visible_to(viewer).filter(pk=pk).first()
    if project is None:
        return None
    return ReportTarget(label=project.title, author_id=project.client_id, url=reverse("project_detail", args=[pk]))
