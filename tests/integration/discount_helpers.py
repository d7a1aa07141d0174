"""A small shop for the discount tests: a tent and a lamp in two categories, the codes
the owner makes, and a guest brought to the checkout with an address and a service."""

from decimal import Decimal

import sqlalchemy as sa

from shop.discounts.models import AMOUNT, PERCENT, Discount
from shop.extensions import db
from shop.orders.models import Order
from shop.shipping.models import ShippingService
from shop.store_details.services import store_settings
from tests.factories import CategoryFactory, ProductFactory, VariantFactory
from tests.integration.checkout_helpers import choose_delivery, fill_address, seed_reference_data
from tests.integration.one_page_helpers import apply_code
from tests.integration.order_helpers import service_id

TENT, LAMP = 20000, 2500  # prices in cents


def seed_goods() -> dict:
    """The tent and the lamp (500 of each), their categories, and the seller's details the
    e-invoice rules need."""
    classes = seed_reference_data()
    settings = store_settings()  # what the e-invoice rules need of the seller
    settings.email, settings.gst_hst_number = "shop@example.com", "123456789 RT0001"
    camping = CategoryFactory(name="Camping")
    lights = CategoryFactory(name="Lights")

    def variant(name, sku, price, category):
        return VariantFactory(
            product=ProductFactory(name=name, category=camping if category == "c" else lights),
            sku=sku, price=price, tax_class=classes["standard"], stock=500, weight_g=900,
        )  # fmt: skip

    goods = {"tent": variant("Ridge Tent", "TENT-1", TENT, "c"),
             "lamp": variant("Camp Lamp", "LAMP-1", LAMP, "l")}  # fmt: skip
    goods["camping"], goods["lights"] = camping, lights
    db.session.commit()
    return goods


def make_code(code="SAVE10", kind=PERCENT, **terms) -> Discount:
    values = {"percent": Decimal(10)} if kind == PERCENT else {}
    if kind == AMOUNT:
        values = {"amount": 1500}
    values = {"min_subtotal": 0, "uses": 0, **values, **terms}
    discount = Discount(code=code, kind=kind, **values)
    db.session.add(discount)
    db.session.commit()
    return discount


def to_review(app, goods, items, email="gail@example.com"):
    """A guest's cart of [(key, quantity)], address in Ontario and regular shipping."""
    client = app.test_client()
    for key, quantity in items:
        client.post("/cart/add", data={"variant_id": goods[key].id, "quantity": quantity})
    fill_address(client, email=email)
    choose_delivery(client, service_id("regular"))
    return client


def apply(client, code: str) -> str:
    return apply_code(client, code).get_data(as_text=True)


def order_of(email: str) -> Order:
    return db.session.scalar(sa.select(Order).where(Order.email == email).order_by(Order.id.desc()))


def shown_total(page: str) -> str:
    return page.split('id="total">', 1)[1].split("<", 1)[0]


def regular_parcel() -> ShippingService:
    return db.session.scalar(sa.select(ShippingService).filter_by(code="regular"))
