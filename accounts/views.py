from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import selectors, services, tokens
from accounts.forms import (
    ClientProfileForm,
    FreelancerProfileForm,
    PortfolioItemForm,
    ReportForm,
    RoleForm,
    SuspensionForm,
    UserDetailsForm,
)
from accounts.models import User
from accounts.moderation import moderation_log
from accounts.reports import report_create, report_target
from core.decorators import moderator_required
from core.exceptions import DomainError
from core.forms import add_service_error


def _posted(request):
    """Bind forms on every POST, even an empty one, so missing fields show their errors."""
    return request.POST if request.method == "POST" else None


def _files(request):
    return request.FILES if request.method == "POST" else None


def _files_lost(request) -> bool:
    """A form with files that is shown again after a POST failed: a browser cannot be given the
    chosen files back, so the page asks for them again."""
    return request.method == "POST" and bool(request.FILES)


@login_required
def onboarding(request):
    user = request.user
    form = RoleForm(_posted(request), initial={"is_client": user.is_client, "is_freelancer": user.is_freelancer})
    if request.method == "POST" and form.is_valid():
        user = services.user_set_roles(
            user=user, is_client=form.cleaned_data["is_client"], is_freelancer=form.cleaned_data["is_freelancer"]
        )
        messages.success(request, "Saved. Now tell people about yourself.")
        return redirect("profile_freelancer_edit" if user.is_freelancer else "profile_client_edit")
    return render(request, "accounts/onboarding.html", {"form": form})


def _profile_forms(request, form_class, profile, *, update, saved: str):
    """The person's details and one profile, edited on one page: both forms must pass before
    `update` runs. Returns both forms and whether the profile was saved."""
    details = UserDetailsForm(_posted(request), _files(request), instance=request.user)
    form = form_class(_posted(request), instance=profile)
    if request.method == "POST" and details.is_valid() and form.is_valid():
        try:
            update(user=request.user, user_details=details.service_kwargs(), **form.service_kwargs())
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, saved)
            return details, form, True
    return details, form, False


@login_required
def profile_freelancer_edit(request):
    user = request.user
    if not user.is_freelancer:
        messages.info(request, "Choose “I want to work” to set up a freelancer profile.")
        return redirect("onboarding")
    profile = selectors.freelancer_profile_of(user)
    details, form, saved = _profile_forms(
        request,
        FreelancerProfileForm,
        profile,
        update=services.freelancer_profile_update,
        saved="Your freelancer profile is saved.",
    )
    if saved:
        return redirect(profile.get_absolute_url())
    return render(
        request,
        "accounts/profile_freelancer_edit.html",
        {
            "details": details,
            "form": form,
            "profile": profile,
            "portfolio_items": list(profile.portfolio_items.all()) if profile.pk else [],
            "categories": selectors.skill_categories_with_skills(),
            "selected_skill_ids": {int(pk) for pk in form["skills"].value() or [] if str(pk).isdigit()},
            "files_lost": _files_lost(request),
        },
    )


@login_required
def profile_client_edit(request):
    user = request.user
    if not user.is_client:
        messages.info(request, "Choose “I want to hire” to set up a client profile.")
        return redirect("onboarding")
    profile = selectors.client_profile_of(user)
    details, form, saved = _profile_forms(
        request,
        ClientProfileForm,
        profile,
        update=services.client_profile_update,
        saved="Your client profile and pitch are saved.",
    )
    if saved:
        return redirect(profile.get_absolute_url())
    return render(
        request,
        "accounts/profile_client_edit.html",
        {"details": details, "form": form, "profile": profile, "files_lost": _files_lost(request)},
    )


@login_required
def portfolio_item_edit(request, pk: int | None = None):
    if not request.user.is_freelancer:
        return redirect("onboarding")
    item = get_object_or_404(selectors.portfolio_items_for_user(request.user), pk=pk) if pk else None
    form = PortfolioItemForm(_posted(request), _files(request), instance=item)
    if request.method == "POST" and form.is_valid():
        try:
            services.portfolio_item_save(user=request.user, item=item, **form.service_kwargs())
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Portfolio item saved.")
            return redirect("profile_freelancer_edit")
    return render(
        request, "accounts/portfolio_item_form.html", {"form": form, "item": item, "files_lost": _files_lost(request)}
    )


@login_required
@require_POST
def portfolio_item_delete(request, pk: int):
    item = get_object_or_404(selectors.portfolio_items_for_user(request.user), pk=pk)
    services.portfolio_item_delete(user=request.user, item=item)
    messages.success(request, f"“{item.title}” was removed from your portfolio.")
    return redirect("profile_freelancer_edit")


def freelancer_public(request, pk: int):
    profile = get_object_or_404(selectors.public_freelancer_profiles(), user_id=pk)
    return render(
        request,
        "accounts/freelancer_public.html",
        {"profile": profile, "person": profile.user, "is_owner": request.user.pk == profile.user_id},
    )


def client_public(request, pk: int):
    profile = get_object_or_404(selectors.public_client_profiles(), user_id=pk)
    return render(
        request,
        "accounts/client_public.html",
        {"profile": profile, "person": profile.user, "is_owner": request.user.pk == profile.user_id},
    )


@login_required
def account_settings(request):
    return render(
        request,
        "accounts/settings.html",
        {
            "api_tokens": list(tokens.active_tokens(request.user)),
            "api_token_lifetime_days": settings.API_TOKEN_LIFETIME.days,
        },
    )


@login_required
@require_POST
def api_token_revoke(request, pk: int):
    if not tokens.api_token_revoke(user=request.user, token_id=pk):
        raise Http404("No such token.")
    messages.success(request, "The token is revoked: scripts that use it can no longer call the API.")
    return redirect("account_settings")


@moderator_required
def moderation_members(request):
    query = request.GET.get("q", "").strip()
    members = User.objects.order_by("-date_joined")
    if query:
        members = members.filter(Q(email__icontains=query) | Q(full_name__icontains=query))
    page = Paginator(members, 25).get_page(request.GET.get("page"))
    return render(request, "accounts/moderation_members.html", {"page": page, "query": query})


@moderator_required
def moderation_member(request, pk: int):
    member = get_object_or_404(User, pk=pk)
    form = SuspensionForm(_posted(request))
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "unsuspend" and form.is_valid():
                services.user_unsuspend(user=member, by=request.user, reason=form.cleaned_data["reason"])
                messages.success(request, f"{member.email} can take part in the market again.")
                return redirect("moderation_member", pk=member.pk)
            if form.is_valid():
                services.user_suspend(user=member, by=request.user, reason=form.cleaned_data["reason"])
                messages.success(request, f"{member.email} is suspended.")
                return redirect("moderation_member", pk=member.pk)
        except DomainError as error:
            messages.error(request, error.message)
    log = list(moderation_log(target=f"user:{member.pk}")[:20])
    return render(request, "accounts/moderation_member.html", {"member": member, "form": form, "log": log})


@moderator_required
@require_safe
def moderation_log_page(request):
    """The audit log: every moderator action and private page read, newest first; nobody edits it."""
    page = Paginator(moderation_log(), 50).get_page(request.GET.get("page"))
    return render(request, "accounts/moderation_log.html", {"page": page})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def report_page(request):
    """Report a project, a message or a member (?target=project:12) to the moderators."""
    target = request.GET.get("target", "") if request.method != "POST" else request.POST.get("target", "")
    found = report_target(target, request.user)
    if found is None:
        raise Http404("Nothing to report there.")
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            report_create(
                reporter=request.user, target=target, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"]
            )
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Thank you. A moderator will look at it, and you will hear what was decided.")
            return redirect(found.url or "dashboard")
    status = 400 if form.errors else 200
    return render(request, "accounts/report.html", {"form": form, "target": target, "found": found}, status=status)
