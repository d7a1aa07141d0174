"""Shipment statuses and the only transitions allowed between them."""

from shop.fulfilment.errors import FulfilmentError

PACKING = "packing"  # being picked and packed; nothing has left, the stock is still allocated
SHIPPED = "shipped"  # handed to the carrier: stock out, allocation consumed, customer told
CANCELLED = "cancelled"  # abandoned while packing; the order's allocation stays as it was

LABELS = {
    PACKING: "Packing",
    SHIPPED: "Shipped",
    CANCELLED: "Cancelled",
}

TRANSITIONS: dict[str, set[str]] = {
    PACKING: {SHIPPED, CANCELLED},
    SHIPPED: set(),  # goods that left come back as a return, not by undoing the shipment
    CANCELLED: set(),
}


def check_transition(number: str, current: str, new: str) -> None:
    if current == new:
        raise FulfilmentError(f"Shipment {number} is already {LABELS[current].lower()}.")
    if new not in TRANSITIONS.get(current, set()):
        raise FulfilmentError(
            f"Shipment {number} is {LABELS[current].lower()}; "
            f"it cannot become {LABELS[new].lower()}."
        )
