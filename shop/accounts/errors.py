from shop.errors import DomainError


class AccountError(DomainError):
    """Registration, login or password change that cannot go ahead."""


class AccountLocked(AccountError):
    """Too many failures for this account: it must wait a few minutes (HTTP 429)."""
