"""Reviews on other apps' pages, without those apps importing reviews:
{% load reviews_tags %}
{% contract_reviews contract user %}   the reviews part of an ended contract's page
{% reviews_of person heading %}        a public profile's published reviews, with replies
"""

from __future__ import annotations

from django import template
from django.utils import timezone

from reviews.forms import ReplyForm
from reviews.models import Review
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
