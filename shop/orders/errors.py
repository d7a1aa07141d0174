from shop.errors import DomainError


class OrderError(DomainError):
    """An order that cannot be placed or changed as asked."""


class CheckoutChanged(OrderError):
    """What the customer reviewed is no longer true (cart, stock or prices changed)."""


class AddressProblem(OrderError):
    """The shipping address cannot be right (a postal code of another province): the
    customer must correct it at the address step."""


def unavailable_text(item: dict | str) -> str:
    """One item an order can no longer get ({"units", "name", "left"}), as the customer
    reads it: "2 x Ridge Tent (0 left)". Histories written before items were data hold
    the text."""
    if isinstance(item, str):
        return item
    return "{units} x {name} ({left} left)".format(**item)


class CannotSupply(OrderError):
    """An order that gave its stock back can no longer be supplied: payment is refused."""

    def __init__(self, items: list[dict]):
        super().__init__(
            "Sorry, these items are no longer available: "
            f"{'; '.join(map(unavailable_text, items))}. Your payment was not taken."
        )
        self.items = items
