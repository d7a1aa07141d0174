"""The catalogue: categories, products and variants (with opening stock as a movement)."""

import factory

from shop.catalogue.models import Category, Product, Variant
from shop.catalogue.services import refresh_search_text
from shop.extensions import db
from shop.inventory import reasons
from shop.inventory.services import record_movement, stock_for
from tests.factories.base import BaseFactory
from tests.factories.tax import TaxClassFactory


class CategoryFactory(BaseFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    description = ""


class ProductFactory(BaseFactory):
    class Meta:
        model = Product

    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    description = "A fine thing."


class VariantFactory(BaseFactory):
    """A variant; pass stock=N for opening stock written as a movement."""

    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    price = 2500
    cost = 1000
    weight_g = 400
    length_mm = 300
    width_mm = 200
    height_mm = 50
    tax_class = factory.SubFactory(TaxClassFactory)

    @factory.post_generation
    def stock(variant, create, extracted, **kwargs):
        level = stock_for(variant.id)
        for name, value in kwargs.items():
            setattr(level, name, value)
        if extracted:
            record_movement(variant_id=variant.id, quantity=extracted, reason=reasons.INITIAL)
        refresh_search_text(variant.product)
        db.session.commit()


def product_with_variants(*, name: str, options: list[tuple[str, str]], stock: int = 10, **kw):
    """A product with one variant per (option1, option2) pair."""
    product = ProductFactory(name=name, option1_name="Size", option2_name="Colour", **kw)
    for size, colour in options:
        VariantFactory(product=product, option1=size, option2=colour, stock=stock)
    return product
