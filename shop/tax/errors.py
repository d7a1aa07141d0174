from shop.errors import DomainError


class TaxError(DomainError):
    """A change to tax classes or rates that cannot be made as asked."""
