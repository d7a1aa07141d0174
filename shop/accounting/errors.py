from shop.errors import DomainError


class PostingError(DomainError):
    """An entry that would leave the books wrong: unbalanced, empty, unknown account."""
