"""A large catalogue for benchmarks, written with bulk inserts in a few seconds.

Rows are what the services would write: every variant has a stock level and
one INITIAL stock movement (on_hand equals the sum of movements), and each
product's search_text is built as shop.catalogue.services.refresh_search_text
builds it. Random choices come from random.Random(seed).
"""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from shop.catalogue.models import Category, Product, Variant
from shop.demo import ean13
from shop.inventory import reasons
from shop.inventory.models import StockLevel, StockMovement
from shop.purchasing.models import Supplier
from shop.tax.models import TaxClass
from shop.text import slugify

# Top category -> (child categories, nouns its products are named with).
TREE = {
    "Outdoor": (["Tents", "Sleeping bags", "Backpacks", "Camp lighting"],
                ["Tent", "Sleeping Bag", "Daypack", "Headlamp", "Lantern", "Tarp"]),
    "Clothing": (["T-shirts", "Jackets", "Trousers", "Socks"],
                 ["Tee", "Jacket", "Trousers", "Socks", "Hoodie", "Vest"]),
    "Kitchen": (["Coffee", "Cookware", "Tableware", "Knives"],
                ["Skillet", "Saucepan", "Mug", "Kettle", "Knife", "Board"]),
    "Home": (["Blankets", "Candles", "Lamps", "Rugs"],
             ["Throw", "Candle", "Lamp", "Rug", "Cushion", "Basket"]),
    "Books": (["Field guides", "Cookbooks", "Maps", "Journals"],
              ["Field Guide", "Cookbook", "Map", "Journal", "Atlas", "Almanac"]),
    "Garden": (["Tools", "Planters", "Seeds", "Watering"],
               ["Trowel", "Planter", "Pruner", "Watering Can", "Gloves", "Rake"]),
    "Sports": (["Cycling", "Paddling", "Climbing", "Running"],
               ["Helmet", "Paddle", "Harness", "Bottle", "Pump", "Chalk Bag"]),
    "Toys": (["Puzzles", "Games", "Outdoor play", "Plush"],
             ["Puzzle", "Board Game", "Kite", "Plush Bear", "Frisbee", "Yo-yo"]),
}  # fmt: skip
ADJECTIVES = [
    "Alpine", "Boreal", "Cedar", "Coastal", "Granite", "Harbour", "Juniper", "Lakeside",
    "Maple", "Muskoka", "Northern", "Prairie", "Ridge", "Spruce", "Summit", "Tundra",
    "Birch", "Canyon", "Glacier", "Highland",
]  # fmt: skip
MATERIALS = [
    "Merino", "Canvas", "Cotton", "Wool", "Cast Iron", "Stoneware", "Bamboo", "Recycled",
    "Linen", "Walnut", "Steel", "Ripstop", "Fleece", "Leather", "Cork",
]  # fmt: skip
SIZES = ["S", "M", "L", "XL", "XXL", "XS"]
COLOURS = ["Black", "Navy", "Forest", "Rust", "Sand", "Slate", "Red", "Sky"]
SENTENCES = [
    "Built to last through many seasons of use.",
    "Designed in Canada and tested on long trips.",
    "Easy to clean and simple to repair.",
    "A favourite of our staff for weekends at the cottage.",
    "Made from responsibly sourced materials.",
    "Light enough to carry, tough enough to rely on.",
    "Backed by our two-year warranty.",
]


@dataclass(frozen=True)
class Catalogue:
    """What was written, and what a benchmark should ask for."""

    products: int
    variants: int
    categories: int
    category_slug: str  # a top category: its page lists its whole subtree
    product_slug: str
    search_word: str


def build(connection, *, products: int = 2500, variants_per_product: int = 4, seed: int = 1):
    """Insert the catalogue into empty tables through `connection` (the caller commits)."""
    rng = random.Random(seed)
    now = datetime(2025, 1, 1, tzinfo=UTC)
    connection.execute(
        sa.insert(TaxClass),
        [{"id": 1, "code": "standard", "name": "Standard rate"}],
    )
    suppliers = [
        {"id": i, "name": f"Bench Supplier {i}", "email": f"orders{i}@supplier.example",
         "lead_time_days": rng.randint(5, 30), "created_at": now}
        for i in range(1, 6)
    ]  # fmt: skip
    connection.execute(sa.insert(Supplier), suppliers)

    categories, leaves = [], []
    for top_position, (top, (children, nouns)) in enumerate(TREE.items()):
        top_id = len(categories) + 1
        categories.append(_category(top_id, None, top, top_position, now))
        for position, child in enumerate(children):
            child_id = len(categories) + 1
            slug = f"{slugify(top)}-{slugify(child)}"
            categories.append(_category(child_id, top_id, child, position, now, slug))
            leaves.append((child_id, nouns))
    connection.execute(sa.insert(Category), categories)

    product_rows, variant_rows, stock_rows, movement_rows = [], [], [], []
    for pid in range(1, products + 1):
        category_id, nouns = leaves[(pid - 1) % len(leaves)]
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(MATERIALS)} {rng.choice(nouns)}"
        description = " ".join(rng.sample(SENTENCES, 3))
        option = rng.choice(["Size", "Colour"])
        values = rng.sample(SIZES if option == "Size" else COLOURS, variants_per_product)
        base_price = rng.randrange(900, 40000, 100) - 1
        skus = []
        for position, value in enumerate(values):
            vid = len(variant_rows) + 1
            sku = f"BN{pid:05d}-{position + 1}"
            skus.append(sku)
            variant_rows.append(
                {"id": vid, "product_id": pid, "sku": sku, "option1": value, "option2": None,
                 "price": base_price + 500 * position, "cost": base_price // 2,
                 "weight_g": rng.randint(100, 3000), "length_mm": 300, "width_mm": 200,
                 "height_mm": 100, "tax_class_id": 1, "barcode": ean13(f"7559{vid:08d}"),
                 "is_active": True, "position": position, "created_at": now}
            )  # fmt: skip
            roll = rng.random()
            on_hand = 0 if roll < 0.1 else rng.randint(1, 5) if roll < 0.2 else rng.randint(6, 90)
            stock_rows.append(
                {"id": vid, "variant_id": vid, "on_hand": on_hand, "allocated": 0,
                 "reorder_point": 5, "reorder_quantity": 20,
                 "supplier_id": rng.randint(1, len(suppliers)), "lead_time_days": None}
            )  # fmt: skip
            if on_hand:
                movement_rows.append(
                    {"variant_id": vid, "quantity": on_hand, "reason": reasons.INITIAL,
                     "reference": sku, "note": "", "created_at": now}
                )  # fmt: skip
        product_rows.append(
            {"id": pid, "category_id": category_id, "name": name,
             "slug": f"{slugify(name)}-{pid}", "description": description,
             "option1_name": option, "option2_name": None, "is_active": True,
             "backorderable": rng.random() < 0.8,
             # as refresh_search_text builds it: name, SKUs, description
             "search_text": " ".join([name, " ".join(skus), description]).lower(),
             "created_at": now + timedelta(minutes=pid), "updated_at": now}
        )  # fmt: skip

    for model, rows in (
        (Product, product_rows),
        (Variant, variant_rows),
        (StockLevel, stock_rows),
        (StockMovement, movement_rows),
    ):
        for start in range(0, len(rows), 5000):
            connection.execute(sa.insert(model), rows[start : start + 5000])
    if connection.dialect.name == "postgresql":
        _advance_sequences(connection)

    first_top = categories[0]["slug"]
    sample = product_rows[len(product_rows) // 2]
    return Catalogue(
        products=len(product_rows),
        variants=len(variant_rows),
        categories=len(categories),
        category_slug=first_top,
        product_slug=sample["slug"],
        search_word="merino",
    )


def _category(cid, parent_id, name, position, now, slug=None) -> dict:
    return {
        "id": cid,
        "parent_id": parent_id,
        "name": name,
        "slug": slug or slugify(name),
        "description": f"Everything in {name.lower()}.",
        "position": position,
        "created_at": now,
    }


def _advance_sequences(connection) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move them past the rows."""
    for table in ("tax_classes", "suppliers", "categories", "products", "variants",
                  "stock_levels", "stock_movements"):  # fmt: skip
        connection.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )
