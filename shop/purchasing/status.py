"""Purchase-order statuses and the only transitions allowed between them."""

from shop.purchasing.errors import PurchasingError

DRAFT = "draft"  # being written; lines may change; the supplier has not seen it
SENT = "sent"  # emailed to the supplier; the goods are on order
PARTIALLY_RECEIVED = "partially_received"  # some goods arrived, the rest are still on order
RECEIVED = "received"  # every line arrived in full
CANCELLED = "cancelled"  # withdrawn (from a partly received order: the rest will not come)

LABELS = {
    DRAFT: "Draft",
    SENT: "Sent",
    PARTIALLY_RECEIVED: "Partially received",
    RECEIVED: "Received",
    CANCELLED: "Cancelled",
}

TRANSITIONS: dict[str, set[str]] = {
    DRAFT: {SENT, CANCELLED},
    SENT: {PARTIALLY_RECEIVED, RECEIVED, CANCELLED},
    PARTIALLY_RECEIVED: {PARTIALLY_RECEIVED, RECEIVED, CANCELLED},
    RECEIVED: set(),
    CANCELLED: set(),
}

# Goods of these orders are on their way: they count as on order and may be received.
OPEN = (SENT, PARTIALLY_RECEIVED)
# Counted as on order by the reorder list (a draft is about to be sent).
ON_ORDER = (DRAFT, SENT, PARTIALLY_RECEIVED)
EDITABLE = (DRAFT,)


def check_transition(current: str, new: str) -> None:
    if new not in TRANSITIONS.get(current, set()):
        raise PurchasingError(
            f"A purchase order that is {LABELS[current].lower()} cannot become "
            f"{LABELS[new].lower()}."
        )
