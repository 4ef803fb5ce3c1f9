"""Project pages: post, preview, publish and close; the project page with its confidential brief;
search; inviting freelancers; and the freelancer's invitations."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.selectors import public_freelancer_profiles, skill_categories_with_skills
from core.exceptions import DomainError
from core.files import attachment_response
from core.forms import add_service_error
from marketplace import selectors, services
from marketplace.forms import (
    FreelancerSearchForm,
    InvitationDeclineForm,
    InvitationSendForm,
    ProjectForm,
    ProjectSearchForm,
)
from marketplace.models import ConfidentialAccess, Invitation, Project, Proposal
from marketplace.services.downloads import project_attachment_download

RESULTS_PER_PAGE = 20
NOTHING_SAVED = "Nothing was changed."


def _posted(request):
    """Bind forms on every POST, even an empty one, so missing fields show their errors."""
    return request.POST if request.method == "POST" else None


def _files(request):
    return request.FILES if request.method == "POST" else None


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _error_messages(request, error: Exception) -> None:
    if isinstance(error, ValidationError):
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.error(request, error.message)


def _client_only(request):
    """Posting work needs the client role; say how to get it rather than failing."""
    if not request.user.is_client:
        messages.info(request, "Choose “I want to hire” to post projects and invite freelancers.")
        return redirect("onboarding")
    return None


def _form_context(form: ProjectForm, **extra) -> dict:
    return {
        "form": form,
        "kind": form.kind,
        "is_test": form.is_test,
        "categories": skill_categories_with_skills(),
        "selected_skill_ids": form.selected_skill_ids,
        "test_max_cents": settings.TEST_PROJECT_MAX_CENTS,
        "test_max_days": settings.TEST_PROJECT_MAX_DAYS,
        **extra,
    }


# Posting -------------------------------------------------------------------------------------


def _checked_together(form: ProjectForm) -> bool:
    """Whether the form is valid; when it is not, the project's rules (a paid test's caps, the
    deadline) still run on what it could read, so every error shows in one answer."""
    if form.is_valid():
        return True
    try:
        services.project_rules_check(**form.rules_input())
    except ValidationError as error:
        add_service_error(form, error, field_map=form.error_field_for, beside_form_errors=True)
    return False


@login_required
def project_create(request):
    refused = _client_only(request)
    if refused:
        return refused
    kind = request.GET.get("kind")
    if kind not in Project.Kind.values:
        return render(
            request,
            "marketplace/project_new.html",
            {"test_max_cents": settings.TEST_PROJECT_MAX_CENTS, "test_max_days": settings.TEST_PROJECT_MAX_DAYS},
        )
    form = ProjectForm(_posted(request), _files(request), kind=kind)
    if request.method == "POST" and _checked_together(form):
        try:
            project = services.project_create(client=request.user, **form.service_kwargs())
        except (ValidationError, DomainError) as error:
            add_service_error(form, error, field_map=form.error_field_for)
        else:
            messages.success(request, "Your draft is saved. Check it below, then publish it.")
            return redirect(project)
    return render(request, "marketplace/project_form.html", _form_context(form))


@login_required
def project_edit(request, pk: int):
    project = get_object_or_404(selectors.client_projects(request.user), pk=pk)
    if project.status != Project.Status.DRAFT:
        messages.error(request, "Only drafts can be edited. Close this project and post a new one to change it.")
        return redirect(project)
    form = ProjectForm(_posted(request), _files(request), kind=project.kind, project=project)
    if request.method == "POST" and _checked_together(form):
        try:
            project = services.project_update(project=project, by=request.user, **form.service_kwargs())
        except (ValidationError, DomainError) as error:
            add_service_error(form, error, field_map=form.error_field_for)
        else:
            messages.success(request, "Your draft is saved.")
            return redirect(project)
    return render(request, "marketplace/project_form.html", _form_context(form, project=project))


@login_required
@require_POST
def project_publish(request, pk: int):
    project = get_object_or_404(selectors.client_projects(request.user), pk=pk)
    try:
        project = services.project_publish(project=project, by=request.user)
    except (ValidationError, DomainError) as error:
        _error_messages(request, error)
        messages.info(request, f"The project is still a draft. {NOTHING_SAVED}")
    else:
        messages.success(
            request,
            f"Published. Freelancers can propose until {date_format(project.apply_by, 'j M Y')}.",
        )
    return redirect(project)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def project_close(request, pk: int):
    """GET asks first (a draft is discarded, an open project stops taking proposals); only POST acts."""
    project = get_object_or_404(selectors.client_projects(request.user), pk=pk)
    was_draft = project.status == Project.Status.DRAFT
    if request.method != "POST":
        if not project.can_move_to(Project.Status.CLOSED):
            messages.error(
                request, f"This project is {project.get_status_display().lower()}; there is nothing to close."
            )
            return redirect(project)
        live = selectors.proposals_for_project(project).filter(status__in=Proposal.EDITABLE).count()
        return render(
            request,
            "marketplace/project_close.html",
            {"project": project, "was_draft": was_draft, "live_proposals": live},
        )
    try:
        project = services.project_close(project=project, by=request.user)
    except DomainError as error:
        _error_messages(request, error)
    else:
        messages.success(request, "The draft is discarded." if was_draft else "The project is closed to proposals.")
        if was_draft:
            return redirect("dashboard")
    return redirect(project)


# The project page ----------------------------------------------------------------------------


def project_detail(request, pk: int):
    user = request.user
    project = get_object_or_404(selectors.project_detail_queryset(user), pk=pk)
    now = timezone.now()
    is_owner = user.is_authenticated and user.pk == project.client_id
    can_view_full = selectors.can_view_confidential(project, user)
    if project.is_confidential and can_view_full and not is_owner:
        services.confidential_access_record(
            project=project, user=user, action=ConfidentialAccess.Action.VIEW, ip_address=_ip(request)
        )
    context = {
        "project": project,
        "is_owner": is_owner,
        "can_view_full": can_view_full,
        "client_profile": getattr(project.client, "client_profile", None),
        "trust": selectors.client_trust(project.client),
        "accepting": project.accepts_proposals_at(now),
        "open_days": settings.PROJECT_OPEN_DAYS,
    }
    if is_owner:
        context["proposal_count"] = selectors.proposals_for_project(project).count()
        context["open_until"] = now + timedelta(days=settings.PROJECT_OPEN_DAYS)
        if project.is_confidential:
            context["access_log"], context["nda_acceptances"] = selectors.confidential_access_log(
                project, viewer=request.user
            )
    elif user.is_authenticated and user.is_freelancer:
        my_proposal = selectors.proposals_for_user(user).filter(project=project, freelancer=user).first()
        context["my_proposal"] = my_proposal
        if my_proposal is not None and my_proposal.status == Proposal.Status.WITHDRAWN:
            context["withdrawn_at"] = _withdrawn_at(my_proposal)
        context["my_invitation"] = selectors.invitations_for_freelancer(user).filter(project=project).first()
        context["can_propose"] = my_proposal is None and not user.is_suspended and context["accepting"]
    return render(request, "marketplace/project_detail.html", context)


def _withdrawn_at(proposal: Proposal):
    """When the freelancer took the proposal back: its withdrawal event, else its last change."""
    event = proposal.events.filter(to_status=Proposal.Status.WITHDRAWN).order_by("-at", "-pk").first()
    return event.at if event is not None else proposal.updated_at


@login_required
@require_POST
def project_nda_accept(request, pk: int):
    project = get_object_or_404(selectors.project_detail_queryset(request.user), pk=pk)
    try:
        services.project_nda_accept(project=project, freelancer=request.user, ip_address=_ip(request))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "You accepted the NDA. The full brief and its files are below.")
    return redirect(project)


def project_attachment(request, pk: int, attachment_pk: int):
    attachment = project_attachment_download(
        user=request.user, project_pk=pk, attachment_pk=attachment_pk, ip_address=_ip(request)
    )
    return attachment_response(attachment)


# Search ----------------------------------------------------------------------------------------


def project_search(request):
    categories = list(skill_categories_with_skills())
    form = ProjectSearchForm(request.GET or None, categories=categories)
    if form.is_bound:
        form.is_valid()
    results = selectors.project_search(selectors.SearchFilters(**form.filters_kwargs()))
    # Pages stop at the counted window: a page past it shows the last one, which says why.
    page = selectors.SearchPaginator(results, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "marketplace/search.html",
        {
            "form": form,
            "page": page,
            "categories": categories,
            "selected_skill_ids": form.selected_skill_ids,
            "ignored": form.ignored() if form.is_bound else [],
            "filtered": any(value for key, value in request.GET.items() if key not in ("page", "sort")),
        },
    )


# Inviting freelancers ------------------------------------------------------------------------


def _invitable_projects(user):
    return selectors.client_projects(user).filter(status__in=[Project.Status.DRAFT, Project.Status.OPEN])


@login_required
def freelancer_search(request):
    refused = _client_only(request)
    if refused:
        return refused
    categories = list(skill_categories_with_skills())
    form = FreelancerSearchForm(request.GET or None, categories=categories)
    if form.is_bound:
        form.is_valid()
    page = Paginator(selectors.freelancer_search(**form.search_kwargs()), RESULTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    invitable = list(_invitable_projects(request.user))
    project_id = request.GET.get("project", "")
    project = next((p for p in invitable if str(p.pk) == project_id), None)
    invited_ids = set(project.invitations.values_list("freelancer_id", flat=True)) if project else set()
    return render(
        request,
        "marketplace/freelancer_search.html",
        {
            "form": form,
            "page": page,
            "categories": categories,
            "selected_skill_ids": form.selected_skill_ids,
            "invitable": invitable,
            "project": project,
            "invited_ids": invited_ids,
        },
    )


@login_required
@require_POST
def project_invite(request, pk: int):
    project = get_object_or_404(_invitable_projects(request.user), pk=pk)
    return _send_invitation(request, project, fallback=f"{reverse('freelancer_search')}?project={project.pk}")


@login_required
@require_POST
def freelancer_invite(request, freelancer_pk: int):
    """From a freelancer's public profile: the client picks one of their draft or open projects."""
    fallback = reverse("freelancer_public", args=[freelancer_pk])
    project_id = request.POST.get("project", "")
    project = _invitable_projects(request.user).filter(pk=project_id).first() if project_id.isdigit() else None
    if project is None:
        messages.error(request, "Choose one of your open or draft projects to invite them to.")
        return redirect(fallback)
    return _send_invitation(request, project, fallback=fallback)


def _send_invitation(request, project: Project, *, fallback: str):
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = fallback
    form = InvitationSendForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The invitation was not sent: a message can be at most 2,000 characters.")
        return redirect(back)
    profile = public_freelancer_profiles().filter(user_id=form.cleaned_data["freelancer"]).first()
    if profile is None:
        raise Http404
    try:
        services.invitation_send(
            project=project, by=request.user, freelancer=profile.user, message=form.cleaned_data["message"]
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        when = " They will be told when you publish it." if project.status == Project.Status.DRAFT else ""
        messages.success(request, f"{profile.user.display_name} is invited to “{project.title}”.{when}")
    return redirect(back)


# The freelancer's invitations ----------------------------------------------------------------


# A list shows the newest rows only, whatever a person's history.
LIST_LIMIT = 100


@login_required
def invitation_list(request):
    invitations = list(selectors.invitations_for_freelancer(request.user)[: LIST_LIMIT + 1])
    truncated = len(invitations) > LIST_LIMIT
    invitations = invitations[:LIST_LIMIT]
    now = timezone.now()
    for invitation in invitations:
        invitation.accepting = invitation.project.accepts_proposals_at(now)
    return render(
        request,
        "marketplace/invitation_list.html",
        {
            "pending": [i for i in invitations if i.status == Invitation.Status.PENDING],
            "answered": [i for i in invitations if i.status != Invitation.Status.PENDING],
            "truncated": truncated,
            "shown_limit": LIST_LIMIT,
        },
    )


@login_required
@require_POST
def invitation_accept(request, pk: int):
    invitation = get_object_or_404(selectors.invitations_for_freelancer(request.user), pk=pk)
    try:
        services.invitation_accept(invitation=invitation, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("invitation_list")
    messages.success(request, f"Invitation accepted. Now send your proposal for “{invitation.project.title}”.")
    return redirect(reverse("proposal_create", args=[invitation.project_id]))


@login_required
@require_POST
def invitation_decline(request, pk: int):
    invitation = get_object_or_404(selectors.invitations_for_freelancer(request.user), pk=pk)
    form = InvitationDeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Keep the reason under 300 characters. The invitation is still open.")
        return redirect("invitation_list")
    try:
        services.invitation_decline(invitation=invitation, by=request.user, reason=form.cleaned_data["reason"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"You declined the invitation to “{invitation.project.title}”. The client is told.")
    return redirect("invitation_list")
