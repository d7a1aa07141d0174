"""The embedded default (SQLite) under load: many clients browsing, filling carts,
checking out with the demo provider, logging in and writing in the back office.

    python -m bench.embedded_load                         # werkzeug, gunicorn sync, gthread
    python -m bench.embedded_load --servers werkzeug --clients 50 --duration 20

For each server: a fresh SQLite store seeded through the services (bench.checkout's
catalogue, customers and a warehouse clerk with production-strength password
hashes), the server started on a free port of 127.0.0.1 as `make run` would start
it (development settings, CSRF on, a job worker beside it delivering the mail), then
`--clients` threads for `--duration` seconds, each with its own cookie jar and one
role: browse, fill a cart, buy (the whole checkout), log in and look at the
account, or (warehouse) adjust stock. A failure is a 5xx, a connection error or
any answer that is not the expected one; sold-out refusals are not failures.
Afterwards the database is checked: every order a buyer saw paid is paid, every
stock adjustment the clerk saw is a movement. Prints requests, failures, p50/p95.
See bench/README.md.
"""

import argparse
import contextlib
import os
import random
import re
import secrets
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from bench.checkout import Shop, make_plans
from bench.harness import (
    CSRF,
    Buyer,
    Failed,
    Server,
    free_port,
    load_average,
    stop_server,
    wait_until_serving,
)

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple 42"  # the load's customers and clerk
# (role, share of the clients): most people browse; a few log in; one clerk writes.
ROLES = (("browse", 0.36), ("cart", 0.2), ("buy", 0.3), ("login", 0.08), ("staff", 0.06))
SERVERS = ("werkzeug", "gunicorn-sync", "gunicorn-gthread")


# --- what every client records -----------------------------------------------------------


@dataclass
class Stats:
    """Every request of the run: its step, time and, when it failed, why."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    times: dict[str, list[float]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    paid: set[str] = field(default_factory=set)
    adjustments: int = 0
    sold_out: int = 0

    def add(self, step: str, ms: float, failure: str | None = None) -> None:
        with self.lock:
            self.times.setdefault(step, []).append(ms)
            if failure:
                self.failures.append(f"{step}: {failure}")

    @property
    def requests(self) -> int:
        return sum(len(t) for t in self.times.values())

    def percentile(self, p: int, step: str | None = None) -> float:
        values = self.times.get(step, []) if step else [t for ts in self.times.values() for t in ts]
        if len(values) < 2:
            return values[0] if values else 0.0
        return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


class Client(Buyer):
    """bench.checkout's buyer (cookie jar, CSRF token, no redirects) recording each request."""

    def __init__(self, base: str, stats: Stats, plan=None, number: int = 0):
        super().__init__(base, plan)
        self.stats = stats
        self.number = number  # which client of the run
        self.signed_in = False

    def call(self, step: str, method: str, path: str, expect: tuple[int, ...], **kw):
        started = time.perf_counter()
        try:
            response = super().call(step, method, path, expect, **kw)
        except Failed as failure:
            self.stats.add(step, (time.perf_counter() - started) * 1000, failure.reason)
            raise
        self.stats.add(step, (time.perf_counter() - started) * 1000)
        return response

    def get(self, step: str, path: str, expect=(200,)):
        return self.call(step, "GET", path, expect)

    def token_from(self, page: str) -> None:
        found = CSRF.search(page)
        if found is None:
            raise Failed("token", "no form with a CSRF token on the page")
        self.token = found.group(1)

    def log_in(self, email: str) -> None:
        self.token_from(self.get("login page", "/account/login").text)
        self.post("login", "/account/login", {"email": email, "password": PASSWORD})


# --- the roles -----------------------------------------------------------------------------


@dataclass
class Load:
    base: str
    shop: Shop
    customers: list[str]
    clerks: list[str]  # one per staff client: a sign-in ends the account's other sessions
    stats: Stats
    until: float  # time.monotonic() at which clients stop starting new rounds
    rng: random.Random


def browse(load: Load, client: Client, rng: random.Random) -> None:
    item = rng.choice(load.shop.items)
    client.get("home", "/")
    client.get("category", "/c/bench")
    client.get("product page", item.path)
    client.get("search", "/search?q=lantern")


def fill_cart(load: Load, client: Client, rng: random.Random) -> None:
    item = rng.choice([i for i in load.shop.items if i.on_hand >= 20])
    client.token_from(client.get("product page", item.path).text)
    line = {"variant_id": str(item.variant_id), "quantity": "1"}
    client.post("add to cart", "/cart/add", line, headers={"Referer": load.base + item.path})
    client.get("cart", "/cart/")


def buy(load: Load, client: Client, rng: random.Random) -> None:
    (plan,) = make_plans(load.shop, 1, 1, rng, hot_share=0.2)
    plan.address["email"] = f"load-{secrets.token_hex(4)}@example.com"
    buyer = Client(load.base, load.stats, plan)
    buyer.http = client.http  # one browser: the same connection pool
    buyer.http.cookies.clear()  # a new guest each time
    buyer.prepare()
    if buyer.ready():
        buyer.place()
        if buyer.pay_path:
            buyer.pay()
            with load.stats.lock:
                load.stats.paid.add(buyer.outcome.number)
    if buyer.outcome.refused or buyer.outcome.turned_away:
        with load.stats.lock:
            load.stats.sold_out += 1


def log_in_and_look(load: Load, client: Client, rng: random.Random) -> None:
    client.http.cookies.clear()
    # Its own account: a sign-in ends the account's other sessions.
    client.log_in(load.customers[client.number % len(load.customers)])
    client.get("account", "/account/")
    client.get("account invoices", "/account/invoices")


def adjust_stock(load: Load, client: Client, rng: random.Random) -> None:
    if not client.signed_in:
        client.log_in(load.clerks[client.number % len(load.clerks)])
        client.signed_in = True
    item = rng.choice(load.shop.items)
    path = f"/admin/stock/{item.variant_id}/adjust"
    client.token_from(client.get("stock form", path).text)
    client.post("stock adjust", path, {"quantity": "1", "reason": "adjustment", "note": "load"})
    with load.stats.lock:
        load.stats.adjustments += 1


ACTIONS = {
    "browse": browse,
    "cart": fill_cart,
    "buy": buy,
    "login": log_in_and_look,
    "staff": adjust_stock,
}


def roles_for(clients: int) -> list[str]:
    """Each client's role, by the shares in ROLES (at least one clerk)."""
    roles = []
    for role, share in ROLES:
        roles += [role] * max(1, round(clients * share))
    return (roles * 2)[:clients]


def run_clients(load: Load, clients: int) -> float:
    """Start every client at once; each repeats its role until `until`. Returns seconds."""
    roles = roles_for(clients)
    start = threading.Barrier(clients + 1)

    def client(n: int) -> None:
        rng = random.Random(n)
        http = Client(load.base, load.stats, number=n)
        start.wait()
        while time.monotonic() < load.until:
            try:
                ACTIONS[roles[n]](load, http, rng)
            except Failed:
                time.sleep(0.2)  # counted already; a real person would try again soon
        http.http.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join(timeout=max(0.0, load.until - time.monotonic()) + 120)
    return time.perf_counter() - started


# --- the store -----------------------------------------------------------------------------


def seed_people(app, customers: int, clerks: int) -> tuple[list[str], list[str]]:
    """Customers and warehouse clerks, hashed with the production Argon2 parameters."""
    from shop.accounts import roles
    from shop.accounts.services import create_user
    from shop.extensions import db

    with app.app_context():
        emails = [f"customer{n}@example.com" for n in range(customers)]
        for email in emails:
            create_user(email=email, name="Load Customer", password=PASSWORD)
        staff = [f"clerk{n}@example.com" for n in range(clerks)]
        for email in staff:
            create_user(email=email, name="Load Clerk", password=PASSWORD, role=roles.WAREHOUSE)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return emails, staff


def seed_store(workdir: Path, args) -> tuple[str, Shop, list[str], list[str]]:
    from bench.checkout import seed
    from shop import create_app
    from shop.configuration.defaults import Config

    url = f"sqlite:///{workdir / 'store.db'}"
    seed_args = argparse.Namespace(seed=args.seed, products=args.products, variants=3)
    shop = seed(url, workdir, seed_args)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(workdir / "seed"),
            "PASSWORD_HASH_TIME_COST": Config.PASSWORD_HASH_TIME_COST,
            "PASSWORD_HASH_MEMORY_KIB": Config.PASSWORD_HASH_MEMORY_KIB,
            "PASSWORD_HASH_PARALLELISM": Config.PASSWORD_HASH_PARALLELISM,
        }
    )
    roles = roles_for(args.clients)
    customers, clerks = seed_people(app, roles.count("login"), roles.count("staff"))
    return url, shop, customers, clerks


def server_command(kind: str, port: int, log: Path) -> list[str]:
    """The web server and a job worker beside it (mail, chores), in one process group."""
    flask = [sys.executable, "-m", "flask", "--app", "shop"]
    if kind == "werkzeug":  # what `make run` serves: flask serve (threaded, with a worker)
        return [*flask, "serve", "--host", "127.0.0.1", "--port", str(port)]
    command = [sys.executable, "-m", "gunicorn", "--workers", "2", "-b", f"127.0.0.1:{port}"]
    if kind == "gunicorn-gthread":
        command += ["--worker-class", "gthread", "--threads", "4"]
    command += ["--timeout", "60", "--error-logfile", str(log), "shop:create_app()"]
    worker = shlex.join([*flask, "jobs", "worker"])
    return ["sh", "-c", f"{worker} & exec {shlex.join(command)}"]


def start(kind: str, url: str, workdir: Path) -> Server:
    port = free_port()
    log = workdir / f"{kind}.log"
    env = {
        "DATABASE_URL": url,
        "PYTHONPATH": str(ROOT),
        "STORE_ENV": "development",  # the embedded default
        "SECRET_KEY": secrets.token_hex(32),
        "STORE_BASE_URL": f"http://127.0.0.1:{port}",
        "STORE_INSTANCE_PATH": str(workdir / "instance"),
        # Every client comes from 127.0.0.1: the per-address login limit is not measured.
        "STORE_LOGIN_RATE_LIMIT": "100000 per minute",
    }
    out = log.open("ab")
    process = subprocess.Popen(
        server_command(kind, port, log),
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=out,
        stderr=out,
        start_new_session=True,  # its own process group: master and workers stop together
    )
    return Server(kind, process, port, log)


def check_database(url: str, stats: Stats) -> list[str]:
    """Every order a buyer saw paid is paid; every adjustment the clerk saw was kept."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        paid = set(
            conn.execute(sa.text("SELECT number FROM orders WHERE status = 'paid'")).scalars()
        )
        adjusted = conn.execute(
            sa.text("SELECT COUNT(*) FROM stock_movements WHERE note = 'load'")
        ).scalar()
    engine.dispose()
    problems = []
    if not stats.paid <= paid:
        problems.append(f"{len(stats.paid - paid)} orders seen paid are not paid in the database")
    if adjusted != stats.adjustments:
        problems.append(f"{adjusted} stock adjustments recorded, {stats.adjustments} seen")
    return problems


def server_errors(log: Path) -> list[str]:
    text = log.read_text(errors="replace") if log.exists() else ""
    return re.findall(r"^.*(?:OperationalError|database is locked|Traceback).*$", text, re.M)[:5]


def run_one(kind: str, args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-embedded-{kind}-"))
    server = None
    try:
        url, shop, customers, clerks = seed_store(workdir, args)
        server = start(kind, url, workdir)
        wait_until_serving(server, "/")
        base = server.url("")
        # Warm up: every worker imports, compiles templates, opens its connection.
        warm = Stats()
        warm_load = Load(base, shop, customers, clerks, warm, time.monotonic() + 3, random.Random())
        run_clients(warm_load, 4)
        stats = Stats()
        load = Load(
            base, shop, customers, clerks, stats, time.monotonic() + args.duration, random.Random()
        )
        seconds = run_clients(load, args.clients)
        problems = check_database(url, stats)
        return {
            "server": kind,
            "seconds": seconds,
            "requests": stats.requests,
            "failed": len(stats.failures),
            "p50": stats.percentile(50),
            "p95": stats.percentile(95),
            "paid": len(stats.paid),
            "adjustments": stats.adjustments,
            "sold_out": stats.sold_out,
            "problems": problems,
            "failures": stats.failures[:10],
            "server_errors": server_errors(server.log),
            "steps": {
                step: (len(ts), stats.percentile(50, step), stats.percentile(95, step))
                for step, ts in sorted(stats.times.items())
            },
        }
    finally:
        if server is not None:
            stop_server(server)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir}")


def report(results: list[dict], args) -> int:
    print(
        f"\n{args.clients} clients for {args.duration} s on SQLite; load average {load_average()}"
    )
    print(f"{'server':<18} {'requests':>8} {'failed':>6} {'req/s':>6} {'p50 ms':>7} "
          f"{'p95 ms':>7} {'paid':>5} {'adjusted':>8}")  # fmt: skip
    for r in results:
        print(
            f"{r['server']:<18} {r['requests']:>8} {r['failed']:>6} "
            f"{r['requests'] / r['seconds']:>6.1f} {r['p50']:>7.0f} {r['p95']:>7.0f} "
            f"{r['paid']:>5} {r['adjustments']:>8}"
        )
    for r in results:
        for line in r["failures"] + r["problems"] + r["server_errors"]:
            print(f"  {r['server']}: {line}")
    if args.steps:
        for r in results:
            print(f"\n{r['server']}: step, requests, p50, p95 (ms)")
            for step, (n, p50, p95) in r["steps"].items():
                print(f"  {step:<16} {n:>6} {p50:>7.0f} {p95:>7.0f}")
    return 1 if any(r["failed"] or r["problems"] for r in results) else 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.embedded_load", description=__doc__)
    parser.add_argument("--servers", default=",".join(SERVERS), help=", ".join(SERVERS))
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30, help="seconds of load")
    parser.add_argument("--products", type=int, default=40, help="products of 3 variants")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--steps", action="store_true", help="figures per step too")
    parser.add_argument("--keep", action="store_true", help="keep the temp folders")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    kinds = [k.strip() for k in args.servers.split(",") if k.strip()]
    if set(kinds) - set(SERVERS):
        print(f"Unknown server in {args.servers!r}; choose from {', '.join(SERVERS)}.")
        return 2

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    results = []
    with contextlib.suppress(KeyboardInterrupt):
        for kind in kinds:
            results.append(run_one(kind, args))
    return report(results, args)


if __name__ == "__main__":
    sys.exit(main())
