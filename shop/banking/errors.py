from shop.errors import DomainError


class BankingError(DomainError):
    """A statement that cannot be read, or a match that cannot be made."""
