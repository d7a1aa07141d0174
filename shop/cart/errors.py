from shop.errors import DomainError


class CartError(DomainError):
    """A cart change that cannot be made (unknown product, bad quantity, no stock)."""
