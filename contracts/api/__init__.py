"""Offers, contracts and milestones over the REST API: the same services as the pages.

Every lookup goes through a queryset scoped to the caller's own offers and contracts, so an object
they are not a party to is a 404. Serializers check the shape of what is sent (amounts are whole
cents above zero); the services decide what is allowed, and core.api turns their errors into 400
(a rule, a declined card), 409 (a state that does not allow the move) or 429.

Every POST that moves money (fund, approve, release-partial, refund-request, refund-accept,
refund-offer, end) honours an Idempotency-Key header: see payments.idempotency.
"""
