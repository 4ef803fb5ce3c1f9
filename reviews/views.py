"""Review pages: writing a review of an ended contract, and replying to one. Each POST calls one
service; a refusal is shown on the form and saves nothing."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import DomainError
from core.forms import add_service_error
from reviews import figures
from reviews.forms import ReplyForm, ReviewForm
from reviews.models import Review
from reviews.selectors import contracts_of, relationship, reviews_visible_to
from reviews.services import review_closed_because, review_reply, review_submit, review_window_closes


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def review_write(request, pk: int):
    contract = get_object_or_404(contracts_of(request.user), pk=pk)  # anyone else's is a 404
    as_client = request.user.pk == contract.client_id
    direction = Review.Direction.OF_FREELANCER if as_client else Review.Direction.OF_CLIENT
    mine = Review.objects.filter(contract=contract, author=request.user).first()
    if mine is not None:
        messages.info(request, "You already reviewed this contract.")
        return redirect(contract.get_absolute_url() + "#reviews")
    closed = review_closed_because(contract)
    if closed:  # no form to fill in that could only be refused
        messages.error(request, closed)
        return redirect(contract.get_absolute_url())
    form = ReviewForm(request.POST or None, direction=direction)
    if request.method == "POST" and form.is_valid():
        try:
            review = review_submit(
                contract=contract,
                by=request.user,
                overall=form.cleaned_data["overall"],
                aspects=form.aspects(),
                comment=form.cleaned_data["comment"],
                private_feedback=form.cleaned_data["private_feedback"],
                would_work_again=form.cleaned_data["would_work_again"],
            )
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            if review.published_at:  # theirs was in: both are public now
                messages.success(request, "Thank you. Both reviews are published now: theirs is below.")
            else:
                messages.success(
                    request, "Thank you. Your review is published with theirs, or when the review time ends."
                )
            return redirect(contract.get_absolute_url() + "#reviews")
    context = {
        "contract": contract,
        "form": form,
        "other": contract.freelancer if as_client else contract.client,
        "closes": review_window_closes(contract),
    }
    return render(request, "reviews/review_form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def review_reply_view(request, pk: int):
    review = get_object_or_404(reviews_visible_to(request.user), pk=pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            review_reply(review=review, by=request.user, body=form.cleaned_data["body"])
        except (DomainError, ValidationError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, "Reply published.")
    else:
        messages.error(request, "Write your reply.")
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return redirect(back if back and safe else "dashboard")


@login_required
@require_http_methods(["GET", "HEAD"])
def relationship_view(request, pk: int):
    """The viewer's history with one person: only the two of them see it; anyone else gets a 404."""
    history = relationship(request.user, pk)
    if history is None:
        raise Http404("No contract between you and this person.")
    return render(request, "reviews/relationship.html", history)


@require_http_methods(["GET", "HEAD"])
def trust(request):
    """How every figure on a profile and a trust panel is worked out, in words and numbers."""
    return render(
        request,
        "reviews/trust.html",
        {
            "min_basis": figures.MIN_BASIS,
            "review_window_days": settings.REVIEW_WINDOW_DAYS,
            "months": figures.JOB_SUCCESS_MONTHS,
            "answer_days": figures.ANSWER_DAYS,
            "replaced_days": figures.REPLACED_WITHIN_DAYS,
            "bands": [label for _, label in reversed(figures.EARNED_BANDS)],
        },
    )
