from shop.errors import DomainError


class PayablesError(DomainError):
    """A supplier bill or payment that cannot be entered as asked."""
