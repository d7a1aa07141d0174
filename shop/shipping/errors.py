from shop.errors import DomainError


class ShippingError(DomainError):
    """A change to carriers, services, zones, rates or boxes that cannot be made as asked."""
