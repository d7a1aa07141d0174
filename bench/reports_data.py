"""A large store for the report benchmarks: a year of sales at 200,000 orders.

    python -m bench.reports_data --database-url postgresql://postgres@127.0.0.1:5432/bench_reports
    python -m bench.reports_data --database-url sqlite:////tmp/bench_reports.db
    python -m bench.reports_data --help

Wipes the store's tables in that database (refused unless its name says "bench", or with
--force), creates them from the models and stamps the migrations' head, seeds what
`flask seed-demo` seeds before its catalogue (tax classes and Canada's rates, Canada Post
services, zones, rates and boxes, the chart of accounts, the settings row), then in bulk:
~100 nested categories (8 top, 32 below them, 64 leaves), 1,000 products x 10 variants
(sizes x colours) with suppliers, stock levels (reorder points, lead times, bins) and
their INITIAL stock movements, and finally shop.demo.generate_history(books=False):
50,000 customer accounts (plus guests), 200,000 orders of ~3 lines over 365 days, their
taxes, payments, shipments and parcels. Prints the time of each step and the row counts.
See bench/README.md.
"""

import argparse
import random
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa

from bench.data import ADJECTIVES, COLOURS, MATERIALS, SENTENCES, SIZES, TREE
from shop import create_app
from shop.catalogue.models import Category, Product, Variant
from shop.db import refresh_statistics
from shop.demo import ean13
from shop.extensions import db
from shop.inventory import reasons
from shop.inventory.models import StockLevel, StockMovement
from shop.purchasing.models import Supplier
from shop.tax.models import TaxClass
from shop.text import slugify

SEED = 2026
# A third level under each of the 32 categories of bench/data.py's tree.
KINDS = ["Everyday", "Expedition", "Ultralight", "Classic", "Kids", "Workshop", "Travel",
         "Heritage", "Studio", "Cabin"]  # fmt: skip
# Top category -> (weight range in grams, (length, width, height) range in mm)
SIZES_BY_TOP = {
    "Outdoor": ((150, 6500), (120, 650)), "Clothing": ((120, 1400), (250, 420)),
    "Kitchen": ((150, 4500), (100, 400)), "Home": ((200, 3500), (120, 500)),
    "Books": ((200, 1200), (150, 300)), "Garden": ((100, 5000), (100, 700)),
    "Sports": ((80, 4000), (100, 600)), "Toys": ((80, 2000), (100, 450)),
}  # fmt: skip
# Lines per order (1 to 4): about three on average, as in a store selling sets.
BASKET = (0.15, 0.2, 0.3, 0.35)
TABLES = ["categories", "products", "variants", "stock_levels", "stock_movements", "users",
          "addresses", "orders", "order_lines", "order_taxes", "payments", "shipments",
          "shipment_lines", "parcels", "order_events"]  # fmt: skip


@contextmanager
def step(name: str, timings: dict):
    print(f"{name} ...", flush=True)
    started = time.perf_counter()
    yield
    timings[name] = time.perf_counter() - started
    print(f"{name}: {timings[name]:.1f} s", flush=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    url = sa.engine.make_url(args.database_url)
    if "bench" not in (url.database or "") and not args.force:
        print(f"Refusing to wipe {url.database!r}: its name does not say 'bench' (use --force).")
        return 2
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": args.database_url, "INSTANCE_PATH": tempfile.mkdtemp()}
    )
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with app.app_context():
        with step("schema", timings):
            fresh_schema()
        with step("reference data", timings):
            seed_reference()
            db.session.commit()
        with step("catalogue", timings):
            build_catalogue(random.Random(args.seed), args.products, args.variants)
            db.session.commit()
        with step("history", timings):
            history = generate(args)
            db.session.commit()
        with step("analyze", timings):
            analyze()
        print(history.summary())
        print_counts()
    print(f"total: {time.perf_counter() - started:.1f} s "
          f"({', '.join(f'{k} {v:.1f} s' for k, v in timings.items())})")  # fmt: skip
    return 0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--variants", type=int, default=10, help="per product (sizes x colours)")
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--orders", type=int, default=200_000, help="over --days")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--events", action="store_true", help="also each order's history rows")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--force", action="store_true", help="wipe a database not named bench")
    return parser.parse_args(argv)


def fresh_schema() -> None:
    """The store's tables from the models, and the migrations marked as applied."""
    from flask_migrate import stamp

    db.drop_all()
    db.session.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))  # maybe an old head
    db.session.commit()
    db.create_all()
    stamp()


def seed_reference() -> None:
    from shop.accounting.services import seed_chart
    from shop.shipping.services import seed_canada_post
    from shop.store_details.services import store_settings
    from shop.tax.services import ensure_tax_classes, seed_canadian_rates

    ensure_tax_classes()
    seed_canadian_rates()
    seed_canada_post()
    seed_chart()
    store_settings()


def generate(args):
    from shop.demo import generate_history

    return generate_history(
        days=args.days, orders_per_day=args.orders / args.days, customers=args.customers,
        seed=args.seed, books=False, events=args.events, basket=BASKET, progress=print,
    )  # fmt: skip


# --- the catalogue -------------------------------------------------------------------


def build_catalogue(rng: random.Random, products: int, variants: int) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    classes = {c.code: c.id for c in db.session.scalars(sa.select(TaxClass))}
    suppliers = [
        {"id": i, "name": f"Report Bench Supplier {i}", "email": f"orders{i}@supplier.example",
         "lead_time_days": rng.choice([5, 7, 10, 14, 21, 28, 35]), "created_at": now}
        for i in range(1, 13)
    ]  # fmt: skip
    insert(Supplier, suppliers)
    categories, leaves = category_rows(rng, now)
    insert(Category, categories)
    product_rows, variant_rows, stock_rows, movements = [], [], [], []
    for pid in range(1, products + 1):
        leaf = leaves[(pid - 1) % len(leaves)]
        product, rows = product_and_variants(rng, pid, leaf, variants, classes, now)
        product_rows.append(product)
        for variant in rows:
            variant["id"] = len(variant_rows) + 1
            variant["barcode"] = ean13(f"7558{variant['id']:08d}")
            variant_rows.append(variant)
            level = stock_row(rng, variant, suppliers)
            stock_rows.append(level)
            if level["on_hand"]:
                movements.append(
                    {"variant_id": variant["id"], "quantity": level["on_hand"],
                     "reason": reasons.INITIAL, "reference": variant["sku"], "note": "",
                     "created_at": now}
                )  # fmt: skip
    insert(Product, product_rows)
    insert(Variant, variant_rows)
    insert(StockLevel, stock_rows)
    insert(StockMovement, movements)
    advance_sequences(["suppliers", "categories", "products", "variants", "stock_levels"])


def category_rows(rng: random.Random, now) -> tuple[list[dict], list[dict]]:
    """8 top categories, 4 below each, 2 below each of those: the leaves hold the products."""
    rows, leaves = [], []

    def add(name, parent, position, slug, top):
        row = {"id": len(rows) + 1, "parent_id": parent, "name": name, "slug": slug,
               "description": f"Everything in {name.lower()}.", "position": position,
               "created_at": now}  # fmt: skip
        rows.append(row)
        return {**row, "top": top, "path": slug}

    for top_position, (top, (children, nouns)) in enumerate(TREE.items()):
        top_row = add(top, None, top_position, slugify(top), top)
        for position, child in enumerate(children):
            child_slug = f"{top_row['slug']}-{slugify(child)}"
            child_row = add(child, top_row["id"], position, child_slug, top)
            for kind_position, kind in enumerate(rng.sample(KINDS, 2)):
                leaf = add(
                    kind, child_row["id"], kind_position, f"{child_slug}-{slugify(kind)}", top
                )
                leaf.update(nouns=nouns, child=child)
                leaves.append(leaf)
    return rows, leaves


def product_and_variants(rng, pid: int, leaf: dict, variants: int, classes, now):
    name = f"{rng.choice(ADJECTIVES)} {rng.choice(MATERIALS)} {rng.choice(leaf['nouns'])}"
    description = " ".join(rng.sample(SENTENCES, 3))
    colours = rng.sample(COLOURS, max(1, variants // 5))
    sizes = rng.sample(SIZES, min(len(SIZES), -(-variants // len(colours))))
    (w_lo, w_hi), (d_lo, d_hi) = SIZES_BY_TOP[leaf["top"]]
    price = rng.randrange(900, 30000, 100) - 1
    weight = rng.randint(w_lo, w_hi)
    dims = sorted((rng.randint(d_lo, d_hi) for _ in range(3)), reverse=True)
    tax = classes["zero-rated"] if leaf["child"] == "Coffee" else classes["standard"]
    rows = []
    for position, (size, colour) in enumerate([(s, c) for s in sizes for c in colours][:variants]):
        extra = 500 if size in ("XL", "XXL") else 0
        rows.append(
            {"product_id": pid, "sku": f"RB{pid:05d}-{position + 1:02d}", "option1": size,
             "option2": colour, "price": price + extra,
             "cost": round((price + extra) * rng.uniform(0.42, 0.58)),
             "weight_g": weight + (40 if extra else 0), "length_mm": dims[0],
             "width_mm": dims[1], "height_mm": max(dims[2] // 3, 10), "tax_class_id": tax,
             "is_active": True, "position": position, "created_at": now}
        )  # fmt: skip
    skus = " ".join(r["sku"] for r in rows)
    product = {
        "id": pid, "category_id": leaf["id"], "name": name, "slug": f"{slugify(name)}-{pid}",
        "description": description, "option1_name": "Size", "option2_name": "Colour",
        "is_active": True, "backorderable": rng.random() < 0.85,
        "search_text": " ".join([name, skus, description]).lower(),  # as refresh_search_text
        "created_at": now, "updated_at": now,
    }  # fmt: skip
    return product, rows


def stock_row(rng, variant: dict, suppliers: list[dict]) -> dict:
    roll = rng.random()
    on_hand = 0 if roll < 0.1 else rng.randint(1, 5) if roll < 0.2 else rng.randint(6, 120)
    point = rng.choice([3, 4, 5, 6, 8, 10, 15])
    return {
        "id": variant["id"], "variant_id": variant["id"], "on_hand": on_hand, "allocated": 0,
        "reorder_point": point, "reorder_quantity": point * rng.choice([2, 3, 4]),
        "supplier_id": rng.choice(suppliers)["id"],
        "lead_time_days": rng.choice([7, 14, 28, 42]) if rng.random() < 0.1 else None,
        "bin_location": f"{chr(65 + variant['id'] % 20)}-{variant['id'] % 40 + 1:02d}",
    }  # fmt: skip


def insert(model, rows: list[dict], chunk: int = 5000) -> None:
    for start in range(0, len(rows), chunk):
        db.session.execute(sa.insert(model.__table__), rows[start : start + chunk])


def advance_sequences(tables) -> None:
    from shop.demo import advance_sequences as advance

    advance(tables)


def analyze() -> None:
    refresh_statistics(db)


def print_counts() -> None:
    for name in TABLES:
        count = db.session.scalar(sa.select(sa.func.count()).select_from(sa.table(name)))
        print(f"  {name:<16} {count:>10,}")


if __name__ == "__main__":
    sys.exit(main())
