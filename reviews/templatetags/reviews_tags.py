"""Reviews on other apps' pages, without those apps importing reviews:
{% load reviews_tags %}
{% contract_reviews contract user %}   the reviews part of an ended contract's page
{% reviews_of person heading %}        a public profile's published reviews, with replies
{% freelancer_reputation person %}      the freelancer's track record with its rating bars
{% reputation_of person "client" as r %} a person's figures in a role, for a template's own layout
{% job_success_breakdown user %}        what each of the freelancer's contracts did to their job success
"""

from __future__ import annotations

from django import template
from django.utils import timezone

from reviews.figures import MIN_BASIS
from reviews.forms import ReplyForm
from reviews.models import Review
from reviews.reputation import reputation
from reviews.services import money_was_paid, review_window_closes

register = template.Library()


@register.inclusion_tag("reviews/_contract_reviews.html")
def contract_reviews(contract, user) -> dict:
    if contract.is_active or user.pk not in (contract.client_id, contract.freelancer_id):
        return {"show": False}
    reviews = {review.author_id: review for review in Review.objects.filter(contract=contract).select_related("author")}
    mine, theirs = reviews.get(user.pk), None
    other_id = contract.freelancer_id if user.pk == contract.client_id else contract.client_id
    if other_id in reviews and reviews[other_id].is_published:
        theirs = reviews[other_id]
    closes = review_window_closes(contract)
    return {
        "show": True,
        "contract": contract,
        "paid": money_was_paid(contract),
        "mine": mine,
        "theirs": theirs,
        "they_wrote": other_id in reviews,
        "open": closes is not None and timezone.now() <= closes,
        "closes": closes,
    }


@register.inclusion_tag("reviews/_reviews_of.html", takes_context=True)
def reviews_of(context, person, heading: str) -> dict:
    # Hidden ones stay in their place with the moderator's reason, and are counted as hidden.
    reviews = list(
        Review.objects.filter(subject=person, published_at__isnull=False).select_related("author", "reply")[:50]
    )
    viewer = context.get("user")
    return {
        "person": person,
        "heading": heading,
        "reviews": reviews,
        "hidden_count": sum(review.hidden_at is not None for review in reviews),
        "viewer": viewer,
        "reply_form": ReplyForm(),
        "path": context["request"].get_full_path() if context.get("request") else "",
    }


@register.simple_tag
def reputation_of(person, role: str) -> dict:
    return {**reputation(person.pk, role), "min_basis": MIN_BASIS}


@register.inclusion_tag("reviews/_freelancer_reputation.html")
def freelancer_reputation(person) -> dict:
    return {"figures": reputation_of(person, "freelancer")}


@register.inclusion_tag("reviews/_job_success_breakdown.html")
def job_success_breakdown(user) -> dict:
    return {"figures": reputation_of(user, "freelancer")}
