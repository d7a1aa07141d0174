from shop.errors import DomainError


class FulfilmentError(DomainError):
    """A shipment that cannot be started, changed or sent as asked."""
