"""Who may download a file delivered on a milestone: the pages and the API call this, so a file
is never sent on a rule of its own."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from contracts.models import Milestone, SubmissionFile
from contracts.selectors import submission_files_for_user


def submission_file_download(*, user, file_pk: int, milestone: Milestone | None = None) -> SubmissionFile:
    """Either party of the contract gets a delivered file (of `milestone`, when given); anyone else: 404."""
    files = submission_files_for_user(user)
    if milestone is not None:
        files = files.filter(submission__milestone=milestone)
    return get_object_or_404(files, pk=file_pk)
