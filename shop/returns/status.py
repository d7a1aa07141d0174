"""Return request statuses and the only transitions between them."""

from shop.errors import DomainError

REQUESTED = "requested"  # the customer asked; staff have not decided
AUTHORISED = "authorised"  # approved: the RMA number and slip are valid, the parcel may come
REFUSED = "refused"  # staff said no, with a note
RECEIVED = "received"  # the parcel arrived and each line was restocked or scrapped
REFUNDED = "refunded"  # the money went back (or was decided with the receipt)
CANCELLED = "cancelled"  # the customer withdrew it before sending anything

LABELS = {
    REQUESTED: "Requested",
    AUTHORISED: "Authorised",
    REFUSED: "Refused",
    RECEIVED: "Received",
    REFUNDED: "Refunded",
    CANCELLED: "Withdrawn",
}

TRANSITIONS: dict[str, set[str]] = {
    REQUESTED: {AUTHORISED, REFUSED, CANCELLED},
    AUTHORISED: {RECEIVED, CANCELLED},
    RECEIVED: {REFUNDED},
    REFUSED: set(),
    REFUNDED: set(),
    CANCELLED: set(),
}

# Statuses in which the request still claims its units (no second return of them).
OPEN = {REQUESTED, AUTHORISED, RECEIVED, REFUNDED}
# Open requests whose parcel has not arrived: they claim every unit they ask for. Once
# received, a request claims what came back (OrderLine.quantity_returned counts it).
AWAITING_PARCEL = {REQUESTED, AUTHORISED}

# Why a customer sends something back; the returns report groups by these.
REASONS = {
    "changed_mind": "Changed my mind",
    "wrong_size": "Wrong size or fit",
    "damaged": "Arrived damaged",
    "defective": "Does not work",
    "not_as_described": "Not as described",
    "wrong_item": "Wrong item sent",
}

# Reasons that are the store's fault: the shipping is given back and no restocking fee
# is kept (shop.returns.services.refund_terms).
STORE_FAULT = {"damaged", "defective", "not_as_described", "wrong_item"}

# How a returned unit is handled when the parcel is opened.
RESELLABLE = "resellable"  # back into stock at its original cost
DAMAGED = "damaged"  # scrapped to inventory shrinkage


class ReturnError(DomainError):
    """A return that cannot be made as asked; the message says why."""


def check_transition(number: str, current: str, new: str) -> None:
    if new not in TRANSITIONS.get(current, set()):
        raise ReturnError(
            f"Return {number} is {LABELS[current].lower()}; it cannot become {LABELS[new].lower()}."
        )
