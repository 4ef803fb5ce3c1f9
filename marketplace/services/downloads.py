"""Who may download a project's or a proposal's files, and the record of it: the pages and the
API call these, so a file is never sent on a rule of its own."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from marketplace import selectors
from marketplace.models import ConfidentialAccess, ProjectAttachment, ProposalAttachment
from marketplace.services.projects import confidential_access_record


def project_attachment_download(
    *, user, project_pk: int, attachment_pk: int, ip_address: str | None = None
) -> ProjectAttachment:
    """Anyone who may read the project's full brief gets its files; on a confidential project every
    download by someone other than the client is logged for the client. Anyone else: 404."""
    project = get_object_or_404(selectors.project_detail_queryset(user), pk=project_pk)
    if not selectors.can_view_confidential(project, user):
        raise Http404
    attachment = get_object_or_404(project.attachments.all(), pk=attachment_pk)
    if user.is_authenticated:
        confidential_access_record(
            project=project,
            user=user,
            action=ConfidentialAccess.Action.DOWNLOAD,
            attachment=attachment,
            ip_address=ip_address,
        )
    return attachment


def proposal_attachment_download(*, user, proposal_pk: int, attachment_pk: int) -> ProposalAttachment:
    """A proposal's files go to its freelancer and the project's client only; anyone else: 404."""
    proposal = get_object_or_404(selectors.proposals_for_user(user), pk=proposal_pk)
    return get_object_or_404(proposal.attachments.all(), pk=attachment_pk)
