"""Which reviews a person may read: published and not hidden for everyone; their own, published
or not, for their author (never the other party's before publication: double-blind)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from contracts.models import Contract
from reviews.models import Review


def contracts_of(user) -> QuerySet[Contract]:
    """The person's own contracts, as contracts.selectors.contracts_for_user scopes them (that
    module brings the ledger in; reviews reads money through contracts' models alone)."""
    return Contract.objects.filter(Q(client=user) | Q(freelancer=user)).select_related("client", "freelancer")


def reviews_visible_to(user) -> QuerySet[Review]:
    public = Q(published_at__isnull=False, hidden_at__isnull=True)
    if getattr(user, "is_authenticated", False):
        public |= Q(author=user)
    return Review.objects.filter(public).select_related("author", "subject")


def published_reviews_of(user) -> QuerySet[Review]:
    return Review.objects.filter(subject=user, published_at__isnull=False, hidden_at__isnull=True).select_related(
        "author", "contract"
    )


def client_review_figures(client_ids: list[int]) -> dict[int, dict]:
    """For the market's trust panel: how many published, visible reviews freelancers wrote of each
    client (one query for any number of clients)."""
    from django.db.models import Count

    counts = dict(
        Review.objects.filter(
            subject_id__in=client_ids,
            direction=Review.Direction.OF_CLIENT,
            published_at__isnull=False,
            hidden_at__isnull=True,
        )
        .values("subject_id")
        .annotate(n=Count("pk"))
        .values_list("subject_id", "n")
    )
    return {client_id: {"review_count": counts.get(client_id, 0)} for client_id in client_ids}


def relationship(user, other_id: int) -> dict | None:
    """Everything between the viewer and one other person, for the two of them alone: their
    contracts either way round, the money released on them, and the reviews the viewer may read
    (double-blind still holds). None when they never had a contract together."""
    from django.db.models import Sum

    between = Q(client=user, freelancer_id=other_id) | Q(client_id=other_id, freelancer=user)
    contracts = list(
        Contract.objects.filter(between)
        .select_related("client", "freelancer")
        .annotate(billed=Sum("milestones__released_cents"))
    )
    if not contracts or other_id == user.pk:
        return None
    first = contracts[0]
    other = first.client if first.client_id == other_id else first.freelancer
    reviews = {}
    # What the viewer may read (double-blind holds), and in its place any review a moderator hid,
    # which the page shows with the reason rather than leaving out.
    readable = reviews_visible_to(user).values("pk")
    shown = Review.objects.filter(Q(pk__in=readable) | Q(published_at__isnull=False, hidden_at__isnull=False))
    for review in shown.filter(contract__in=contracts).select_related("author", "reply").order_by("pk"):
        reviews.setdefault(review.contract_id, []).append(review)
    for contract in contracts:
        contract.billed = contract.billed or 0
        contract.reviews_shown = reviews.get(contract.pk, [])
    return {
        "other": other,
        "contracts": contracts,
        "total_billed": sum(contract.billed for contract in contracts),
        "currencies": sorted({contract.currency for contract in contracts}),
        "started": min(contract.started_at for contract in contracts),
    }
