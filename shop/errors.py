"""The base of every domain error: a message a person can read."""


class DomainError(Exception):
    """Raised by a service when a request cannot be done; the view shows the message."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field  # the form field the message belongs beside, if any
