"""The demo store that `flask seed-demo` builds: a catalogue a person would believe.

Everything goes through the catalogue, inventory and accounts services, so
every opening stock is an INITIAL stock movement and on_hand equals the sum
of movements. The data is fixed and the random choices (stock, costs, bins)
come from random.Random(seed): the same seed builds the same store.
Product images are drawn here with Pillow; nothing is downloaded.
"""

import itertools
import random
from dataclasses import dataclass, field

import sqlalchemy as sa

from shop.catalogue.models import Product
from shop.catalogue.services import (
    save_product,
)
from shop.demo.bills import seed_bills
from shop.demo.catalogue import CATEGORIES, ITEMS, seed_categories, seed_images, seed_variant
from shop.demo.discounts import seed_discounts
from shop.demo.people import Login, seed_accounts
from shop.demo.store import seed_store, seed_suppliers
from shop.extensions import db
from shop.media import delete_image

DEFAULT_SEED = 2024


@dataclass
class SeedResult:
    categories: int = 0
    products: int = 0
    variants: int = 0
    images: int = 0
    units: int = 0
    logins: list[Login] = field(default_factory=list)


def store_has_products() -> bool:
    return db.session.scalar(sa.select(Product.id).limit(1)) is not None


def seed_demo(seed: int = DEFAULT_SEED) -> SeedResult:
    """Build the demo store in the current transaction (the caller commits).

    Image files (every size, through the media storage) are written as the products are
    made; if anything fails they are removed again, so a failed seed leaves neither rows
    nor files.
    """
    written: list[str] = []
    try:
        return _seed(random.Random(seed), written)
    except BaseException:
        for filename in written:
            delete_image(filename)
        raise


def _seed(rng: random.Random, written: list[str]) -> SeedResult:
    result = SeedResult()
    tax = seed_store()
    suppliers = seed_suppliers()
    cats = seed_categories()
    result.categories = len(cats)
    by_key = {c.key: c for c in CATEGORIES}
    barcodes = itertools.count(1)
    for position, item in enumerate(ITEMS):
        meta = by_key[item.category]
        product = save_product(
            data={
                "name": item.name,
                "description": item.description,
                "category_id": cats[item.category].id,
                "option1_name": item.option1[0] if item.option1 else None,
                "option2_name": item.option2[0] if item.option2 else None,
                "is_active": True,
                "backorderable": item.backorderable,
            }
        )
        supplier = suppliers[item.supplier or meta.supplier]
        combos = list(
            itertools.product(
                item.option1[1] if item.option1 else [None],
                item.option2[1] if item.option2 else [None],
            )
        )
        for index, (value1, value2) in enumerate(combos):
            units = seed_variant(
                rng, item, product, index, value1, value2, tax[item.tax], supplier,
                f"{meta.bin_aisle}-{position % 20 + 1:02d}-{index % 4 + 1}", next(barcodes),
            )  # fmt: skip
            result.variants += 1
            result.units += units
        result.images += seed_images(item, product, meta.shape, written)
        result.products += 1
    seed_bills(unbilled_supplier=suppliers["coffee"], billed_supplier=suppliers["trail"])
    seed_discounts()
    result.logins = seed_accounts()
    return result
