"""Refund statuses, the only transitions between them, and the reasons a refund is made."""

from shop.errors import DomainError

PENDING = "pending"  # decided, credit note issued; the provider has not confirmed it yet
SUCCEEDED = "succeeded"  # the provider gave the money back
FAILED = "failed"  # the provider refused it for good; staff must act (shown, retried by hand)

LABELS = {PENDING: "Pending", SUCCEEDED: "Refunded", FAILED: "Failed"}

TRANSITIONS: dict[str, set[str]] = {
    PENDING: {SUCCEEDED, FAILED},
    FAILED: {PENDING, SUCCEEDED},  # retried by staff; or the provider succeeded after all
    SUCCEEDED: set(),
}

# Why the money goes back.
CANCELLATION = "cancellation"  # the order, or its backordered rest, was cancelled
RETURN = "return"  # goods came back under a return authorisation
GOODWILL = "goodwill"  # staff gave money back without goods coming back
ITEMS = "items"  # staff refunded items (or shipping) by hand, e.g. broken, not sent back
PROVIDER = "provider"  # made in the provider's dashboard and reported by webhook
UNSUPPLIED = "unsupplied"  # paid after the items were sold to someone else

REASON_LABELS = {
    CANCELLATION: "Cancellation",
    RETURN: "Return",
    GOODWILL: "Goodwill",
    ITEMS: "Refund of items",
    PROVIDER: "Made in the payment provider",
    UNSUPPLIED: "Could not be supplied",
}


class RefundError(DomainError):
    """A refund that cannot be made as asked; the message says why."""


def check_transition(current: str, new: str) -> None:
    if new not in TRANSITIONS.get(current, set()):
        raise RefundError(
            f"A refund that is {LABELS[current].lower()} cannot become {LABELS[new].lower()}."
        )
