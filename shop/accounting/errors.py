from shop.errors import DomainError


class PostingError(DomainError):
    """An entry that would leave the books wrong: unbalanced, empty, unknown account."""


class ChartError(DomainError):
    """A change to the chart of accounts or to a commission agent that cannot be made."""


class PeriodError(DomainError):
    """A close or reopening of the books that cannot be done, or an entry dated in a closed
    period."""
