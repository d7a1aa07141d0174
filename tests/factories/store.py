"""The outdoor store most tests shop in: a Ridge Tent in stock and a Camp Stove on order.

One builder instead of a hand-made copy per test module. The figures are the ones the
tests' assertions are written against (prices, costs, weights, boxes); a module that
needs a different figure passes it (`ridge_tent(classes, stock=3)`).
"""

from shop.catalogue.models import Variant
from shop.extensions import db
from shop.shipping.services import seed_canada_post
from shop.tax.models import TaxClass
from shop.tax.services import ensure_tax_classes, seed_canadian_rates
from tests.factories.catalogue import ProductFactory, VariantFactory
from tests.factories.purchasing import SupplierFactory

TENT_PRICE, TENT_COST = 34900, 15000
STOVE_PRICE, STOVE_COST = 8900, 4000
# The boxes the shipping rates are worked out from (dimensional weight).
TENT_BOX = {"length_mm": 550, "width_mm": 180, "height_mm": 180}
STOVE_BOX = {"length_mm": 200, "width_mm": 150, "height_mm": 120}


def seed_reference_data() -> dict[str, TaxClass]:
    """The tax classes, Canada's tax rates and Canada Post's services; the classes by code."""
    classes = ensure_tax_classes()
    seed_canadian_rates()
    seed_canada_post()
    db.session.commit()
    return classes


def ridge_tent(classes: dict[str, TaxClass], *, boxed: bool = True, **fields) -> Variant:
    """TENT-1, $349.00, 2.4 kg, standard rated, 5 in stock; boxed: in its 55 x 18 x 18 box."""
    values = {"sku": "TENT-1", "price": TENT_PRICE, "weight_g": 2400, "stock": 5}
    values |= TENT_BOX if boxed else {}
    return VariantFactory(
        product=ProductFactory(name="Ridge Tent"), tax_class=classes["standard"], **values | fields
    )


def camp_stove(classes: dict[str, TaxClass], *, boxed: bool = True, **fields) -> Variant:
    """STOVE-1, $89.00, 900 g, standard rated, none in stock and a supplier 10 days away."""
    values = {"sku": "STOVE-1", "price": STOVE_PRICE, "weight_g": 900, "stock": 0}
    values |= STOVE_BOX if boxed else {}
    stove = VariantFactory(
        product=ProductFactory(name="Camp Stove"), tax_class=classes["standard"], **values | fields
    )
    stove.stock.supplier = SupplierFactory(lead_time_days=10)
    db.session.commit()
    return stove


def two_person_tent(classes: dict[str, TaxClass], *, stock: int = 10) -> Variant:
    """TENT-2P, $200.00 at a cost of $80.00, standard rated: the tent the returns tests
    sell, ship and take back."""
    return VariantFactory(
        product=ProductFactory(name="Ridge Tent"), sku="TENT-2P", price=20000, cost=8000,
        tax_class=classes["standard"], stock=stock,
    )  # fmt: skip


def tent_and_stove(
    *, tent_stock: int = 5, boxed: bool = True, at_cost: bool = False
) -> dict[str, Variant]:
    """The reference data, the tent and the stove: {"tent", "stove", "classes"}.

    at_cost gives them their real costs (TENT_COST, STOVE_COST) instead of the factory's.
    """
    classes = seed_reference_data()
    tent_cost = {"cost": TENT_COST} if at_cost else {}
    stove_cost = {"cost": STOVE_COST} if at_cost else {}
    tent = ridge_tent(classes, boxed=boxed, stock=tent_stock, **tent_cost)
    stove = camp_stove(classes, boxed=boxed, **stove_cost)
    return {"tent": tent, "stove": stove, "classes": classes}
