from shop.errors import DomainError


class StoreSettingsError(DomainError):
    """Store details that cannot be saved as given (e.g. a logo that is not an image)."""
