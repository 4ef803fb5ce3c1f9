"""The market over the REST API: the same selectors and services as the pages.

Every lookup goes through a selector scoped to the caller, so an object they are not a party to
is a 404. Serializers check the shape of what is sent; the services decide what is allowed, and
core.api turns their errors into 400 (a rule), 409 (a state that does not allow the move) or 429.
"""
