"""Suppliers."""

import factory

from shop.purchasing.models import Supplier
from tests.factories.base import BaseFactory


class SupplierFactory(BaseFactory):
    class Meta:
        model = Supplier

    name = factory.Sequence(lambda n: f"Supplier {n}")
    email = factory.Sequence(lambda n: f"orders{n}@supplier.test")
    lead_time_days = 10
