"""Changes to unfunded milestones: one side proposes a change or a removal, the other accepts or
declines it, the proposer may withdraw it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from contracts import services
from contracts.forms import MilestoneEditDeclineForm, MilestoneEditForm
from contracts.views._common import (
    _back_to,
    _milestone_form_action,
    _milestone_rules_beside_form_errors,
    _party_edit,
    _party_milestone,
    _run,
)
from core.templatetags.core_tags import money


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_edit_propose(request, pk: int):
    milestone = _party_milestone(request, pk)
    return _milestone_form_action(
        request,
        milestone,
        action="edit",
        form_class=MilestoneEditForm,
        call=lambda data: services.milestone_edit_propose(
            milestone=milestone,
            by=request.user,
            title=data["title"],
            amount_cents=data["amount"],
            due_date=data["due_date"],
            note=data["note"],
        ),
        success="You proposed the change. Nothing changes until the other side accepts it.",
        rules=lambda form: _milestone_rules_beside_form_errors(form, contract=milestone.contract, milestone=milestone),
    )


@login_required
@require_POST
def milestone_removal_propose(request, pk: int):
    milestone = _party_milestone(request, pk)
    _run(
        request,
        lambda: services.milestone_removal_propose(milestone=milestone, by=request.user),
        success=f"You proposed removing “{milestone.title}”. It stays until the other side agrees.",
        failed="Nothing changed.",
    )
    return redirect(_back_to(milestone))


@login_required
@require_POST
def milestone_edit_accept(request, pk: int):
    edit = _party_edit(request, pk)

    def accepted(milestone) -> str:
        if edit.removes:
            return f"You agreed: “{milestone.title}” is removed from the contract."
        return (
            f"You accepted the change: “{milestone.title}” is now "
            f"{money(milestone.amount_cents, milestone.contract.currency)}, "
            f"due {milestone.due_date.day} {milestone.due_date:%b %Y}."
        )

    _run(
        request,
        lambda: services.milestone_edit_accept(edit=edit, by=request.user),
        success=accepted,
        failed="Nothing changed.",
    )
    return redirect(_back_to(edit.milestone))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_edit_decline(request, pk: int):
    edit = _party_edit(request, pk)
    return _milestone_form_action(
        request,
        edit.milestone,
        action="answer_edit",
        form_class=MilestoneEditDeclineForm,
        call=lambda data: services.milestone_edit_decline(edit=edit, by=request.user, reason=data["reason"]),
        success="You declined the change. The milestone keeps its agreed terms.",
    )


@login_required
@require_POST
def milestone_edit_withdraw(request, pk: int):
    edit = _party_edit(request, pk)
    _run(
        request,
        lambda: services.milestone_edit_withdraw(edit=edit, by=request.user),
        success="You withdrew the proposed change. The milestone keeps its agreed terms.",
    )
    return redirect(_back_to(edit.milestone))
