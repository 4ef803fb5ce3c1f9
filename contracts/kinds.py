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
register("milestone.payment_failed", "Card payments declined", always_email=True)
register("milestone.payment_returned", "Card payments returned", always_email=True)
register("milestone.chargeback", "Payments disputed at the bank", always_email=True)
register("payout.sent", "Withdrawals sent")
register("payout.returned", "Withdrawals returned to my balance", always_email=True)
register("payout.bank_failed", "Bank payouts refused", always_email=True)
register("payout_account.updated", "Payout account ready or needing attention", always_email=True)
register("staff.chargeback", "Staff: chargebacks", always_email=True)
register("staff.refund_failed", "Staff: refunds the processor refused", always_email=True)
register("staff.reconciliation", "Staff: payments reconciliation differences", always_email=True)
