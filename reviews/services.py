"""Every write to reviews: submitting one (double-blind), publishing both when the second arrives
or the window closes, and the subject's one reply."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract
from core.exceptions import DomainError, InvalidTransition, NotAllowed
from core.moments import moment_for
from marketplace.selectors import client_trust_forget
from notifications.models import Notification
from notifications.services import notify
from reviews.models import Review, ReviewReply
from reviews.reputation import reputation_stale

COMMENT_MAX = 2000


def review_window_closes(contract: Contract):
    return contract.ended_at + timedelta(days=settings.REVIEW_WINDOW_DAYS) if contract.ended_at else None


def money_was_paid(contract: Contract) -> bool:
    return bool(contract.milestones.aggregate(paid=Sum("released_cents"))["paid"])


def _stars(value, *, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationError({field: ["Give 1 to 5 stars."]})
    return value


def _text(value, *, field: str, required: bool) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationError({field: ["Write a few words others can read."]})
    if len(text) > COMMENT_MAX:
        raise ValidationError({field: [f"Keep it under {COMMENT_MAX:,} characters."]})
    return text


@transaction.atomic
def review_submit(
    *,
    contract: Contract,
    by,
    overall: int,
    aspects: dict,
    comment: str,
    private_feedback: str = "",
    would_work_again: bool | None = None,
    now=None,
) -> Review:
    """A party reviews the other once the contract has ended with money paid, within the window.
    Nobody reads it — the other party included — until both have reviewed or the window closes."""
    now = now or timezone.now()
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if by.pk not in (contract.client_id, contract.freelancer_id):
        raise NotAllowed("Only the client and the freelancer of a contract review it.")
    problem = review_closed_because(contract, now=now)
    if problem:
        raise InvalidTransition(problem)
    as_client = by.pk == contract.client_id
    direction = Review.Direction.OF_FREELANCER if as_client else Review.Direction.OF_CLIENT
    names = Review.ASPECTS[direction]
    unknown = set(aspects) - set(names)
    if unknown:
        raise ValidationError({name: ["Not rated in this direction."] for name in sorted(unknown)})
    ratings = {name: _stars(aspects.get(name), field=name) for name in names}
    if would_work_again is not None and not isinstance(would_work_again, bool):
        raise ValidationError({"would_work_again": ["Answer yes, no, or leave it out."]})
    try:
        with transaction.atomic():
            review = Review.objects.create(
                contract=contract,
                author=by,
                subject=contract.freelancer if as_client else contract.client,
                direction=direction,
                overall=_stars(overall, field="overall"),
                comment=_text(comment, field="comment", required=True),
                private_feedback=_text(private_feedback, field="private_feedback", required=False),
                would_work_again=would_work_again,
                submitted_at=now,
                **ratings,
            )
    except IntegrityError:
        raise InvalidTransition("You already reviewed this contract; a review cannot be changed.") from None
    other = Review.objects.filter(contract=contract).exclude(pk=review.pk).first()
    if other is not None:
        _publish(contract, now=now)
        review.refresh_from_db()
    else:
        notify(
            recipient=review.subject,
            kind="review.waiting",
            title=f"{by.display_name} reviewed your work together on “{contract.title}”",
            body="Write your review of them to read theirs: both are published together, or when the "
            f"{settings.REVIEW_WINDOW_DAYS} days are over.",
            url=contract.get_absolute_url(),
        )
    return review


def _publish(contract: Contract, *, now) -> int:
    published = Review.objects.filter(contract=contract, published_at__isnull=True).update(published_at=now)
    if published:
        client_trust_forget(contract.client_id)  # the trust panel counts reviews from freelancers
        reputation_stale(contract.client_id, contract.freelancer_id)
        for review in Review.objects.filter(contract=contract).select_related("author"):
            notify(
                recipient=review.subject,
                kind="review.published",
                title=f"{review.author.display_name}'s review of you is public",
                url=contract.get_absolute_url(),
            )
    return published


def reviews_publish_due(*, now=None) -> int:
    """The window closed: what was written is published, even when only one side reviewed. Each once."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.REVIEW_WINDOW_DAYS)
    contracts = Contract.objects.filter(ended_at__lte=cutoff, reviews__published_at__isnull=True).distinct()
    done = 0
    for contract in contracts:
        with transaction.atomic():
            Contract.objects.select_for_update().get(pk=contract.pk)
            done += _publish(contract, now=now)
    return done


REMIND_DAYS_BEFORE_CLOSE = 3


def reviews_remind_due(*, now=None) -> int:
    """In the last days of a review window, each party of a contract with money paid who has not
    reviewed yet is reminded, once (the reminder itself is the record). Returns how many were sent."""
    now = now or timezone.now()
    window = timedelta(days=settings.REVIEW_WINDOW_DAYS)
    due = Contract.objects.filter(
        ended_at__gt=now - window,
        ended_at__lte=now - window + timedelta(days=REMIND_DAYS_BEFORE_CLOSE),
        milestones__released_cents__gt=0,
    ).distinct()
    sent = 0
    for contract in due.select_related("client", "freelancer"):
        url = reverse("review_write", args=[contract.pk])
        with transaction.atomic():
            Contract.objects.select_for_update().get(pk=contract.pk)  # one run at a time per contract
            written = set(Review.objects.filter(contract=contract).values_list("author_id", flat=True))
            for person, other in ((contract.client, contract.freelancer), (contract.freelancer, contract.client)):
                if person.pk in written or not person.is_active:
                    continue
                if Notification.objects.filter(recipient=person, kind="review.reminder", url=url).exists():
                    continue
                notify(
                    recipient=person,
                    kind="review.reminder",
                    title=f"Review {other.display_name} by {moment_for(person, review_window_closes(contract))}",
                    body=f"Your review of “{contract.title}” closes then. Neither of you reads the other's review "
                    "before writing your own; after that day, whatever was written is published.",
                    url=url,
                )
                sent += 1
    return sent


def review_closed_because(contract: Contract, *, now=None) -> str:
    """Why the contract takes no review now ("" when it does): it still runs, nothing was paid on
    it, or its review window is over. The pages ask before showing the form."""
    if contract.is_active or contract.ended_at is None:
        return "Reviews open when the contract ends."
    if not money_was_paid(contract):
        return "A contract with no money paid has no reviews."
    if (now or timezone.now()) > review_window_closes(contract):
        return f"The {settings.REVIEW_WINDOW_DAYS} days to review this contract are over."
    return ""


@transaction.atomic
def review_reply(*, review: Review, by, body: str, now=None) -> ReviewReply:
    """The subject answers a published review once, in public, within REVIEW_REPLY_DAYS."""
    now = now or timezone.now()
    review = Review.objects.select_for_update().get(pk=review.pk)
    if by.pk != review.subject_id:
        raise NotAllowed("Only the person reviewed replies to a review.")
    if review.published_at is None:
        raise InvalidTransition("You can reply once the review is published.")
    if now > review.published_at + timedelta(days=settings.REVIEW_REPLY_DAYS):
        raise InvalidTransition(f"The {settings.REVIEW_REPLY_DAYS} days to reply are over.")
    if ReviewReply.objects.filter(review=review).exists():
        raise InvalidTransition("You already replied to this review.")
    body = _text(body, field="body", required=True)
    try:
        with transaction.atomic():
            return ReviewReply.objects.create(review=review, author=by, body=body, created_at=now)
    except IntegrityError:  # a reply sent at the same moment by another request
        raise InvalidTransition("You already replied to this review.") from None


@transaction.atomic
def review_hide(*, review: Review, by, reason: str) -> Review:
    """A moderator hides a published review (reported): the reason shows in its place, it leaves
    the figures, and the profile counts it as hidden."""
    from accounts.moderation import audit, can_moderate, moderator_text

    if not can_moderate(by):
        raise NotAllowed("Only moderators hide reviews.")
    reason = moderator_text(reason, field="reason", missing="Give the reason: it shows in the review's place.")
    updated = Review.objects.filter(pk=review.pk, hidden_at__isnull=True).update(
        hidden_at=timezone.now(), hidden_reason=reason
    )
    if not updated:
        raise DomainError("This review is already hidden.")
    review.refresh_from_db()
    client_trust_forget(review.subject_id)
    reputation_stale(review.subject_id)
    audit(actor=by, verb="hid", target=f"review:{review.pk}", label=review.comment[:200], reason=reason)
    notify(
        recipient=review.author,
        kind="moderation.hidden",
        title="A moderator hid one of your reviews",
        body=f"Reason: {reason}",
        url=review.contract.get_absolute_url(),
    )
    notify(
        recipient=review.subject,
        kind="moderation.hidden",
        title="A moderator hid a review of you",
        body=f"Reason: {reason}. It no longer counts in your figures; your profile says a review was hidden.",
        url=review.contract.get_absolute_url(),
    )
    return review


def review_report_target(pk: int, viewer):
    """A review as a report names it: a published one (anyone signed in may report it)."""
    from accounts.reports import ReportTarget

    review = Review.objects.filter(pk=pk, published_at__isnull=False, hidden_at__isnull=True).select_related(
        "author", "subject"
    )
    review = review.first()
    if review is None:
        return None
    excerpt = " ".join(review.comment.split())[:80]
    return ReportTarget(
        label=f"{review.author.display_name}'s review of {review.subject.display_name}: “{excerpt}”",
        author_id=review.author_id,
    )
