"""Domain errors raised by services. Views show them as messages; the API maps them to status codes."""


class DomainError(Exception):
    """A business rule refused the request. HTML: a message; API: 400."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidTransition(DomainError):
    """A state change that the object's transition table does not allow. API: 409."""


class RateLimited(DomainError):
    """Too many requests of one kind in a short time. HTML: a message; API: 429."""


class NotAllowed(DomainError):
    """The person may see the object but this act is not theirs (the client approving, not the
    freelancer; a suspended account). HTML: a message; API: 403."""
