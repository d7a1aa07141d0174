from shop.errors import DomainError


class CatalogueError(DomainError):
    """A catalogue change that would break the catalogue (duplicate SKU, loop in the tree)."""
