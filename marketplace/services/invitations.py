from __future__ import annotations

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core import transitions
from core.exceptions import DomainError, NotAllowed
from marketplace.models import Invitation, InvitationEvent, Project
from notifications.services import notify


@transaction.atomic
def invitation_send(*, project: Project, by: User, freelancer: User, message: str = "") -> Invitation:
    """The client invites a freelancer with a public profile to propose on an open project, once."""
    if project.client_id != by.pk:
        raise NotAllowed("Only the client who posted this project can invite freelancers to it.")
    if by.is_suspended:
        raise NotAllowed("Your account is suspended.")
    if project.status not in (Project.Status.DRAFT, Project.Status.OPEN):
        raise DomainError("This project is closed, so nobody can be invited to it.")
    profile = getattr(freelancer, "freelancer_profile", None)
    if (
        freelancer.pk == by.pk
        or not freelancer.is_active
        or not freelancer.is_freelancer
        or freelancer.is_suspended
        or profile is None
        or not profile.is_complete
    ):
        raise DomainError("This person cannot be invited: they have no public freelancer profile.")
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                project=project, freelancer=freelancer, message=message.strip()[:2000]
            )
    except IntegrityError as error:
        raise DomainError(f"You already invited {freelancer.display_name} to this project.") from error
    InvitationEvent.objects.create(invitation=invitation, actor=by, to_status=invitation.status)
    if project.status == Project.Status.OPEN:
        _tell_invited(invitation)
    return invitation


def _tell_invited(invitation: Invitation) -> None:
    notify(
        recipient=invitation.freelancer,
        kind="invitation.new",
        title=f"{invitation.project.client.display_name} invited you to “{invitation.project.title}”",
        body=invitation.message,
        url=reverse("invitation_list"),
    )


def invitations_announce_for(project: Project) -> None:
    """Invitations made while the project was a draft are sent when it is published."""
    for invitation in project.invitations.filter(status=Invitation.Status.PENDING).select_related("project__client"):
        _tell_invited(invitation)


def invitation_move(invitation: Invitation, *, to: str, by: User, note: str = "", **changes) -> Invitation:
    """An invitation is answered through core.transitions, with its history row."""
    return transitions.move(
        invitation,
        to=to,
        by=by,
        event_model=InvitationEvent,
        event_field="invitation",
        note=note,
        refuse="This invitation is already {status}.",
        responded_at=timezone.now(),
        **changes,
    )


def _respond(invitation: Invitation, *, by: User, to: str, reason: str = "") -> Invitation:
    if invitation.freelancer_id != by.pk:
        raise NotAllowed("Only the invited freelancer can answer this invitation.")
    return invitation_move(invitation, to=to, by=by, note=reason, decline_reason=reason)


@transaction.atomic
def invitation_accept(*, invitation: Invitation, by: User) -> Invitation:
    """The freelancer accepts; their next step is the proposal."""
    if not invitation.project.is_open:
        raise DomainError("This project is no longer open.")
    return _respond(invitation, by=by, to=Invitation.Status.ACCEPTED)


@transaction.atomic
def invitation_decline(*, invitation: Invitation, by: User, reason: str = "") -> Invitation:
    """The freelancer declines, optionally saying why; the client is told."""
    invitation = _respond(invitation, by=by, to=Invitation.Status.DECLINED, reason=reason.strip()[:300])
    notify(
        recipient=invitation.project.client,
        kind="invitation.declined",
        title=f"{by.display_name} declined your invitation",
        body=f"To “{invitation.project.title}”."
        + (f" Reason: {invitation.decline_reason}" if invitation.decline_reason else ""),
        url=invitation.project.get_absolute_url(),
    )
    return invitation
