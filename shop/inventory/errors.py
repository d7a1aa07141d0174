from shop.errors import DomainError


class StockError(DomainError):
    """A stock change that would leave the books of stock wrong."""
