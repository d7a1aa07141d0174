"""factory_boy factories: rows for tests, committed like real data."""

import factory
import pyotp
from factory.alchemy import SQLAlchemyModelFactory

from shop.accounts import roles
from shop.accounts.models import Address, TotpFactor, User
from shop.accounts.passwords import hash_password
from shop.accounts.second_factor import REQUIRED_ROLES
from shop.catalogue.models import Category, Product, Variant
from shop.catalogue.services import refresh_search_text
from shop.db import utcnow
from shop.extensions import db
from shop.inventory import reasons
from shop.inventory.services import record_movement, stock_for
from shop.purchasing.models import Supplier
from shop.tax.models import TaxClass

PASSWORD = "correct horse battery"


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    role = roles.CUSTOMER
    password_hash = factory.LazyFunction(lambda: hash_password(PASSWORD))

    @factory.post_generation
    def totp(user, create, extracted, **_kwargs):
        """The owner and the bookkeeper get an authenticator (their role needs one);
        totp=True gives anyone one, totp=False no one; a string is the secret."""
        wanted = user.role in REQUIRED_ROLES if extracted is None else bool(extracted)
        if create and wanted:
            secret = extracted if isinstance(extracted, str) else pyotp.random_base32()
            db.session.add(TotpFactor(user_id=user.id, secret=secret, confirmed_at=utcnow()))
            db.session.commit()


class AddressFactory(BaseFactory):
    class Meta:
        model = Address

    user = factory.SubFactory(UserFactory)
    full_name = "Carla Customer"
    line1 = "12 Queen St W"
    city = "Toronto"
    province = "ON"
    postal_code = "M5H 2N2"
    country = "CA"


class TaxClassFactory(BaseFactory):
    class Meta:
        model = TaxClass
        sqlalchemy_get_or_create = ("code",)

    code = "standard"
    name = "Standard"


class SupplierFactory(BaseFactory):
    class Meta:
        model = Supplier

    name = factory.Sequence(lambda n: f"Supplier {n}")
    email = factory.Sequence(lambda n: f"orders{n}@supplier.test")
    lead_time_days = 10


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
