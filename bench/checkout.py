"""Benchmark the checkout: many buyers placing orders at once with the demo provider.

    python -m bench.checkout                      # SQLite, then PostgreSQL
    python -m bench.checkout --databases sqlite --orders 100 --clients 8

For each database: a fresh database seeded through the services (reference
data, a few hundred variants with limited stock, scarce "hot" items), the store
under gunicorn, then two phases of buyers in Python threads over HTTP with CSRF
on: the whole checkout (product page, add to cart, cart, the one checkout page,
its background re-price, place order, pay), and place order alone (carts made
ready first, then placed all at once).
Afterwards the database is checked: nothing oversold, allocations add up.
See bench/README.md.
"""

import argparse
import contextlib
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import sqlalchemy as sa

from bench.harness import (
    ADDRESSES,
    Buyer,
    Failed,
    Item,
    Outcome,
    Plan,
    Server,
    analyze_if_postgresql,
    drop_pg_schema,
    fresh_pg_schema,
    interrupted_by_signals,
    load_average,
    start_server,
    stop_server,
    store_env,
    wait_until_serving,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_SCHEMA = "bench_checkout"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_ORDERS_PER_SEC = 50.0  # on PostgreSQL, for the whole checkout
HOT_STOCK = 5  # units of each phase's hot item; far fewer than buyers want
LIVE_STATUSES = ("pending_payment", "paid")  # orders that hold their allocation


# --- the shop ----------------------------------------------------------------------------


@dataclass
class Shop:
    items: list[Item]
    popular: list[Item]  # the first few dozen: most buyers want these
    hot: list[Item]  # one per phase: 5 units, not backorderable
    service_ids: list[int]


def prepare_database(backend: str, args, workdir: Path) -> str:
    """An empty database: a file in the temp folder, or a fresh schema in PostgreSQL."""
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'checkout.db'}"
    return fresh_pg_schema(args.pg_url, PG_SCHEMA)


def seed(url: str, workdir: Path, args) -> Shop:
    """Tables from the models; taxes, Canada Post and the catalogue through the services."""
    from shop import create_app
    from shop.catalogue.services import save_category, save_product
    from shop.extensions import db
    from shop.inventory.variants import save_variant
    from shop.purchasing.models import Supplier
    from shop.shipping.models import ShippingService
    from shop.shipping.services import seed_canada_post
    from shop.tax.services import ensure_tax_classes, seed_canadian_rates

    rng = random.Random(args.seed)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(workdir / "seed")})
    with app.app_context():
        db.create_all()
        standard = ensure_tax_classes()["standard"]
        seed_canadian_rates()
        seed_canada_post()
        supplier = Supplier(name="Bench Supplier", email="orders@supplier.example")
        supplier.lead_time_days = 10
        db.session.add(supplier)
        top = save_category(name="Bench", parent_id=None)
        leaves = [save_category(name=f"Bench {n}", parent_id=top.id) for n in range(1, 6)]

        def product(name: str, backorderable: bool, category_id: int):
            data = {
                "name": name,
                "description": "A benchmark product.",
                "category_id": category_id,
                "option1_name": "Size",
                "is_active": True,
                "backorderable": backorderable,
            }
            return save_product(data=data)

        def variant(prod, sku: str, option: str, on_hand: int, position: int) -> Item:
            data = {
                "sku": sku,
                "option1": option,
                "price": rng.randrange(1500, 25000, 100) - 1,
                "cost": 700,
                "weight_g": rng.randint(150, 1200),
                "length_mm": 300,
                "width_mm": 200,
                "height_mm": 80,
                "tax_class_id": standard.id,
                "is_active": True,
                "position": position,
                "supplier_id": supplier.id,
            }
            v = save_variant(product=prod, data=data, opening_stock=on_hand)
            path = f"/p/{prod.slug}?variant={v.id}"
            return Item(v.id, v.sku, path, on_hand, prod.backorderable)

        hot = []
        for phase in (1, 2):
            prod = product(f"Hot Lantern {phase}", False, leaves[0].id)
            hot.append(variant(prod, f"HOT-{phase}", "One size", HOT_STOCK, 0))
        items = []
        for pid in range(args.products):
            backorderable = rng.random() < 0.8
            prod = product(f"Bench Product {pid + 1}", backorderable, leaves[pid % 5].id)
            for position, size in enumerate(["S", "M", "L"][: args.variants]):
                roll = rng.random()
                if roll < 0.1:
                    on_hand = 0 if backorderable else rng.randint(1, 3)
                elif roll < 0.3:
                    on_hand = rng.randint(1, 6)  # scarce: buyers will run it out
                else:
                    on_hand = rng.randint(20, 200)
                items.append(variant(prod, f"BN{pid + 1:04d}-{size}", size, on_hand, position))
        db.session.commit()
        service_ids = list(
            db.session.scalars(sa.select(ShippingService.id).order_by(ShippingService.position))
        )
        analyze_if_postgresql(db.engine)
        db.session.remove()
        db.engine.dispose()
    return Shop(items=items, popular=items[:30], hot=hot, service_ids=service_ids)


# --- the server --------------------------------------------------------------------------


def start_store(url: str, workdir: Path, args, root: Path = ROOT) -> Server:
    """gunicorn with gthread workers: `--workers` processes of `--threads` threads each,
    running the code of `root`."""
    env = store_env(
        url,
        PYTHONPATH=str(root),
        STORE_INSTANCE_PATH=str(workdir / "instance"),
        # Production settings, but over plain HTTP and with the demo provider:
        STORE_DEMO_PAYMENTS_ALLOWED="true",
        STORE_SESSION_COOKIE_SECURE="false",
        STORE_OUTBOX_DELIVER_AFTER_REQUEST="false",  # as in production: a worker mails
    )
    return start_server(
        "store", "shop:create_app()", env, workdir, args.workers, args.threads, cwd=root
    )


# --- buyers ------------------------------------------------------------------------------


def make_plans(shop: Shop, count: int, phase: int, rng: random.Random, hot_share: float):
    plans = []
    for n in range(count):
        chosen: dict[int, tuple[Item, int]] = {}
        if rng.random() < hot_share:
            chosen[shop.hot[phase - 1].variant_id] = (shop.hot[phase - 1], 1)
        while len(chosen) < 1 + (n % 3 != 0) + (n % 5 == 0):
            item = rng.choice(shop.popular if rng.random() < 0.5 else shop.items)
            chosen[item.variant_id] = (item, rng.choice([1, 1, 1, 2]))
        lines = list(chosen.values())
        rng.shuffle(lines)
        address = {"email": f"buyer{phase}-{n}@example.com", **rng.choice(ADDRESSES)}
        plans.append(Plan(lines, address, rng.choice(shop.service_ids)))
    return plans


def run_whole(base: str, plans: list[Plan], clients: int, buyer_class=Buyer):
    """Each buyer goes through the whole checkout; returns (outcomes, seconds)."""

    def one(plan: Plan) -> Outcome:
        buyer = buyer_class(base, plan)
        try:
            buyer.prepare()
            if buyer.ready():
                buyer.place()
                if buyer.pay_path:
                    buyer.pay()
        except Failed as failure:
            buyer.outcome.failure = failure
        return buyer.outcome

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        outcomes = list(pool.map(one, plans))
    return outcomes, time.perf_counter() - started


def run_place_only(base: str, plans: list[Plan], clients: int):
    """Carts made ready first (not timed), then all placed at once (timed), then paid."""
    buyers = [Buyer(base, plan) for plan in plans]

    def prepare(buyer: Buyer) -> None:
        try:
            buyer.prepare()
        except Failed as failure:
            buyer.outcome.failure = failure

    def place(buyer: Buyer) -> None:
        if buyer.outcome.failure or not buyer.ready():
            return
        # Its connection idled while the others got ready; gunicorn closes idle
        # keep-alive connections after 2 s, so start afresh (cookies stay).
        buyer.http.close()
        try:
            buyer.place()
        except Failed as failure:
            buyer.outcome.failure = failure

    def pay(buyer: Buyer) -> None:
        if buyer.outcome.failure or not buyer.pay_path:
            return
        buyer.http.close()
        try:
            buyer.pay()
        except Failed as failure:
            buyer.outcome.failure = failure

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(prepare, buyers))
        started = time.perf_counter()
        list(pool.map(place, buyers))
        seconds = time.perf_counter() - started
        list(pool.map(pay, buyers))
    return [b.outcome for b in buyers], seconds


# --- figures -----------------------------------------------------------------------------


@dataclass
class PhaseResult:
    name: str
    seconds: float
    buyers: int
    paid: int
    requests: int
    turned_away: int
    refused: int
    failures: list[str]
    place_ms: list[float] = field(repr=False)
    step_ms: dict[str, tuple[int, float]] = field(default_factory=dict)  # requests, mean ms

    @property
    def orders_per_sec(self) -> float:
        return self.paid / self.seconds if self.seconds else 0.0

    @property
    def placed_per_sec(self) -> float:
        return len(self.place_ms) / self.seconds if self.seconds else 0.0

    def place_percentile(self, p: int) -> float:
        if len(self.place_ms) < 2:
            return self.place_ms[0] if self.place_ms else 0.0
        return statistics.quantiles(self.place_ms, n=100, method="inclusive")[p - 1]


def summarise(name: str, outcomes: list[Outcome], seconds: float) -> PhaseResult:
    failures = [f"{o.failure.step}: {o.failure.reason}" for o in outcomes if o.failure]
    return PhaseResult(
        name=name,
        seconds=seconds,
        buyers=len(outcomes),
        paid=sum(o.paid for o in outcomes),
        requests=sum(o.requests for o in outcomes),
        turned_away=sum(o.turned_away for o in outcomes),
        refused=sum(o.refused for o in outcomes),
        failures=failures,
        place_ms=[o.place_ms for o in outcomes if o.place_ms is not None],
        step_ms={
            step: (len(times), statistics.fmean(times))
            for step in dict.fromkeys(s for o in outcomes for s in o.step_ms)
            for times in [[t for o in outcomes for t in o.step_ms.get(step, [])]]
        },
    )


# --- the check afterwards ----------------------------------------------------------------


def check_stock(url: str, shop: Shop, paid_numbers: set[str]) -> list[str]:
    """What must hold after the run; returns the problems found (none, we hope)."""
    engine = sa.create_engine(url)
    problems = []
    live = ", ".join(f"'{s}'" for s in LIVE_STATUSES)
    with engine.connect() as conn:
        stock = {
            row.variant_id: row
            for row in conn.execute(
                sa.text("SELECT variant_id, on_hand, allocated FROM stock_levels")
            )
        }
        claimed = dict(
            conn.execute(
                sa.text(
                    "SELECT l.variant_id, COALESCE(SUM(l.quantity_allocated), 0) FROM order_lines l"
                    f" JOIN orders o ON o.id = l.order_id WHERE o.status IN ({live})"
                    " GROUP BY l.variant_id"
                )
            ).all()
        )
        ordered = {
            row.variant_id: row
            for row in conn.execute(
                sa.text(
                    "SELECT l.variant_id, SUM(l.quantity) AS quantity,"
                    " SUM(l.quantity_allocated) AS allocated,"
                    " SUM(l.quantity_backordered) AS backordered FROM order_lines l"
                    f" JOIN orders o ON o.id = l.order_id WHERE o.status IN ({live})"
                    " GROUP BY l.variant_id"
                )
            )
        }
        movements = dict(
            conn.execute(
                sa.text("SELECT variant_id, SUM(quantity) FROM stock_movements GROUP BY variant_id")
            ).all()
        )
        bad_lines = conn.execute(
            sa.text(
                "SELECT COUNT(*) FROM order_lines l JOIN orders o ON o.id = l.order_id"
                " WHERE o.status = 'paid'"
                " AND l.quantity_allocated + l.quantity_backordered <> l.quantity"
            )
        ).scalar()
        statuses = dict(
            conn.execute(sa.text("SELECT status, COUNT(*) FROM orders GROUP BY status")).all()
        )
        paid_in_db = set(
            conn.execute(sa.text("SELECT number FROM orders WHERE status = 'paid'")).scalars()
        )
    engine.dispose()

    for item in shop.items + shop.hot:
        level = stock[item.variant_id]
        if not 0 <= level.allocated <= level.on_hand:
            problems.append(f"{item.sku}: allocated {level.allocated} of on_hand {level.on_hand}")
        if level.on_hand != item.on_hand or movements.get(item.variant_id, 0) != item.on_hand:
            problems.append(
                f"{item.sku}: on_hand {level.on_hand}, movements "
                f"{movements.get(item.variant_id, 0)}, seeded {item.on_hand}"
            )
        if level.allocated != claimed.get(item.variant_id, 0):
            problems.append(
                f"{item.sku}: allocated {level.allocated} but orders hold "
                f"{claimed.get(item.variant_id, 0)}"
            )
        lines = ordered.get(item.variant_id)
        if (
            lines
            and not item.backorderable
            and (lines.backordered or lines.quantity > item.on_hand)
        ):
            problems.append(
                f"{item.sku} (not backorderable): {lines.quantity} ordered, "
                f"{lines.backordered} backordered, {item.on_hand} in stock - OVERSOLD"
            )
    if bad_lines:
        problems.append(f"{bad_lines} paid order lines whose allocated + backordered != quantity")
    if paid_in_db != paid_numbers:
        problems.append(
            f"paid orders: {len(paid_in_db)} in the database, {len(paid_numbers)} seen by buyers"
        )
    if set(statuses) - {"paid"}:
        problems.append(f"orders not paid: {statuses}")
    return problems


def hot_sold(url: str, shop: Shop) -> list[int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        sold = [
            conn.execute(
                sa.text("SELECT COALESCE(SUM(quantity), 0) FROM order_lines WHERE variant_id = :v"),
                {"v": item.variant_id},
            ).scalar()
            for item in shop.hot
        ]
    engine.dispose()
    return sold


# --- the benchmark -----------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.checkout", description=__doc__)
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="sqlite, postgresql or both (default)"
    )
    parser.add_argument(
        "--pg-url", default=DEFAULT_PG_URL, help=f"PostgreSQL database; schema {PG_SCHEMA} in it"
    )
    parser.add_argument("--orders", type=int, default=200, help="buyers in each phase")
    parser.add_argument("--clients", type=int, default=16, help="buyers at the same time")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread)")
    parser.add_argument("--products", type=int, default=100, help="products of 3 variants")
    parser.add_argument("--variants", type=int, default=3, choices=[1, 2, 3])
    parser.add_argument(
        "--hot-share", type=float, default=0.3, help="share of buyers who want the hot item"
    )
    parser.add_argument("--warm-up", type=int, default=16, help="orders before measuring")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temp folder and schema")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    backends = [b.strip() for b in args.databases.split(",") if b.strip()]
    if set(backends) - {"sqlite", "postgresql"}:
        print(f"Unknown database in {args.databases!r}.", file=sys.stderr)
        return 2
    servers: list[Server] = []
    workdirs: list[Path] = []
    results = {}
    try:
        with interrupted_by_signals():
            for backend in backends:
                workdir = Path(tempfile.mkdtemp(prefix=f"bench-checkout-{backend}-"))
                workdirs.append(workdir)
                results[backend] = run_backend(backend, args, workdir, servers)
                for server in servers:
                    stop_server(server)
                servers.clear()
    except KeyboardInterrupt:
        print("\nInterrupted; stopping the server.", file=sys.stderr)
        return 130
    finally:
        for server in servers:
            stop_server(server)
        if not args.keep:
            for workdir in workdirs:
                shutil.rmtree(workdir, ignore_errors=True)
            if "postgresql" in backends:
                with contextlib.suppress(sa.exc.SQLAlchemyError):
                    drop_pg_schema(args.pg_url, PG_SCHEMA)
    return report(args, results)


def run_backend(backend: str, args, workdir: Path, servers: list[Server]) -> dict:
    url = prepare_database(backend, args, workdir)
    started = time.perf_counter()
    shop = seed(url, workdir, args)
    scarce = sum(1 for i in shop.items if i.on_hand <= 6)
    print(
        f"\n== {backend}: seeded {len(shop.items) + len(shop.hot)} variants ({scarce} with 6 units"
        f" or fewer, {len(shop.hot)} hot items of {HOT_STOCK} units) through the services in "
        f"{time.perf_counter() - started:.1f} s"
    )
    server = start_store(url, workdir, args)
    servers.append(server)
    wait_until_serving(server, shop.items[0].path)
    base = server.url("")
    rng = random.Random(args.seed)

    # Warm-up: every worker thread imports, compiles templates and opens connections.
    plenty = [i for i in shop.items if i.on_hand >= 20]
    warm_shop = Shop(plenty, plenty[:30], shop.hot, shop.service_ids)
    warm = make_plans(warm_shop, args.warm_up, 0, rng, hot_share=0)
    warm_outcomes, _ = run_whole(base, warm, args.clients)
    warm_paid = {o.number for o in warm_outcomes if o.paid}
    print(f"Load average before measuring: {load_average()}")

    cpu = time.process_time()
    plans = make_plans(shop, args.orders, 1, rng, args.hot_share)
    outcomes, seconds = run_whole(base, plans, args.clients)
    whole = summarise("whole checkout", outcomes, seconds)
    place_outcomes, place_seconds = run_place_only(
        base, make_plans(shop, args.orders, 2, rng, args.hot_share), args.clients
    )
    place_only = summarise("place order alone", place_outcomes, place_seconds)
    client_cpu = time.process_time() - cpu
    print(f"Load average after measuring: {load_average()}")
    for phase in (whole, place_only):
        print(
            f"  {phase.name}: {phase.paid} paid of {phase.buyers} buyers in {phase.seconds:.1f} s,"
            f" {len(phase.failures)} failed"
        )
        for failure in phase.failures[:5]:
            print(f"    failed: {failure}")

    paid = warm_paid | {o.number for o in outcomes + place_outcomes if o.paid}
    problems = check_stock(url, shop, paid)
    sold = hot_sold(url, shop)
    log_tail = server.log.read_text()[-2000:] if server.log.exists() else ""
    return {
        "backend": backend,
        "phases": [whole, place_only],
        "problems": problems,
        "hot_sold": sold,
        "client_cpu_s": client_cpu,
        "server_errors": log_tail if "Traceback" in log_tail else "",
    }


def report(args, results: dict) -> int:
    if not results:
        return 1
    gunicorn = f"gunicorn {args.workers} workers"
    gunicorn += f" x {args.threads} threads (gthread)" if args.threads > 1 else " (sync)"
    print()
    print(
        f"Checkout benchmark: {args.orders} buyers per phase, {args.clients} at a time; {gunicorn};"
        " demo payments; CSRF on (the buyers read csrf_token from the product page)."
    )
    header = (
        f"{'database':<10} {'phase':<18} {'paid':>5} {'failed':>6} {'sold out':>8}"
        f" {'orders/s':>8} {'placed/s':>8} {'place p50':>9} {'place p95':>9} {'req/s':>6}"
    )
    print(header)
    print("-" * len(header))
    failed_total = 0
    for backend, result in results.items():
        for phase in result["phases"]:
            failed_total += len(phase.failures)
            print(
                f"{backend:<10} {phase.name:<18} {phase.paid:5d} {len(phase.failures):6d}"
                f" {phase.turned_away + phase.refused:8d} {phase.orders_per_sec:8.1f}"
                f" {phase.placed_per_sec:8.1f} {phase.place_percentile(50):7.0f}ms"
                f" {phase.place_percentile(95):7.0f}ms {phase.requests / phase.seconds:6.0f}"
            )
    print()
    print(
        "orders/s: paid orders / wall time of the phase. placed/s: place-order requests / wall"
        " time (in 'place order alone' that is all the phase does). 'sold out': lines turned"
        " away at add to cart plus orders refused at place order because the last units went"
        " to someone else (expected, not failures)."
    )
    print("Mean time of a request by step, ms (requests):")
    for backend, result in results.items():
        for phase in result["phases"]:
            steps = ", ".join(f"{k} {ms:.0f} ({n})" for k, (n, ms) in phase.step_ms.items())
            print(f"  {backend} {phase.name}: {steps}")
    for backend, result in results.items():
        problems = result["problems"]
        sold = ", ".join(f"{n} of {HOT_STOCK}" for n in result["hot_sold"])
        verdict = "OK: nothing oversold, allocations add up" if not problems else "PROBLEMS"
        print(f"{backend}: stock check {verdict}; hot items sold {sold}.")
        for problem in problems[:20]:
            print(f"  - {problem}")
        if result["server_errors"]:
            print(f"  server log:\n{result['server_errors']}")
        print(f"  bench client CPU: {result['client_cpu_s']:.1f} s (shares the machine)")
    if "postgresql" in results:
        rate = results["postgresql"]["phases"][0].orders_per_sec
        verdict = "reaches" if rate >= TARGET_ORDERS_PER_SEC else "does NOT reach"
        print(
            f"PostgreSQL whole checkout: {rate:.1f} orders/s - {verdict} the "
            f"{TARGET_ORDERS_PER_SEC:.0f} orders/s target."
        )
    problems = sum(len(r["problems"]) for r in results.values())
    print(f"Failed requests: {failed_total}; stock problems: {problems}.")

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"checkout-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {
                "args": vars(args),
                "results": {
                    backend: {
                        **{k: v for k, v in result.items() if k != "phases"},
                        "phases": [
                            asdict(p)
                            | {
                                "orders_per_sec": p.orders_per_sec,
                                "placed_per_sec": p.placed_per_sec,
                                "place_p50_ms": p.place_percentile(50),
                                "place_p95_ms": p.place_percentile(95),
                            }
                            for p in result["phases"]
                        ],
                    }
                    for backend, result in results.items()
                },
            },
            indent=2,
        )
    )
    print(f"Results written to {out.relative_to(ROOT)}")
    return 1 if failed_total or problems else 0


if __name__ == "__main__":
    sys.exit(main())
