"""factory_boy factories, one module per domain, and the store builder the tests share.

`from tests import factories; factories.UserFactory(...)` and
`from tests.factories import VariantFactory` both work: every factory is named here.
"""

from tests.factories.accounts import PASSWORD, AddressFactory, UserFactory
from tests.factories.base import BaseFactory
from tests.factories.catalogue import (
    CategoryFactory,
    ProductFactory,
    VariantFactory,
    product_with_variants,
)
from tests.factories.purchasing import SupplierFactory
from tests.factories.tax import TaxClassFactory

__all__ = [
    "PASSWORD",
    "AddressFactory",
    "BaseFactory",
    "CategoryFactory",
    "ProductFactory",
    "SupplierFactory",
    "TaxClassFactory",
    "UserFactory",
    "VariantFactory",
    "product_with_variants",
]
