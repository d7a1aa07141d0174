"""Tax classes."""

from shop.tax.models import TaxClass
from tests.factories.base import BaseFactory


class TaxClassFactory(BaseFactory):
    class Meta:
        model = TaxClass
        sqlalchemy_get_or_create = ("code",)

    code = "standard"
    name = "Standard"
