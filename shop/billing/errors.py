from shop.errors import DomainError


class BillingError(DomainError):
    """An invoice that cannot be issued or changed as asked (an issued invoice never changes)."""
