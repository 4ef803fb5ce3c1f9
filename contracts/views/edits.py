"""Changes to unfunded milestones: one side proposes a change or a removal, the other accepts or
declines it, the proposer may withdraw it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from contracts import services
from contracts.forms import MilestoneEditDeclineForm, MilestoneEditForm
from contracts.views._common import ServiceError, _back_to, _error_text, _party_edit, _party_milestone
from contracts.views.milestones import _answer_with_reason, _milestone_form_action
from core.templatetags.core_tags import money


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_edit_propose(request, pk: int):
    def call(milestone, data):
        services.milestone_edit_propose(
            milestone=milestone,
            by=request.user,
            title=data["title"],
            amount_cents=data["amount"],
            due_date=data["due_date"],
            note=data["note"],
        )

    return _milestone_form_action(
        request,
        pk,
        action="edit",
        form_class=MilestoneEditForm,
        call=call,
        success="You proposed the change. Nothing changes until the other side accepts it.",
    )


@login_required
@require_POST
def milestone_removal_propose(request, pk: int):
    milestone = _party_milestone(request, pk)
    try:
        services.milestone_removal_propose(milestone=milestone, by=request.user)
    except ServiceError as error:
        messages.error(request, f"Nothing changed. {_error_text(error)}")
    else:
        messages.success(request, f"You proposed removing “{milestone.title}”. It stays until the other side agrees.")
    return redirect(_back_to(milestone))


@login_required
@require_POST
def milestone_edit_accept(request, pk: int):
    edit = _party_edit(request, pk)
    try:
        milestone = services.milestone_edit_accept(edit=edit, by=request.user)
    except ServiceError as error:
        messages.error(request, f"Nothing changed. {_error_text(error)}")
    else:
        if edit.removes:
            messages.success(request, f"You agreed: “{milestone.title}” is removed from the contract.")
        else:
            messages.success(
                request,
                f"You accepted the change: “{milestone.title}” is now "
                f"{money(milestone.amount_cents, milestone.contract.currency)}, "
                f"due {milestone.due_date.day} {milestone.due_date:%b %Y}.",
            )
    return redirect(_back_to(edit.milestone))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_edit_decline(request, pk: int):
    edit = _party_edit(request, pk)
    return _answer_with_reason(
        request,
        edit.milestone,
        action="answer_edit",
        form_class=MilestoneEditDeclineForm,
        call=lambda reason: services.milestone_edit_decline(edit=edit, by=request.user, reason=reason),
        success="You declined the change. The milestone keeps its agreed terms.",
    )


@login_required
@require_POST
def milestone_edit_withdraw(request, pk: int):
    edit = _party_edit(request, pk)
    try:
        services.milestone_edit_withdraw(edit=edit, by=request.user)
    except ServiceError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, "You withdrew the proposed change. The milestone keeps its agreed terms.")
    return redirect(_back_to(edit.milestone))
