from shop.errors import DomainError


class AccountError(DomainError):
    """Registration, login or password change that cannot go ahead."""
