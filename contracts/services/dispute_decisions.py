"""The staff's and the clock's part of a dispute: a moderator decides an escalated dispute with a
written rationale; each deadline's default is applied once by a periodic task."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.moderation import audit
from contracts.models import Dispute
from contracts.services.dispute_rules import (
    can_decide,
    check_cents,
    check_text,
    lock_dispute,
    move_dispute,
    resolve,
    tell,
    tell_staff,
)
from core.exceptions import InvalidTransition, NotAllowed
from core.templatetags.core_tags import money


@transaction.atomic
def dispute_decide(*, dispute: Dispute, by, freelancer_cents: int, rationale: str) -> Dispute:
    """A moderator decides an escalated dispute: release, refund or any split of what is held,
    with a written rationale both parties read. The money moves once."""
    if not can_decide(by):
        raise NotAllowed("Only staff with the moderation permission decide disputes.")
    dispute, milestone = lock_dispute(dispute)
    if dispute.status != Dispute.Status.ESCALATED:
        raise InvalidTransition(
            f"This dispute is {dispute.get_status_display().lower()}: staff decide disputes the two sides did not settle."
        )
    freelancer_cents = check_cents(freelancer_cents, held=dispute.held_cents, field="freelancer_cents")
    rationale = check_text(rationale, field="rationale")
    audit(
        actor=by,
        verb="decided_dispute",
        target=f"dispute:{dispute.pk}",
        label=f"“{milestone.title}” of “{dispute.contract.title}”",
        reason=f"{money(freelancer_cents)} to the freelancer of {money(dispute.held_cents)}. {rationale}",
    )
    return resolve(
        dispute, milestone, to=Dispute.Status.DECIDED, by=by, freelancer_cents=freelancer_cents, rationale=rationale
    )


def disputes_due(*, now=None) -> int:
    """The deadlines' defaults, each applied once (beat, every 15 minutes): no response in time →
    the filer's ask applies; responded but not settled in time → staff decide."""
    now = now or timezone.now()
    done = 0
    for pk in Dispute.objects.filter(status=Dispute.Status.OPEN, respond_by__lte=now).values_list("pk", flat=True):
        done += _apply_deadline(pk, now=now)
    for pk in Dispute.objects.filter(status=Dispute.Status.RESPONDED, settle_by__lte=now).values_list("pk", flat=True):
        done += _apply_deadline(pk, now=now)
    return done


@transaction.atomic
def _apply_deadline(pk: int, *, now) -> int:
    dispute = Dispute.objects.select_related("milestone", "contract").get(pk=pk)
    dispute, milestone = lock_dispute(dispute)
    if dispute.status == Dispute.Status.OPEN and dispute.respond_by and dispute.respond_by <= now:
        resolve(
            dispute, milestone, to=Dispute.Status.DEFAULTED, by=None, freelancer_cents=dispute.asked_freelancer_cents
        )
        return 1
    if dispute.status == Dispute.Status.RESPONDED and dispute.settle_by and dispute.settle_by <= now:
        dispute = move_dispute(
            dispute, to=Dispute.Status.ESCALATED, by=None, escalated_at=now, note="Not settled in time."
        )
        tell(
            dispute,
            [dispute.contract.client, dispute.contract.freelancer],
            title=f"The dispute on “{milestone.title}” goes to staff",
            body="It was not settled in time. A moderator reads both sides and decides; you can still settle meanwhile.",
        )
        tell_staff(
            dispute,
            title=f"Dispute to decide: “{milestone.title}” ({money(dispute.held_cents)})",
            body=f"Contract {dispute.contract_id}: {dispute.contract.title}.",
        )
        return 1
    return 0  # answered, settled or withdrawn meanwhile
