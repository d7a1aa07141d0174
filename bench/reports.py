"""Time the owner's dashboard and reports on a large store (made by bench.reports_data).

    python -m bench.reports --database-url postgresql://postgres@127.0.0.1:5432/bench_reports
    python -m bench.reports --database-url sqlite:////tmp/bench_reports.db --runs 5

In one process, through the app's test client logged in as an owner (made on first use):
refreshes the demand forecasts as the nightly job does (timed on its own), then asks every
URL below once to warm up and --runs times more, and prints per URL the status, the first
request, the median and the slowest run in ms, the SQL statements of one request and the
size of the answer (--show-sql: and the slowest statements of the pages over the target).
A URL that answers 404 is listed as "missing" (not built yet). Target: every page under
1 s (median) on PostgreSQL with 200,000 orders. See bench/README.md.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TARGET_MS = 1000
OWNER_EMAIL = "bench-owner@example.com"
OWNER_PASSWORD = "bench owner reads every report at dawn"
OWNER_TOTP_SECRET = "BENCHOWNERBENCHOWNERBENCHOWNER22"  # base32; the owner must have one
PERIODS = ("365d", "30d")

# The pages to time, easy to edit: (path, asked for each of PERIODS, also as ?format=csv).
# {busy_variant} is the variant with the most units sold.
PAGES = [
    ("/admin/", True, False),  # the owner's dashboard
    ("/admin/reports/sales", True, True),
    ("/admin/reports/sales?group=product", True, True),
    ("/admin/reports/sales?group=variant", True, True),
    ("/admin/reports/sales?group=category", True, True),
    ("/admin/reports/sales?group=province", True, True),
    ("/admin/reports/sales?group=channel", True, True),
    ("/admin/reports/margin?group=product", True, True),
    ("/admin/reports/margin?group=category", True, True),
    ("/admin/reports/stock", True, True),
    ("/admin/reports/backorders", True, True),
    ("/admin/reports/shipping", True, True),
    ("/admin/reports/customers", True, True),
    ("/admin/reports/forecast", True, True),
    ("/admin/reorder", False, False),
    ("/admin/reports/forecast/{busy_variant}", False, True),
]


def urls(busy_variant: int | None) -> list[str]:
    """Every URL of PAGES, with its periods and its CSV twin."""
    found = []
    for path, periods, csv in PAGES:
        if "{busy_variant}" in path and busy_variant is None:
            continue  # no sales at all
        path = path.format(busy_variant=busy_variant)
        joiner = "&" if "?" in path else "?"
        variants = [f"{path}{joiner}period={p}" for p in PERIODS] if periods else [path]
        for url in variants:
            found.append(url)
            if csv:
                found.append(f"{url}{'&' if '?' in url else '?'}format=csv")
    return found


@dataclass
class Timing:
    url: str
    status: int | str
    first_ms: float = 0.0
    median_ms: float = 0.0
    max_ms: float = 0.0
    statements: int = 0
    size: int = 0
    slowest: list = field(default_factory=list)  # (ms, statement) of one request

    @property
    def verdict(self) -> str:
        if self.status == 404:
            return "missing"
        if self.status != 200:
            return f"status {self.status}"
        return "ok" if self.median_ms < TARGET_MS else "SLOW"


class StatementCounter:
    """Counts statements, and keeps the time of each of the last request's."""

    def __init__(self, engine):
        self.count = 0
        self.last: list[tuple[float, str]] = []  # (ms, statement) of the last request
        self._started = 0.0
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *args):
        self.count += 1
        self._started = time.perf_counter()

    def _after(self, conn, cursor, statement, *args):
        self.last.append(((time.perf_counter() - self._started) * 1000, statement))


def main(argv=None) -> int:
    args = parse_args(argv)
    from shop import create_app
    from shop.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": args.database_url,
            "INSTANCE_PATH": tempfile.mkdtemp(),
            "TRUSTED_HOSTS": ["localhost"],  # the test client asks for localhost
        }
    )
    with app.app_context():
        describe_store()
        ensure_owner()
        busy = busy_variant()
        if not args.no_refresh:
            refresh_forecasts()
        counter = StatementCounter(db.engine)
        db.session.remove()
    client = app.test_client()
    login = log_in(client)
    if login.status_code not in (302, 303) or "/login" in login.headers.get("Location", ""):
        print(f"Could not log in as {OWNER_EMAIL}: {login.status_code}")
        return 1
    timings = [time_url(client, counter, url, args.runs) for url in urls(busy)]
    print_table(timings)
    if args.show_sql:
        print_slowest_statements(timings)
    save(timings, args.database_url)
    return 0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per URL after a warm-up")
    parser.add_argument("--no-refresh", action="store_true", help="keep the stored forecasts")
    parser.add_argument(
        "--show-sql", action="store_true",
        help="print the 3 slowest statements of each page over the target",
    )  # fmt: skip
    return parser.parse_args(argv)


def describe_store() -> None:
    from shop.extensions import db
    from shop.orders.models import Order, OrderLine

    orders = db.session.scalar(sa.select(sa.func.count()).select_from(Order))
    lines = db.session.scalar(sa.select(sa.func.count()).select_from(OrderLine))
    print(f"{db.engine.dialect.name}: {orders:,} orders, {lines:,} order lines")


def ensure_owner() -> None:
    from shop.accounts import roles, second_factor
    from shop.accounts.services import create_user, find_user_by_email
    from shop.extensions import db

    owner = find_user_by_email(OWNER_EMAIL)
    if owner is None:
        owner = create_user(
            email=OWNER_EMAIL, name="Bench Owner", password=OWNER_PASSWORD, role=roles.OWNER
        )
    if not second_factor.has_factor(owner):
        second_factor.enrol_directly(user=owner, secret=OWNER_TOTP_SECRET)
    db.session.commit()


def log_in(client):
    """The owner's two-step sign-in: the password, then the authenticator's code."""
    import pyotp

    step = client.post("/account/login", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    if step.status_code != 302 or "/login/code" not in step.headers["Location"]:
        return step
    code = pyotp.TOTP(OWNER_TOTP_SECRET).now()
    return client.post(step.headers["Location"], data={"code": code})


def busy_variant() -> int | None:
    """The variant with the most units sold: its forecast page has the most to draw."""
    from shop.extensions import db
    from shop.orders.models import OrderLine

    units = sa.func.sum(OrderLine.quantity)
    return db.session.scalar(
        sa.select(OrderLine.variant_id).group_by(OrderLine.variant_id).order_by(units.desc())
    )


def refresh_forecasts() -> None:
    """What the nightly job does before anyone opens the forecast pages."""
    try:
        from shop.clock import store_today
        from shop.planning import demand
    except ImportError:
        print("forecast refresh: not built yet")
        return
    from shop.extensions import db

    started = time.perf_counter()
    count = demand.refresh_forecasts(store_today())
    db.session.commit()
    print(f"forecast refresh (nightly job): {count:,} variants in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip


def time_url(client, counter: StatementCounter, url: str, runs: int) -> Timing:
    print(f"  {url}", flush=True)
    try:
        first, status, size, statements = one_request(client, counter, url)
        if status != 200:
            return Timing(url, status)
        times = [one_request(client, counter, url)[0] for _ in range(runs)]
    except Exception:  # a 500 in the making: report it, time the others
        traceback.print_exc(limit=3)
        return Timing(url, "error")
    slowest = sorted(counter.last, reverse=True)[:3]
    return Timing(url, status, first, statistics.median(times), max(times), statements, size,
                  slowest)  # fmt: skip


def one_request(client, counter: StatementCounter, url: str):
    before = counter.count
    counter.last = []
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    return elapsed, response.status_code, len(response.data), counter.count - before


def print_table(timings: list[Timing]) -> None:
    width = max(len(t.url) for t in timings)
    print()
    print(f"{'URL':<{width}}  {'first':>8}  {'median':>8}  {'max':>8}  {'SQL':>5}  "
          f"{'KB':>7}  verdict")  # fmt: skip
    for t in timings:
        if t.status != 200:
            print(f"{t.url:<{width}}  {'':>8}  {'':>8}  {'':>8}  {'':>5}  {'':>7}  {t.verdict}")
            continue
        print(f"{t.url:<{width}}  {t.first_ms:>8.0f}  {t.median_ms:>8.0f}  {t.max_ms:>8.0f}  "
              f"{t.statements:>5}  {t.size / 1024:>7.1f}  {t.verdict}")  # fmt: skip
    done = [t for t in timings if t.status == 200]
    slow = [t for t in done if t.median_ms >= TARGET_MS]
    missing = sum(t.status == 404 for t in timings)
    print(f"\n{len(done)} answered, {missing} missing, {len(timings) - len(done) - missing} "
          f"failed; {len(slow)} over the {TARGET_MS} ms target")  # fmt: skip


def print_slowest_statements(timings: list[Timing]) -> None:
    for t in timings:
        if t.status == 200 and t.median_ms >= TARGET_MS:
            print(f"\n{t.url}: {t.median_ms:.0f} ms, its slowest statements (last run):")
            for ms, statement in t.slowest:
                print(f"  {ms:7.0f} ms  {' '.join(statement.split())[:300]}")


def save(timings: list[Timing], database_url: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    backend = sa.engine.make_url(database_url).get_backend_name()
    path = RESULTS / f"reports-{backend}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps([asdict(t) for t in timings], indent=1))
    print(f"raw figures: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
