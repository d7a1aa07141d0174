from shop.errors import DomainError


class OrderError(DomainError):
    """An order that cannot be placed or changed as asked."""


class CheckoutChanged(OrderError):
    """What the customer reviewed is no longer true (cart, stock or prices changed)."""
