from shop.errors import DomainError


class PurchasingError(DomainError):
    """A supplier or purchase-order change that cannot be made as asked."""
