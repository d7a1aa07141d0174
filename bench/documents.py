"""Printing packing slips: 1,000 slips of stored orders in one PDF, against a bare canvas.

    .venv/bin/python -m bench.documents            # about half a minute
    .venv/bin/python -m bench.documents --shipments 200 --rounds 1

1. A temp SQLite database: tables from the models, a catalogue by bench/data.py
   (bulk inserts), bin locations on most stock levels, then orders, shipments,
   their lines and parcels written with bulk inserts the way the services store
   them: paid orders of 1-6 lines (2% of them 25-60 lines, slips over two
   pages), a fifth of the lines partly or wholly backordered with an expected
   ship date, a quarter of the orders with an earlier shipment that has left,
   and for each order one shipment being packed (1-3 parcels) with every
   allocated unit.
2. Loading: the shipments by number with everything a slip reads, as the
   back office loads a batch (shop.fulfilment.printing), timed on its own.
3. Rounds (--rounds, 3), each in turn:
   - *store*: render_packing_slips() of all the shipments into one PDF;
   - *bare*: a reportlab canvas drawing, per slip, the same strings at fixed
     places and the same Code 128 barcode of the order number, one page per
     slip, into one PDF. The strings are taken from the slips beforehand (not
     timed): this is the cost of the ink alone, without layout or data.
4. The best round of each (the least disturbed by other work on the machine),
   pages per second, and the ratio against the target: the store at least a
   third of the bare page's rate. Raw figures go to
   bench/results/documents-<time>.json.
"""

import argparse
import io
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

TARGET = 1 / 3
RESULTS = Path(__file__).parent / "results"
FIRST = ["Ann", "Bob", "Chloé", "Dev", "Emma", "Farid", "Gail", "Hiro", "Inès", "Jack", "Kim",
         "Liam", "Maya", "Noah", "Olga", "Priya", "Quinn", "Ravi", "Sara", "Tom"]  # fmt: skip
LAST = ["Tremblay", "Singh", "Nguyen", "Martin", "Roy", "Smith", "Wong", "Gagnon", "Lee", "Brown",
        "Côté", "Wilson", "Patel", "Leblanc", "Taylor"]  # fmt: skip
STREETS = ["Queen St W", "King St E", "Rue Sainte-Catherine", "Granville St", "Jasper Ave",
           "Portage Ave", "Spring Garden Rd", "Main St", "Elgin St", "Water St"]  # fmt: skip
CITIES = [("Toronto", "ON", "M5H 2N2"), ("Montréal", "QC", "H3B 1A7"), ("Vancouver", "BC",
          "V6C 1T2"), ("Calgary", "AB", "T2P 1J9"), ("Halifax", "NS", "B3J 1B8"),
          ("Winnipeg", "MB", "R3C 0V8"), ("Ottawa", "ON", "K1P 5G4")]  # fmt: skip
SERVICES = ["Canada Post Regular Parcel", "Canada Post Expedited Parcel", "Canada Post Xpresspost"]
BARE_COLUMNS = (40, 140, 330, 380)
BOXES = [("Small", 250, 200, 100), ("Medium", 400, 300, 200), ("Large", 600, 400, 300)]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.documents", description=__doc__)
    parser.add_argument("--shipments", type=int, default=1000, help="slips in the PDF")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of store and bare")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temp folder and PDFs")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-documents-"))
    try:
        return run(args, workdir)
    finally:
        if args.keep:
            print(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args, workdir: Path) -> int:
    from pypdf import PdfReader

    from shop import create_app
    from shop.documents.packing_slip import render_packing_slips
    from shop.extensions import db
    from shop.fulfilment.printing import shipments_by_numbers, shipments_by_order
    from shop.store_details.services import store_settings

    url = f"sqlite:///{workdir / 'documents.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(workdir / "instance")})
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        numbers = build(db.engine, shipments=args.shipments, seed=args.seed)
        print(f"Wrote {len(numbers)} orders with their shipments in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        settings = store_settings()
        locale, timezone = app.config["LOCALE"], app.config["TIMEZONE"]

        db.session.expire_all()
        started = time.perf_counter()
        shipments = shipments_by_numbers(numbers)
        history = shipments_by_order({s.order_id for s in shipments})
        load_seconds = time.perf_counter() - started
        pages_text = bare_inputs(shipments, history, settings, locale, timezone)

        store_runs, bare_runs = [], []
        store_pdf = bare_pdf = b""
        for n in range(args.rounds):
            started = time.perf_counter()
            store_pdf = render_packing_slips(
                shipments, settings=settings, locale=locale, timezone=timezone,
                order_shipments=history,
            )  # fmt: skip
            store_runs.append(time.perf_counter() - started)
            started = time.perf_counter()
            bare_pdf = bare(pages_text)
            bare_runs.append(time.perf_counter() - started)
            print(f"round {n + 1}: store {store_runs[-1]:.2f} s, bare {bare_runs[-1]:.2f} s")

    store_pages = len(PdfReader(io.BytesIO(store_pdf)).pages)
    bare_pages = len(PdfReader(io.BytesIO(bare_pdf)).pages)
    if args.keep:
        (workdir / "store.pdf").write_bytes(store_pdf)
        (workdir / "bare.pdf").write_bytes(bare_pdf)
    store_rate = store_pages / min(store_runs)
    bare_rate = bare_pages / min(bare_runs)
    ratio = store_rate / bare_rate
    result = {
        "shipments": len(numbers),
        "rounds": args.rounds,
        "load_seconds": load_seconds,
        "store": {"pages": store_pages, "seconds": store_runs, "bytes": len(store_pdf)},
        "bare": {"pages": bare_pages, "seconds": bare_runs, "bytes": len(bare_pdf)},
        "store_pages_per_second": store_rate,
        "bare_pages_per_second": bare_rate,
        "ratio": ratio,
        "target": TARGET,
    }
    report(result)
    RESULTS.mkdir(exist_ok=True)
    name = f"documents-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2))
    return 0


def report(r: dict) -> None:
    store, bare_ = r["store"], r["bare"]
    print()
    print(f"Loading {r['shipments']} shipments with everything a slip reads: "
          f"{r['load_seconds'] * 1000:.0f} ms")  # fmt: skip
    print(f"{'':8} {'slips':>6} {'pages':>6} {'best s':>8} {'median s':>9} {'pages/s':>9} "
          f"{'PDF MB':>7}")  # fmt: skip
    for label, side, rate in (("store", store, r["store_pages_per_second"]),
                              ("bare", bare_, r["bare_pages_per_second"])):  # fmt: skip
        print(f"{label:8} {r['shipments']:6d} {side['pages']:6d} {min(side['seconds']):8.2f} "
              f"{statistics.median(side['seconds']):9.2f} {rate:9.0f} "
              f"{side['bytes'] / 1e6:7.1f}")  # fmt: skip
    verdict = "reached" if r["ratio"] >= r["target"] else "NOT reached"
    print(f"store / bare = {r['ratio']:.2f} (target {r['target']:.2f}: {verdict})")


# --- the bare page ------------------------------------------------------------------------


def bare_inputs(shipments, history, settings, locale, timezone) -> list[tuple[str, list[str]]]:
    """(order number, every string its slip prints) for each shipment, outside the timing."""
    from shop.documents.layout import Formats, lines_of
    from shop.documents.packing_slip import slip_contents

    formats = Formats(locale, timezone)
    pages = []
    for shipment in shipments:
        order = shipment.order
        contents = slip_contents(shipment, history.get(shipment.order_id, ()), formats)
        texts = [settings.legal_name, *lines_of(settings.address), f"Order {order.number}",
                 "Packing slip", "SHIP TO", "SHIPMENT", *formats.address(order),
                 "Order", order.number, "Shipment", shipment.number, "Date",
                 formats.date(shipment.created_at), "Service", shipment.service_name,
                 "Parcels", str(len(shipment.parcels)), "In this parcel",
                 "SKU", "Item", "Qty"]  # fmt: skip
        for line in contents.in_parcel:
            texts += [line.sku, line.name, str(line.quantity)]
        texts += ["Still to come", "SKU", "Item", "Qty", "When"]
        for line in contents.still_to_come:
            texts += [line.sku, line.name, str(line.quantity), line.note]
        if contents.already_sent:
            texts += ["Already sent", "SKU", "Item", "Qty", "Sent in"]
            for line in contents.already_sent:
                texts += [line.sku, line.name, str(line.quantity), line.note]
        texts += [f"Questions? {settings.email}", "Page 1 of 1"]
        pages.append((order.number, texts))
    return pages


def bare(pages: list[tuple[str, list[str]]]) -> bytes:
    """Each slip: the barcode, then its strings four to a row; a new page when one is full."""
    from reportlab.graphics.barcode.code128 import Code128
    from reportlab.lib.pagesizes import LETTER
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER)
    for number, texts in pages:
        Code128(number, barHeight=42, barWidth=1.2, quiet=0).drawOn(canvas, 400, 700)
        canvas.setFont("Helvetica", 9)
        y = 690.0
        for i, text in enumerate(texts):
            if i % 4 == 0:
                y -= 14
                if y < 60:
                    canvas.showPage()
                    canvas.setFont("Helvetica", 9)
                    y = 740.0
            canvas.drawString(BARE_COLUMNS[i % 4], y, text)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --- the data -----------------------------------------------------------------------------


def build(engine, *, shipments: int, seed: int) -> list[str]:
    """Catalogue, orders, shipments; returns the numbers of the shipments being packed."""
    from bench import data
    from shop.fulfilment.models import Parcel, Shipment, ShipmentLine
    from shop.inventory.models import StockLevel
    from shop.orders.models import Order, OrderLine

    rng = random.Random(seed)
    now = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    with engine.begin() as conn:
        data.build(conn, products=400, variants_per_product=3, seed=seed)
        variants = conn.execute(sa.text(
            "SELECT v.id, v.sku, p.name, v.option1 FROM variants v "
            "JOIN products p ON p.id = v.product_id ORDER BY v.id"
        )).all()  # fmt: skip
        bins = [{"vid": v.id, "bin": f"{'ABCDEFGH'[i % 8]}-{i % 40 + 1:02d}-{i % 5 + 1}"}
                for i, v in enumerate(variants) if rng.random() < 0.85]  # fmt: skip
        conn.execute(
            sa.update(StockLevel)
            .where(StockLevel.variant_id == sa.bindparam("vid"))
            .values(bin_location=sa.bindparam("bin")),
            bins,
        )

        orders, lines, ships, ship_lines, parcels = [], [], [], [], []
        numbers = []
        for n in range(1, shipments + 1):
            city, province, postal = rng.choice(CITIES)
            first, last = rng.choice(FIRST), rng.choice(LAST)
            placed = now - timedelta(days=rng.randint(1, 30), minutes=rng.randint(0, 1440))
            count = rng.randint(25, 60) if rng.random() < 0.02 else rng.randint(1, 6)
            service = rng.choice(SERVICES)
            order_lines = []
            for variant in rng.sample(variants, count):
                quantity = rng.choice([1, 1, 1, 2, 2, 3, 4])
                price = rng.randrange(900, 30000, 100) - 1
                backordered = rng.randint(1, quantity) if rng.random() < 0.2 else 0
                order_lines.append({
                    "id": len(lines) + len(order_lines) + 1, "order_id": n,
                    "variant_id": variant.id, "sku": variant.sku,
                    "name": f"{variant.name} ({variant.option1})", "unit_price": price,
                    "quantity": quantity, "line_total": price * quantity, "tax_class_id": 1,
                    "tax_class_name": "Standard rate", "quantity_allocated": quantity - backordered,
                    "quantity_backordered": backordered, "quantity_shipped": 0,
                    "expected_ship_date": (date(2026, 12, 1) + timedelta(days=rng.randint(0, 40))
                                           if backordered else None),
                })  # fmt: skip
            earlier = rng.random() < 0.25
            if earlier:  # part of the order left before: one shipment, shipped
                ship_id = len(ships) + 1
                ships.append(_shipment(ship_id, n, service, placed + timedelta(days=1), True))
                for line in order_lines:
                    if line["quantity_allocated"] and rng.random() < 0.5:
                        sent = line["quantity_allocated"]
                        line["quantity_allocated"] -= sent
                        line["quantity_shipped"] += sent
                        ship_lines.append({"shipment_id": ship_id, "order_line_id": line["id"],
                                           "quantity": sent, "unit_cost": 500})  # fmt: skip
                if not any(sl["shipment_id"] == ship_id for sl in ship_lines[-count:]):
                    ships.pop()
            packing = [line for line in order_lines if line["quantity_allocated"]]
            if not packing:  # everything backordered: one unit arrived since
                line = order_lines[0]
                line["quantity_backordered"] -= 1
                line["quantity_allocated"] += 1
                packing = [line]
            ship_id = len(ships) + 1
            ships.append(_shipment(ship_id, n, service, now, False))
            numbers.append(ships[-1]["number"])
            for line in packing:
                ship_lines.append({"shipment_id": ship_id, "order_line_id": line["id"],
                                   "quantity": line["quantity_allocated"],
                                   "unit_cost": 0})  # fmt: skip
            for _ in range(1 if count < 4 else rng.randint(1, 3)):
                box, length, width, height = rng.choice(BOXES)
                parcels.append({"shipment_id": ship_id, "box_name": box, "length_mm": length,
                                "width_mm": width, "height_mm": height,
                                "weight_g": rng.randint(300, 9000)})  # fmt: skip
            subtotal = sum(line["line_total"] for line in order_lines)
            shipped = any(line["quantity_shipped"] for line in order_lines)
            orders.append({
                "id": n, "number": f"MP{10000 + n}", "user_id": None,
                "email": f"{first.lower()}.{n}@example.com",
                "status": "partially_shipped" if shipped else "paid", "currency": "CAD",
                "shipping_policy": "ship_available_now", "access_token": f"{n:064x}",
                "ship_full_name": f"{first} {last}",
                "ship_company": "Northwind Ltd" if rng.random() < 0.1 else None,
                "ship_line1": f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
                "ship_line2": f"Apt {rng.randint(1, 40)}" if rng.random() < 0.3 else None,
                "ship_city": city, "ship_province": province, "ship_postal_code": postal,
                "ship_country": "CA", "ship_phone": "416-555-0100" if rng.random() < 0.5 else None,
                "shipping_service_id": None, "shipping_service_name": service,
                "shipment_count": 2, "subtotal": subtotal, "shipping_total": 1500,
                "tax_total": subtotal * 13 // 100, "total": subtotal + 1500 + subtotal * 13 // 100,
                "payment_provider": "demo", "expires_at": placed + timedelta(hours=1),
                "paid_at": placed, "created_at": placed, "updated_at": placed,
            })  # fmt: skip
            lines += order_lines
        conn.execute(sa.insert(Order), orders)
        conn.execute(sa.insert(OrderLine), lines)
        conn.execute(sa.insert(Shipment), ships)
        conn.execute(sa.insert(ShipmentLine), ship_lines)
        conn.execute(sa.insert(Parcel), parcels)
    return numbers


def _shipment(ship_id: int, order_id: int, service: str, when: datetime, shipped: bool) -> dict:
    return {
        "id": ship_id, "number": f"SH-{ship_id:06d}", "order_id": order_id,
        "status": "shipped" if shipped else "packing", "shipping_service_id": None,
        "service_name": service, "tracking_number": f"BN{ship_id:012d}CA" if shipped else None,
        "shipped_at": when if shipped else None, "cost_of_goods": 0, "user_id": None,
        "created_at": when,
    }  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
