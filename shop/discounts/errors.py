from shop.errors import DomainError


class DiscountError(DomainError):
    """A code that does not apply (unknown, over, used up, not for this cart), or a
    discount the owner set up wrongly; the message says which."""
