"""Order statuses and the only transitions allowed between them."""

from shop.orders.errors import OrderError

PENDING_PAYMENT = "pending_payment"  # placed; stock allocated or backordered; waiting for money
PAID = "paid"  # payment confirmed by the provider; the warehouse may ship
PARTIALLY_SHIPPED = "partially_shipped"  # some lines have left, others are still to come
SHIPPED = "shipped"  # every line has left
CANCELLED = "cancelled"  # cancelled by staff or customer; allocation released
PAYMENT_FAILED = "payment_failed"  # the provider declined; allocation released
EXPIRED = "expired"  # never paid within the time allowed; allocation released

LABELS = {
    PENDING_PAYMENT: "Waiting for payment",
    PAID: "Paid",
    PARTIALLY_SHIPPED: "Partially shipped",
    SHIPPED: "Shipped",
    CANCELLED: "Cancelled",
    PAYMENT_FAILED: "Payment failed",
    EXPIRED: "Expired",
}

TRANSITIONS: dict[str, set[str]] = {
    PENDING_PAYMENT: {PAID, PAYMENT_FAILED, EXPIRED, CANCELLED},
    PAYMENT_FAILED: {PAID},  # a late success after a decline still counts
    EXPIRED: {PAID},  # money that arrives after expiry is honoured (stock is re-allocated)
    # PAID -> CANCELLED also when the customer cancels the backordered rest of an order
    # that has nothing else to ship (shop.after_sale.cancellations).
    PAID: {PARTIALLY_SHIPPED, SHIPPED, CANCELLED},
    # -> SHIPPED also when the backordered rest is cancelled and everything left has left.
    PARTIALLY_SHIPPED: {SHIPPED},
    SHIPPED: set(),
    CANCELLED: set(),
}

# Statuses whose order holds no allocation.
RELEASED = {PAYMENT_FAILED, EXPIRED, CANCELLED}
# Statuses in which the customer may (still, or again) pay.
PAYABLE = {PENDING_PAYMENT, PAYMENT_FAILED}


def check_transition(current: str, new: str) -> None:
    if new not in TRANSITIONS.get(current, set()):
        raise OrderError(
            f"An order that is {LABELS[current].lower()} cannot become {LABELS[new].lower()}."
        )
