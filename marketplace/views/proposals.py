"""Proposal pages: propose on a project, read a proposal, act on it, and list proposals."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.exceptions import DomainError, RateLimited
from core.files import attachment_response
from core.forms import add_service_error
from marketplace import hiring, selectors, services
from marketplace.models import Interview, Project, Proposal
from marketplace.proposal_forms import SERVICE_FIELDS, DeclineForm, ProposalForm, proposal_milestone_formset
from marketplace.services.downloads import proposal_attachment_download
from marketplace.topics import PROPOSAL_TOPIC
from messaging.selectors import topic_conversation
from messaging.services import conversation_shown

STATUS_FILTERS = {
    "all": ("All", ()),
    "new": ("New", (Proposal.Status.SUBMITTED,)),
    "shortlisted": ("Shortlisted", (Proposal.Status.SHORTLISTED,)),
    "declined": ("Declined", (Proposal.Status.DECLINED,)),
}
# The order in which a freelancer sees their proposals: what may still move first.
FREELANCER_GROUPS = (
    (Proposal.Status.OFFERED, "Offer sent to you: answer it"),
    (Proposal.Status.SHORTLISTED, "Shortlisted"),
    (Proposal.Status.SUBMITTED, "Sent, waiting for the client"),
    (Proposal.Status.HIRED, "Hired"),
    (Proposal.Status.DECLINED, "Declined"),
    (Proposal.Status.WITHDRAWN, "Withdrawn"),
)


def _posted(request):
    """Bind forms on every POST, even an empty one, so missing fields show their errors."""
    return request.POST if request.method == "POST" else None


def _files(request):
    return request.FILES if request.method == "POST" else None


@dataclass(frozen=True)
class StatusGuide:
    meaning: str
    next_step: str


def status_guide(proposal: Proposal, *, as_client: bool) -> StatusGuide:
    """What the status means and what the person looking can do next."""
    status = proposal.status
    freelancer = proposal.freelancer.display_name
    project_open = proposal.project.is_open
    if as_client:
        guides = {
            Proposal.Status.SUBMITTED: (
                "New: you have not acted on this proposal yet.",
                "Shortlist it, invite the freelancer to an interview, hire, or decline.",
            ),
            Proposal.Status.SHORTLISTED: (
                f"Shortlisted: {freelancer} knows they are on your shortlist.",
                "Interview them, ask questions in the messages below, then hire or decline.",
            ),
            Proposal.Status.HIRED: (
                f"Hired: {freelancer} accepted your offer. The project is filled.",
                "The contract has started: fund the first milestone from the contract page.",
            ),
            Proposal.Status.OFFERED: (
                f"Offer sent: you chose {freelancer} and sent them an offer with these terms.",
                "The contract starts once they accept it. If they decline or it expires, "
                "this proposal goes back to your shortlist.",
            ),
            Proposal.Status.DECLINED: (f"Declined: {freelancer} was told.", "Nothing more to do here."),
            Proposal.Status.WITHDRAWN: (
                f"Withdrawn: {freelancer} took this proposal back.",
                "Nothing more to do here.",
            ),
        }
    else:
        guides = {
            Proposal.Status.SUBMITTED: (
                "Sent: the client can read your proposal.",
                "Wait for the client's answer. You can edit or withdraw it until you are hired.",
            ),
            Proposal.Status.SHORTLISTED: (
                "Shortlisted: the client is considering you seriously.",
                "Answer messages quickly; the client may invite you to an interview.",
            ),
            Proposal.Status.HIRED: (
                "Hired: you accepted the client's offer.",
                "The contract has started; work begins once the client funds the first milestone.",
            ),
            Proposal.Status.OFFERED: (
                "Offer received: the client chose your proposal.",
                "Read the offer with these terms and accept it to start, or decline it.",
            ),
            Proposal.Status.DECLINED: ("Declined: the client chose not to go ahead.", "Nothing more to do here."),
            Proposal.Status.WITHDRAWN: (
                "Withdrawn: you took this proposal back.",
                "A project takes one proposal per freelancer, so you cannot send another for this project.",
            ),
        }
    meaning, next_step = guides[status]
    if status in Proposal.EDITABLE and not project_open:
        next_step = "The project is no longer open, so nothing more can happen on this proposal."
    return StatusGuide(meaning=meaning, next_step=next_step)


def _test_caps() -> dict:
    return {"test_cap": settings.TEST_PROJECT_MAX_CENTS, "test_days": settings.TEST_PROJECT_MAX_DAYS}


# Reasons a person can put right; any other reason is not a matter of "yet".
_NOT_YET = ("role", "profile", "nda")


def _blocked_reason(project: Project, user) -> tuple[str, str, str, str] | None:
    """Why this person cannot propose here (a heading and the reason), with where to go instead;
    None when they can try.

    The same check the service makes on submit; here it spares people a form they cannot send."""
    blocked = selectors.proposal_blocked_reason(project, user)
    if blocked is None:
        return None
    where_to = {
        "role": (reverse("onboarding"), "Choose what you do"),
        "profile": (reverse("profile_freelancer_edit"), "Complete your profile"),
        "nda": (project.get_absolute_url(), "Read the project"),
        "suspended": (reverse("earnings"), "Your earnings"),
    }
    if blocked.kind == "suspended":
        heading = "Your account is suspended"
    elif blocked.kind in _NOT_YET:
        heading = "You can't propose on this project yet"
    else:
        heading = "You can't propose on this project"
    return (heading, blocked.message, *where_to.get(blocked.kind, ("", "")))


def _proposal_form_page(request, *, project: Project, proposal: Proposal | None):
    user = request.user
    form = ProposalForm(_posted(request), _files(request), project=project, proposal=proposal)
    formset = proposal_milestone_formset(_posted(request), project=project, proposal=proposal)
    milestone_errors: list[str] = []
    status = 200
    if request.method == "POST":
        form_ok = form.is_valid()
        formset_ok = formset.is_valid()
        if not (form_ok and formset_ok):
            # The service's rules (a paid test's caps, milestones adding up) on what did read, so
            # every error shows in this one answer, each on its field.
            milestones = formset.milestones() if formset_ok else None
            try:
                services.proposal_terms_check(project=project, milestones=milestones, **form.read_terms())
            except ValidationError as error:
                form.add_service_errors(error, milestone_errors=milestone_errors)
        else:
            kwargs = form.service_kwargs(formset.milestones())
            try:
                if proposal is None:
                    saved = services.proposal_submit(project=project, freelancer=user, **kwargs)
                else:
                    saved = services.proposal_update(proposal=proposal, by=user, **kwargs)
            except ValidationError as error:
                form.add_service_errors(error, milestone_errors=milestone_errors)
            except RateLimited as error:
                messages.error(request, error.message)
                form.add_error(None, error.message)
                status = 429
            except DomainError as error:
                add_service_error(form, error, field_map=SERVICE_FIELDS)
            else:
                if proposal is None:
                    messages.success(request, "Your proposal is sent. The client has been told.")
                else:
                    messages.success(request, "Your proposal is updated. The client has been told.")
                return redirect(saved)
    has_errors = bool(form.errors or milestone_errors or any(formset.errors) or formset.non_form_errors())
    context = {
        "project": project,
        "proposal": proposal,
        "form": form,
        "formset": formset,
        "milestone_errors": milestone_errors,
        "has_errors": has_errors,
        "files_lost": has_errors and bool(request.FILES),
        "blocked": None if request.method == "POST" or proposal else _blocked_reason(project, user),
        "max_rows": 1 if project.is_test else settings.PROPOSAL_MAX_MILESTONES,
        **_test_caps(),
    }
    return render(request, "marketplace/proposal_form.html", context, status=status)


def _already_proposed(proposal: Proposal) -> str:
    """Why the form for a new proposal sends this freelancer to the one they already have."""
    status = proposal.status
    if status == Proposal.Status.WITHDRAWN:
        return "You withdrew your proposal for this project, so you cannot send another."
    if status == Proposal.Status.DECLINED:
        return "The client declined your proposal for this project, so you cannot send another."
    if status == Proposal.Status.OFFERED:
        return "The client sent you an offer on your proposal for this project; answer it from here."
    if status == Proposal.Status.HIRED:
        return "The client chose your proposal for this project, so there is nothing more to send."
    if not proposal.project.is_open:
        return "You already sent a proposal for this project, and it is no longer open."
    return "You already sent a proposal for this project. Edit it here instead."


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def proposal_create(request, project_id: int):
    user = request.user
    project = get_object_or_404(
        selectors.projects_visible_to(user).select_related("client").prefetch_related("questions"), pk=project_id
    )
    if project.client_id == user.pk:
        messages.info(request, "This is your project, so you cannot propose on it. Its proposals are listed here.")
        return redirect("project_proposals", project_id=project.pk)
    existing = Proposal.objects.filter(project=project, freelancer=user).first()
    if existing is not None and (request.method != "POST" or not existing.is_editable):
        messages.info(request, _already_proposed(existing))
        return redirect(existing)
    return _proposal_form_page(request, project=project, proposal=None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def proposal_edit(request, pk: int):
    proposal = get_object_or_404(
        selectors.proposals_for_user(request.user)
        .filter(freelancer=request.user)
        .prefetch_related("milestones", "answers", "project__questions"),
        pk=pk,
    )
    if not proposal.is_editable or not proposal.project.is_open:
        messages.error(request, "This proposal can no longer be edited.")
        return redirect(proposal)
    return _proposal_form_page(request, project=proposal.project, proposal=proposal)


def _detail_context(request, proposal: Proposal, *, decline_form: DeclineForm | None = None) -> dict:
    user = request.user
    project = proposal.project
    as_client = project.client_id == user.pk
    is_author = proposal.freelancer_id == user.pk
    milestones, attachments = selectors.proposal_contents(proposal)
    interviews = list(selectors.proposal_interviews(proposal, user=user))
    has_active_interview = any(interview.status != Interview.Status.CANCELLED for interview in interviews)
    offer = hiring.offer_for_proposal(proposal.pk)
    live = proposal.status in Proposal.EDITABLE and project.is_open
    return {
        "proposal": proposal,
        "project": project,
        "as_client": as_client,
        "is_author": is_author,
        "other_person": proposal.freelancer if as_client else project.client,
        "guide": status_guide(proposal, as_client=as_client),
        "milestones": milestones,
        "milestones_total": sum(m.amount_cents for m in milestones),
        "questions_and_answers": selectors.proposal_answers(proposal),
        "attachments": attachments,
        "interviews": interviews,
        "conversation": topic_conversation(topic_type=PROPOSAL_TOPIC, topic_id=proposal.pk, user=user),
        "offer": offer,
        "live": live,
        "can_shortlist": as_client and live and proposal.can_move_to(Proposal.Status.SHORTLISTED),
        "can_decline": as_client and live and proposal.can_move_to(Proposal.Status.DECLINED),
        "can_hire": as_client and live and proposal.can_move_to(Proposal.Status.OFFERED),
        "can_interview": as_client and live and not has_active_interview,
        "can_edit": is_author and live,
        "can_withdraw": is_author and proposal.can_move_to(Proposal.Status.WITHDRAWN),
        "decline_form": decline_form or DeclineForm(),
    }


def _party_proposal(request, pk: int) -> Proposal:
    return get_object_or_404(selectors.proposals_for_user(request.user), pk=pk)


@login_required
@require_safe
def proposal_detail(request, pk: int):
    proposal = _party_proposal(request, pk)
    context = _detail_context(request, proposal)
    if request.method == "GET":  # the page shows the conversation's latest messages: read, as in the inbox
        conversation_shown(conversation=context["conversation"], user=request.user)
    return render(request, "marketplace/proposal_detail.html", context)


@login_required
@require_safe
def proposal_attachment(request, pk: int, attachment_pk: int):
    attachment = proposal_attachment_download(user=request.user, proposal_pk=pk, attachment_pk=attachment_pk)
    return attachment_response(attachment)


@login_required
@require_POST
def proposal_shortlist(request, pk: int):
    proposal = _party_proposal(request, pk)
    try:
        services.proposal_shortlist(proposal=proposal, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{proposal.freelancer.display_name} is on your shortlist and has been told.")
    return redirect(proposal)


@login_required
@require_POST
def proposal_decline(request, pk: int):
    proposal = _party_proposal(request, pk)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, proposal, decline_form=form)
        return render(request, "marketplace/proposal_detail.html", context, status=400)
    try:
        services.proposal_decline(proposal=proposal, by=request.user, reason=form.cleaned_data["reason"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Declined. {proposal.freelancer.display_name} has been told.")
    return redirect(proposal)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def proposal_hire(request, pk: int):
    proposal = _party_proposal(request, pk)
    project = proposal.project
    if project.client_id != request.user.pk:
        raise Http404
    if request.method == "POST":
        try:
            services.proposal_hire(proposal=proposal, by=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                f"Offer sent to {proposal.freelancer.display_name}. The contract starts when they accept it; "
                "until then the project stays open.",
            )
        return redirect(proposal)
    if not (project.is_open and proposal.can_move_to(Proposal.Status.OFFERED)):
        messages.error(request, f"This proposal is {proposal.get_status_display().lower()} and cannot be hired.")
        return redirect(proposal)
    milestones = list(proposal.milestones.all())
    others = project.proposals.filter(status__in=Proposal.EDITABLE).exclude(pk=proposal.pk).count()
    context = {
        "proposal": proposal,
        "project": project,
        "milestones": milestones,
        "milestones_total": sum(m.amount_cents for m in milestones),
        "other_open_count": others,
        "offer_days": settings.OFFER_EXPIRY_DAYS,
    }
    return render(request, "marketplace/proposal_hire.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def proposal_withdraw(request, pk: int):
    proposal = get_object_or_404(selectors.proposals_for_user(request.user).filter(freelancer=request.user), pk=pk)
    if request.method == "POST":
        try:
            services.proposal_withdraw(proposal=proposal, by=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Your proposal is withdrawn. The client has been told.")
        return redirect(proposal)
    if not proposal.can_move_to(Proposal.Status.WITHDRAWN):
        messages.error(request, f"This proposal is {proposal.get_status_display().lower()} and cannot be withdrawn.")
        return redirect(proposal)
    return render(request, "marketplace/proposal_withdraw.html", {"proposal": proposal, "project": proposal.project})


@login_required
@require_safe
def project_proposals(request, project_id: int):
    project = get_object_or_404(Project.objects.filter(client=request.user), pk=project_id)
    chosen = request.GET.get("status", "all")
    if chosen not in STATUS_FILTERS:
        chosen = "all"
    everything = selectors.proposals_for_project(project)
    counts = dict(everything.order_by().values_list("status").annotate(n=Count("pk")))
    statuses = STATUS_FILTERS[chosen][1]
    proposals = everything.filter(status__in=statuses) if statuses else everything
    filters = [
        {
            "key": key,
            "label": label,
            "count": sum(counts.values()) if not wanted else sum(counts.get(s, 0) for s in wanted),
            "current": key == chosen,
        }
        for key, (label, wanted) in STATUS_FILTERS.items()
    ]
    proposals = list(proposals)
    figures = selectors.freelancer_figures([p.freelancer_id for p in proposals])
    for proposal in proposals:
        proposal.figures = figures.get(proposal.freelancer_id, {})
    sort = request.GET.get("sort", "newest")
    if sort not in PROPOSAL_SORTS:
        sort = "newest"
    proposals = sort_proposals(proposals, sort)
    context = {
        "project": project,
        "proposals": proposals,
        "filters": filters,
        "chosen": chosen,
        "sort": sort,
        "sorts": [(key, label) for key, (label, _) in PROPOSAL_SORTS.items()],
    }
    return render(request, "marketplace/project_proposals.html", context)


def _figure(name: str, basis: str):
    """A sort key on one of the freelancer's figures, highest first: those with none, or based on
    too little to show as a score ("New"), come last."""

    def key(proposal):
        figures = proposal.figures
        value = figures.get(name)
        if value is None or figures.get(basis, 0) < figures.get("min_basis", 0):
            return (1, 0)
        return (0, -value)

    return key


def _rate(proposal):
    profile = getattr(proposal.freelancer, "freelancer_profile", None)
    return (0, profile.hourly_rate_cents) if profile and profile.hourly_rate_cents else (1, 0)


# The client's list of proposals sorts by what they weigh: (label, key), newest first by default.
PROPOSAL_SORTS = {
    "newest": ("Newest first", None),
    "job_success": ("Job success", _figure("job_success_percent", "job_success_basis")),
    "rating": ("Rating", _figure("rating_average", "rating_count")),
    "on_time": ("On-time delivery", _figure("on_time_percent", "on_time_basis")),
    "bid": ("Lowest bid", lambda p: (0, p.bid_cents)),
    "rate": ("Lowest hourly rate", _rate),
}


def sort_proposals(proposals: list, sort: str) -> list:
    key = PROPOSAL_SORTS[sort][1]
    return proposals if key is None else sorted(proposals, key=key)  # stable: newest first among equals


# A list shows the newest rows only, whatever a person's history.
LIST_LIMIT = 100


@login_required
@require_safe
def proposal_list(request):
    user = request.user
    proposals = list(
        selectors.proposals_for_user(user).filter(freelancer=user).order_by("-updated_at", "-pk")[: LIST_LIMIT + 1]
    )
    truncated = len(proposals) > LIST_LIMIT
    proposals = proposals[:LIST_LIMIT]
    groups = [
        {"status": status, "label": label, "proposals": [p for p in proposals if p.status == status]}
        for status, label in FREELANCER_GROUPS
    ]
    context = {
        "groups": [group for group in groups if group["proposals"]],
        "total": len(proposals),
        "truncated": truncated,
        "shown_limit": LIST_LIMIT,
    }
    return render(request, "marketplace/proposal_list.html", context)
