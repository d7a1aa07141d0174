from shop.errors import DomainError


class OrderError(DomainError):
    """An order that cannot be placed or changed as asked."""


class CheckoutChanged(OrderError):
    """What the customer reviewed is no longer true (cart, stock or prices changed)."""


class CannotSupply(OrderError):
    """An order that gave its stock back can no longer be supplied: payment is refused."""

    def __init__(self, items: list[str]):
        super().__init__(
            "Sorry, these items are no longer available: "
            f"{'; '.join(items)}. Your payment was not taken."
        )
        self.items = items
