"""Notification kinds about offers, contracts and money."""

from notifications.kinds import register

register("offer.received", "Offers and changed terms")
register("offer.accepted", "Offers accepted: a contract starts")
register("offer.declined", "Offers declined, withdrawn or expired")
register("milestone.funded", "Milestones funded, added or removed")
register("milestone.submitted", "Work delivered and review reminders")
register("milestone.changes_requested", "Changes requested on my work")
register("milestone.released", "Payments released to me")
register("milestone.refund_requested", "Refund requests")
register("milestone.refunded", "Refunds")
register("contract.ended", "Contracts ended")
